"""Publishing that only trusts itself (issue 13, item 5), against the GitHub stand-in: a comment
is the bot's only when the bot wrote it (and its marker verifies), concurrent publishers leave one
comment per change, no body goes over GitHub's size limit, a failed comment does not lose the
changelog, and no credential in an address is written anywhere."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from test_publish import BENCH, NEW, OLD, POLICY, T0, attribution, cfg, runs, stored

from bot import publish
from bot.analysis.verdict import judge
from bot.app.digest import gather_digest
from bot.github.api import connect, settings_from_env
from bot.github.comments import ACTIONS_LOGIN
from bot.model import ConfigKey
from bot.report.digest import Digest, StaleConfig
from bot.urls import scrub, without_credentials

pytest_plugins = ["standin.plugin"]

GITHUB_LIMIT = 65_536
SECRET = "s3cr3t-marker-key"
TOKEN = "ghs_TOPSECRETtoken123"


def env_for(standin, **extra):
    return {
        "GITHUB_API_URL": standin.url,
        "GITHUB_TOKEN": "t",
        "PARETOBOT_GITHUB_BACKOFF": "0",
        **extra,
    }


@pytest.fixture
def issue(github_standin):
    github_standin.add_repo(BENCH)
    github_standin.add_issue(BENCH, 7, "Performance tracking")
    return github_standin


def connection(standin, **extra):
    return connect(settings_from_env(env_for(standin, **extra)))


def regression(model="a"):
    return judge(runs(OLD, config=cfg(model)), runs(NEW, 0.8, config=cfg(model)), POLICY)


def posts_of(*verdicts):
    return [
        p for v in verdicts for p in publish.change_posts(v, repo=BENCH, issue=7, policy=POLICY)
    ]


def authors(standin):
    return [c["user"]["login"] for c in standin.comments(BENCH, 7)]


# ---- the hijack ---------------------------------------------------------------------------------


def test_a_comment_with_the_bots_marker_by_someone_else_is_never_edited(issue):
    (post,) = posts_of(regression())
    planted = post.marker + "\nmallory was here"
    issue.add_comment(BENCH, 7, planted, user="mallory")
    gh = connection(issue)
    assert [o.status for o in publish.post_all(gh, [post], env={})] == ["created"]
    assert authors(issue) == ["mallory", "paretobot"]
    theirs, ours = issue.comments(BENCH, 7)
    assert theirs["body"] == planted  # untouched
    assert ours["body"] == post.body
    # a rerun finds the bot's own comment, still not theirs
    assert [o.status for o in publish.post_all(gh, [post], env={})] == ["unchanged"]
    assert [c["body"] for c in issue.comments(BENCH, 7)] == [planted, post.body]


def test_the_marker_is_signed_and_old_unsigned_ones_of_the_bot_migrate(issue):
    (post,) = posts_of(regression())
    env = {publish.MARKER_KEY: SECRET}
    current, older = publish.markers(post, env)
    assert current != post.marker and current.startswith(post.marker[:-4] + " sig:")
    assert older == (post.marker,)
    assert publish.markers(post, {publish.MARKER_KEY: "other"})[0] != current  # keyed
    # the bot's own comment from before markers were signed, and mallory's copy of the marker
    legacy = issue.add_comment(BENCH, 7, post.marker + "\nold text", user="paretobot")
    issue.add_comment(BENCH, 7, post.marker + "\nforged", user="mallory")
    gh = connection(issue)
    (outcome,) = publish.post_all(gh, [post], env=env)
    assert outcome.status == "updated"
    bodies = {c["user"]["login"]: c for c in issue.comments(BENCH, 7)}
    assert len(issue.comments(BENCH, 7)) == 2
    assert bodies["paretobot"]["id"] == legacy
    assert bodies["paretobot"]["body"].startswith(current + "\n")
    assert bodies["mallory"]["body"] == post.marker + "\nforged"
    # after a key rotation the previous key's marker is still the bot's
    rotated = {publish.MARKER_KEY: "new-key", publish.MARKER_KEY_PREVIOUS: SECRET}
    assert publish.post_all(gh, [post], env=rotated)[0].status == "updated"
    assert len(issue.comments(BENCH, 7)) == 2
    assert issue.comments(BENCH, 7)[0]["body"].startswith(publish.markers(post, rotated)[0])


def test_with_an_installation_token_the_bot_is_who_the_settings_name(github_standin):
    github_standin.installation = True  # GET /user: 403, as for GITHUB_TOKEN or an App
    github_standin.login = ACTIONS_LOGIN
    github_standin.add_repo(BENCH)
    github_standin.add_issue(BENCH, 7, "Performance tracking")
    (post,) = posts_of(regression())
    github_standin.add_comment(BENCH, 7, post.marker + "\nforged", user="mallory")
    gh = connection(github_standin)
    # neither Actions nor a named login: nothing is written, and it says why
    (refused,) = publish.post_all(gh, [post], env={})
    assert refused.status == "failed" and "PARETOBOT_BOT_LOGIN" in refused.detail
    assert authors(github_standin) == ["mallory"]
    for env in ({"GITHUB_ACTIONS": "true"}, {"PARETOBOT_BOT_LOGIN": ACTIONS_LOGIN}):
        publish.post_all(gh, [post], env=env)
    assert authors(github_standin) == ["mallory", ACTIONS_LOGIN]


def test_a_wrong_login_setting_is_corrected_by_what_github_answers(github_standin):
    github_standin.installation = True
    github_standin.login = "my-app[bot]"
    github_standin.add_repo(BENCH)
    github_standin.add_issue(BENCH, 7, "Performance tracking")
    gh = connection(github_standin)
    posts = posts_of(regression("a"), regression("b"))
    outcomes = publish.post_all(gh, posts, env={"GITHUB_ACTIONS": "true"})  # assumes actions
    assert [o.status for o in outcomes] == ["created", "created"]
    again = publish.post_all(gh, posts, env={"PARETOBOT_BOT_LOGIN": "my-app[bot]"})
    assert [o.status for o in again] == ["unchanged", "unchanged"]
    assert authors(github_standin) == ["my-app[bot]"] * 2


# ---- concurrent publishers ----------------------------------------------------------------------


def test_two_publishers_at_once_leave_one_comment_per_change(issue):
    posts = posts_of(regression("a"), regression("b"))
    # both list the comments before either creates one: the race, made certain
    issue.hold("GET", rf"^/repos/{BENCH}/issues/7/comments", parties=2)
    results: list[list[publish.Outcome]] = []

    def publisher() -> None:
        results.append(publish.post_all(connection(issue), posts, env={}))

    threads = [threading.Thread(target=publisher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2
    assert issue.broken_holds == 0, "the second publisher never listed: no race was made"
    posted = [r for m, r, s in issue.requests if m == "POST" and s == 201]
    # both created the first comment (the race the hold makes certain); the second one too,
    # unless one publisher's listing after its create already saw the other's (timing: CI saw 3)
    assert len(posted) in (3, 4)
    left = issue.comments(BENCH, 7)
    assert len(left) == 2 and authors(issue) == ["paretobot"] * 2  # the newer ones went
    assert sorted(c["body"] for c in left) == sorted(p.body for p in posts)
    assert all(o.status in ("created", "unchanged") for r in results for o in r)
    for i in range(2):  # both report the comment that stayed
        assert {results[0][i].url, results[1][i].url} == {left[i]["html_url"]}
    assert [o.status for o in publish.post_all(connection(issue), posts, env={})] == [
        "unchanged"
    ] * 2


def test_a_rerun_removes_the_duplicates_an_earlier_race_left(issue):
    (post,) = posts_of(regression())
    first = issue.add_comment(BENCH, 7, post.marker + "\nrun 1", user="paretobot")
    issue.add_comment(BENCH, 7, post.marker + "\nrun 2", user="paretobot")
    issue.add_comment(BENCH, 7, post.marker + "\nnot ours", user="mallory")
    assert publish.post_all(connection(issue), [post], env={})[0].status == "updated"
    left = issue.comments(BENCH, 7)
    assert [(c["id"], c["user"]["login"]) for c in left] == [
        (first, "paretobot"),
        (left[1]["id"], "mallory"),
    ]
    assert left[0]["body"] == post.body
    assert ("DELETE", f"/repos/{BENCH}/issues/comments/{first + 1}") in [
        (m, p) for m, p, _ in issue.requests
    ]


# ---- the size limit -----------------------------------------------------------------------------


def test_a_change_with_a_20000_character_model_name_fits_one_comment(issue):
    huge = ConfigKey("m" * 20_000, "int4", "mi355x", "vllm", 1024, 1024, gpus=8, tp=8)
    v = judge(runs(OLD, config=huge), runs(NEW, 0.88, config=huge), POLICY)
    (post,) = publish.change_posts(v, attribution(v), repo=BENCH, issue=7, policy=POLICY)
    assert [o.status for o in publish.post_all(connection(issue), [post], env={})] == ["created"]
    (comment,) = issue.comments(BENCH, 7)
    assert len(comment["body"]) <= GITHUB_LIMIT
    assert "regressed" in comment["body"] and "…" in comment["body"]


def test_a_digest_of_700_stale_configurations_fits_one_comment(issue):
    stale = tuple(StaleConfig(cfg(f"model-{i:04d}-" + "x" * 60), OLD, T0) for i in range(700))
    digest = Digest(T0, T0 + timedelta(days=7), (), stale=stale)
    post = publish.digest_post(digest, BENCH, 7)
    assert len(post.body) <= publish.MAX_COMMENT_CHARS
    assert (
        "No fresh data (700)" in post.body and "… and 500 more" in post.body
    )  # 200 listed, as many as fit
    assert [o.status for o in publish.post_all(connection(issue), [post], env={})] == ["created"]
    (comment,) = issue.comments(BENCH, 7)
    assert len(comment["body"]) <= GITHUB_LIMIT


def test_a_digest_of_huge_names_fits_one_comment(issue):
    stale = tuple(StaleConfig(cfg("y" * 20_000 + str(i)), OLD, T0) for i in range(10))
    week = [*runs(OLD, config=cfg("z" * 30_000), when=T0 - timedelta(days=1))]
    week += runs(NEW, 0.8, config=cfg("z" * 30_000), when=T0 + timedelta(days=1))
    digest = gather_digest(week, since=T0, until=T0 + timedelta(days=7), policy=POLICY)
    digest = Digest(digest.since, digest.until, digest.changes, stale=stale)
    post = publish.digest_post(digest, BENCH, 7)
    publish.post_all(connection(issue), [post], env={})
    (comment,) = issue.comments(BENCH, 7)
    assert len(comment["body"]) <= GITHUB_LIMIT and "Regressions (1)" in comment["body"]


def test_a_body_over_the_limit_is_cut_at_a_line_with_a_link_to_the_whole():
    body = "<!-- m -->\n<details>\n```json\n" + "\n".join(["x" * 99] * 1000) + "\n```\n</details>"
    cut = publish.fit(body, full="https://github.com/o/r/actions/runs/5")
    assert len(body) > publish.MAX_COMMENT_CHARS >= len(cut)
    assert cut.startswith("<!-- m -->\n<details>\n```json\n")
    assert "\n```\n</details>\n\n_… " in cut  # the open block and <details> are closed
    assert cut.rstrip().endswith("the whole is at https://github.com/o/r/actions/runs/5._")
    one_line = publish.fit("<!-- m -->\n" + "y" * 200_000)
    assert len(one_line) <= publish.MAX_COMMENT_CHARS and one_line.count("y") > 60_000
    assert publish.fit("short") == "short"


def test_the_stand_in_refuses_a_body_over_the_limit_as_github_does(issue):
    gh = connection(issue)
    with pytest.raises(Exception) as refused:
        gh.get_repo(BENCH).get_issue(7).create_comment("x" * (GITHUB_LIMIT + 1))
    assert refused.value.status == 422
    assert issue.comments(BENCH, 7) == []


# ---- a failed comment, and a rerun --------------------------------------------------------------


@pytest.fixture
def cli_env(issue, monkeypatch):
    for key, value in env_for(issue).items():
        monkeypatch.setenv(key, value)
    for key in ("GITHUB_REPOSITORY", "GITHUB_ACTIONS", "GITHUB_RUN_ID", publish.MARKER_KEY):
        monkeypatch.delenv(key, raising=False)
    return issue


def two_changes(engine):
    for model in ("a", "b"):
        stored(engine, runs(OLD, config=cfg(model), when=T0), f"old-{model}.json")
        stored(
            engine, runs(NEW, 0.8, config=cfg(model), when=T0 + timedelta(1)), f"new-{model}.json"
        )


def publish_args(changelog):
    return ["publish", "--baseline", "v0.20.0", "--candidate", "v0.21.0", "--repo", BENCH,
            "--issue", "7", "--changelog", changelog]  # fmt: skip


def test_changelog_entries_are_written_when_a_comment_fails_and_a_rerun_posts_it(
    paretobot, engine, cli_env, tmp_path
):
    two_changes(engine)
    changelog = tmp_path / "perf-changelog.yaml"
    cli_env.faults(rate=1.0, kinds=("500",), methods=["POST"])  # every create fails
    first = paretobot(*publish_args(changelog))
    assert first.code == 1
    assert first.err.count("change comment not posted: commenting on") == 2
    assert "2 comment(s) not posted, the rest was written: rerun" in first.err.replace("\n", " ")
    assert cli_env.comments(BENCH, 7) == []
    entries = yaml.safe_load(changelog.read_text())
    assert [e["pr-link"] for e in entries] == [f"{cli_env.url}/{BENCH}/issues/7"] * 2

    cli_env.faults(rate=0)
    rerun = paretobot(*publish_args(changelog))
    assert rerun.code == 0, rerun.err
    comments = cli_env.comments(BENCH, 7)
    assert len(comments) == 2
    entries = yaml.safe_load(changelog.read_text())
    assert sorted(e["pr-link"] for e in entries) == sorted(c["html_url"] for c in comments)


# ---- credentials in addresses -------------------------------------------------------------------


def test_without_credentials():
    assert without_credentials(f"https://x-access-token:{TOKEN}@ghe.example/api/v3") == (
        "https://ghe.example/api/v3"
    )
    assert without_credentials(f"https://h/p?a=1&access_token={TOKEN}#f") == "https://h/p?a=1#f"
    assert without_credentials("https://github.com/o/r/pull/1") == "https://github.com/o/r/pull/1"
    assert scrub(f"see (https://u:{TOKEN}@h/x) and https://h/y?token={TOKEN}") == (
        "see (https://h/x) and https://h/y"
    )


def every_text(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_token_in_the_api_url_is_written_nowhere(
    paretobot, engine, cli_env, tmp_path, monkeypatch, dry_run
):
    two_changes(engine)
    host = cli_env.url.removeprefix("http://")
    monkeypatch.setenv("GITHUB_API_URL", f"http://x-access-token:{TOKEN}@{host}")
    monkeypatch.setenv("GITHUB_SERVER_URL", f"https://x-access-token:{TOKEN}@github.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", BENCH)
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    folder = tmp_path / "out"
    changelog = folder / "perf-changelog.yaml"
    args = publish_args(changelog) + (["--dry-run", folder / "posts"] if dry_run else [])
    run = paretobot(*args, "--json")
    assert run.code == 0, run.err
    written_to = folder / "posts" if dry_run else folder  # a dry run leaves the real one be
    entries = yaml.safe_load((written_to / changelog.name).read_text())
    assert len(entries) == 2
    issue_page = f"{cli_env.url}/{BENCH}/issues/7"
    if dry_run:
        assert [e["pr-link"] for e in entries] == [issue_page] * 2
        assert cli_env.requests == []
    else:
        assert all(e["pr-link"].startswith(issue_page + "#issuecomment-") for e in entries)
        assert len(cli_env.comments(BENCH, 7)) == 2
    written = every_text(folder) + run.out + run.err
    written += "".join(c["body"] for c in cli_env.comments(BENCH, 7))
    assert TOKEN not in written and "x-access-token" not in written
