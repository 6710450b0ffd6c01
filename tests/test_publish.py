"""Publishing: one comment per change edited in place, inert upstream text, an idempotent changelog
in InferenceX's shape, the digest's order, and --dry-run files with no request sent."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import SHARED

from bot import publish, store
from bot.analysis.verdict import (
    BREAKAGE,
    IMPROVEMENT,
    NO_CHANGE,
    REGRESSION,
    UNLOCK,
    judge,
)
from bot.app.digest import gather_digest
from bot.config import AnalysisPolicy
from bot.github.api import connect, settings_from_env
from bot.ingest import ParsedFile
from bot.model import Attribution, Build, Candidate, ConfigKey, Point, PullRequest, Run, Sweep
from bot.publish import changelog
from bot.report.comment import change_key, comment_markdown, headline
from bot.report.digest import (
    Digest,
    DigestChange,
    digest_html,
    digest_json,
    digest_markdown,
    open_bisections,
)

pytest_plugins = ["standin.plugin"]

INFERENCEX_CHANGELOG = SHARED / "inferencex" / "configs" / "perf-changelog.yaml"
KIMI = ConfigKey("kimik2.5", "int4", "mi355x", "vllm", 1024, 1024, gpus=8, tp=8, spec_method="mtp")
OLD = Build("vllm", "v0.20.0", image="vllm/vllm-openai-rocm:v0.20.0")
NEW = Build("vllm", "v0.21.0", commit="4f2c1e9a7b3d", image="vllm/vllm-openai-rocm:v0.21.0")
CURVE = [(4, 110.0, 100.0), (16, 70.0, 400.0), (64, 35.0, 1100.0), (256, 12.0, 2400.0)]
POLICY = AnalysisPolicy()
BENCH = "paretobot/benchmarks"
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
HOSTILE_TITLE = "@everyone <script>alert(1)</script> fix | cell `code` **bold**\n| x | y |"
HOSTILE_AUTHOR = "@everyone<img src=x onerror=alert(1)>"


def runs(build, shift=1.0, config=KIMI, n=3, when=None):
    wobble = (0.99, 1.0, 1.01, 0.995, 1.005)[:n]
    return [
        Sweep(
            config,
            build,
            f"{build.version}-{i}",
            tuple(Point(c, y * shift * w, x, completed=100, failed=0) for c, x, y in CURVE),
            repeat=i,
            started_at=when,
        )
        for i, w in enumerate(wobble)
    ]


def failed(build, config=KIMI, when=None, cause="out-of-memory"):
    return [
        Sweep(
            config, build, f"{build.version}-f", (), status="failed", cause=cause, started_at=when
        )
    ]


def pull(title="[ROCm] Faster MoE kernel for MI355X", author="alice", number=35850):
    return PullRequest(
        "vllm-project/vllm",
        number,
        title,
        f"https://github.com/vllm-project/vllm/pull/{number}",
        merge_commit="4f2c1e9a7b3d",
        author=author,
    )


def attribution(v, culprit=None, decided_by="bisection"):
    culprit = culprit or pull()
    cands = (Candidate(culprit, 0.91, ("touches MoE kernels", "title names MI355X")),)
    return Attribution(
        v.config, v.baseline, v.candidate, v.kind, v.reason, cands, culprit, decided_by, runs_used=5
    )


@pytest.fixture
def gh(github_standin):
    github_standin.add_repo(BENCH)
    github_standin.add_issue(BENCH, 7, "Performance tracking")
    env = {
        "GITHUB_API_URL": github_standin.url,
        "GITHUB_TOKEN": "t",
        "PARETOBOT_GITHUB_BACKOFF": "0",
    }
    return connect(settings_from_env(env))


def writes(standin):
    return [(m, p) for m, p, _ in standin.requests if m in ("POST", "PATCH")]


# ---- comments -----------------------------------------------------------------------------------


def test_the_sentence_a_team_acts_on():
    v = judge(runs(OLD), runs(NEW, 1.31), POLICY)
    text = headline(v, attribution(v), markdown=False)
    assert text.startswith(
        "vLLM PR #35850 improved Kimi K2.5 INT4 TP=8 MTP 1k/1k on MI355X: +31.0%"
    )
    assert "throughput per GPU at matched interactivity over 12.0–110 tok/s/user (95% CI +" in text
    assert text.endswith(", 3 vs 3 runs)")
    unlock = judge(failed(OLD), runs(NEW), POLICY)
    assert headline(unlock, attribution(unlock), markdown=False).startswith(
        "vLLM PR #35850 unlocked Kimi K2.5 INT4 TP=8 MTP 1k/1k on MI355X: failed on the baseline "
        "(cause: out-of-memory)"
    )
    ranked = headline(v, attribution(v, decided_by="ranking"), markdown=False)
    assert ranked.startswith("vLLM PR #35850 likely improved")  # not confirmed: says so
    assert headline(v, markdown=False).startswith("vLLM v0.21.0 (4f2c1e9a7b) improved Kimi")


def test_comment_is_created_once_then_edited_in_place(github_standin, gh):
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    posts = publish.change_posts(v, repo=BENCH, issue=7, policy=POLICY)
    assert [o.status for o in publish.post_all(gh, posts)] == ["created"]
    (first,) = github_standin.comments(BENCH, 7)
    assert first["body"].startswith("<!-- paretobot:change:kimik2.5/int4/mi355x/vllm/")
    assert "regressed Kimi K2.5 INT4 TP=8 MTP 1k/1k on MI355X" in first["body"]

    before = len(writes(github_standin))
    rerun = publish.post_all(gh, publish.change_posts(v, repo=BENCH, issue=7, policy=POLICY))
    assert [o.status for o in rerun] == ["unchanged"]
    assert len(writes(github_standin)) == before  # a rerun writes nothing

    # new evidence for the same change: five runs a side and the culprit found by bisection
    v5 = judge(runs(OLD, n=5), runs(NEW, 0.88, n=5), POLICY)
    assert change_key(v5.config, v5.baseline, v5.candidate) == posts[0].key
    again = publish.change_posts(v5, attribution(v5), repo=BENCH, issue=7, policy=POLICY)
    assert [o.status for o in publish.post_all(gh, again)] == ["updated"]
    (edited,) = github_standin.comments(BENCH, 7)
    assert edited["id"] == first["id"]
    assert "5 vs 5 runs" in edited["body"] and "#35850" in edited["body"]
    assert [m for m, _ in writes(github_standin)].count("POST") == 1


def test_a_quoted_marker_in_someone_elses_comment_is_not_ours(github_standin, gh):
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    (post,) = publish.change_posts(v, repo=BENCH, issue=7, policy=POLICY)
    gh.get_repo(BENCH).get_issue(7).create_comment(f"> {post.marker}\n> quoting the bot")
    assert publish.post_all(gh, [post])[0].status == "created"
    bodies = [c["body"] for c in github_standin.comments(BENCH, 7)]
    assert bodies[0].startswith("> ") and bodies[1] == post.body


def test_upstream_pr_comment_is_opt_in(github_standin, gh):
    github_standin.add_repo("vllm-project/vllm")
    github_standin.add_pull("vllm-project/vllm", 35850, "Faster MoE", merged_at="2026-11-10")
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    a = attribution(v)
    default = publish.change_posts(v, a, repo=BENCH, issue=7, policy=POLICY)
    assert [p.target for p in default] == [f"{BENCH}#7"]
    opted = publish.change_posts(
        v, a, repo=BENCH, issue=7, policy=POLICY, upstream_comments={"vllm-project/vllm"}
    )
    assert [p.target for p in opted] == [f"{BENCH}#7", "vllm-project/vllm#35850"]
    publish.post_all(gh, opted)
    publish.post_all(gh, opted)
    assert len(github_standin.comments("vllm-project/vllm", 35850)) == 1


def test_a_verdict_that_is_no_longer_news_edits_but_never_creates(github_standin, gh):
    regression = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    same = judge(runs(OLD), runs(NEW, 1.0), POLICY)
    assert same.kind == NO_CHANGE
    (post,) = publish.change_posts(same, repo=BENCH, issue=7, policy=POLICY)
    assert publish.post_all(gh, [post])[0].status == "skipped"
    assert github_standin.comments(BENCH, 7) == []
    publish.post_all(gh, publish.change_posts(regression, repo=BENCH, issue=7, policy=POLICY))
    assert publish.post_all(gh, [post])[0].status == "updated"  # more runs: no regression
    (comment,) = github_standin.comments(BENCH, 7)
    assert "did not measurably change" in comment["body"]


# ---- escaping -----------------------------------------------------------------------------------


def cells(line):
    """Split a markdown table row on unescaped pipes."""
    parts, cell, i = [], "", 0
    while i < len(line):
        if line[i] == "\\":
            cell, i = cell + line[i : i + 2], i + 2
            continue
        if line[i] == "|":
            parts.append(cell)
            cell = ""
        else:
            cell += line[i]
        i += 1
    return parts[1:]  # before the first pipe is empty


def test_hostile_upstream_text_is_inert_in_the_comment():
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    evil = pull(HOSTILE_TITLE, HOSTILE_AUTHOR)
    body = comment_markdown(v, attribution(v, evil), policy=POLICY, mentions=True)
    assert "@everyone" not in body  # "@\u200beveryone" pings no one
    assert "@\u200beveryone" in body
    assert "<script" not in body and "<img" not in body
    assert "&lt;script&gt;" in body
    assert "\\`code\\`" in body and "\\*\\*bold\\*\\*" in body
    table = [line for line in body.splitlines() if line.startswith("| ")]
    header = next(line for line in table if line.startswith("| rank |"))
    width = len(cells(header))
    rows = table[table.index(header) + 2 :]
    rows = rows[: next((i for i, r in enumerate(rows) if r.startswith("| metric")), len(rows))]
    assert len(rows) == 1  # the newline in the title did not start a row
    assert len(cells(rows[0])) == width  # the pipes in the title did not add cells
    assert "| x | y |" not in body


def test_mentions_only_when_configured_and_only_real_logins():
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    a = attribution(v, pull(author="alice"))
    assert "@alice" not in comment_markdown(v, a, policy=POLICY)
    assert "@\u200balice" not in comment_markdown(v, a, policy=POLICY)  # no "@" added at all
    assert " @alice" in comment_markdown(v, a, policy=POLICY, mentions=True)
    evil = attribution(v, pull(author="org/team"))
    assert "@org" not in comment_markdown(v, evil, policy=POLICY, mentions=True)


def test_hostile_text_in_changelog_and_html_stays_text(tmp_path):
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    a = attribution(v, pull(HOSTILE_TITLE, HOSTILE_AUTHOR))
    files = changelog.ChangelogFiles(tmp_path / "perf-changelog.yaml")
    changelog.record_change(files, v, a, today=date(2026, 11, 20))
    (entry,) = yaml.safe_load(files.yaml.read_text())
    assert "\n" not in "".join(entry["description"])  # one line each, as YAML loads them
    assert any("<script>alert(1)</script>" in line for line in entry["description"])
    md_line = files.markdown.read_text().splitlines()[-1]
    assert "<script" not in md_line and "@everyone" not in md_line
    digest = Digest(T0, T0 + timedelta(days=7), (DigestChange(v, None, None, a),))
    page = digest_html(digest)
    assert "<script" not in page and "&lt;script&gt;" in page


# ---- changelog ----------------------------------------------------------------------------------


def test_changelog_entry_is_appended_once_in_inferencex_shape(tmp_path):
    target = tmp_path / "perf-changelog.yaml"
    shutil.copyfile(INFERENCEX_CHANGELOG, target)
    original = yaml.safe_load(target.read_text())
    files = changelog.ChangelogFiles(target)
    v = judge(failed(OLD), runs(NEW), POLICY)
    first = changelog.record_change(files, v, attribution(v), links=["https://gh/c/1"])
    assert [o.status for o in first] == ["created"] * 3
    text = target.read_text()
    again = changelog.record_change(files, v, attribution(v), links=["https://gh/c/1"])
    assert [o.status for o in again] == ["unchanged"] * 3
    assert target.read_text() == text

    entries = yaml.safe_load(text)
    assert entries[: len(original)] == original  # nothing else touched
    (entry,) = entries[len(original) :]
    assert set(entry) <= {"config-keys", "scenario-type", "description", "pr-link"}
    assert entry["config-keys"] == ["kimik2.5-int4-mi355x-vllm-mtp"]
    assert entry["scenario-type"] == ["fixed-seq-len"]
    assert all(isinstance(line, str) for line in entry["description"])
    assert entry["description"][0].startswith("vLLM PR #35850 unlocked Kimi K2.5 INT4 TP=8")
    assert entry["pr-link"] == "https://github.com/vllm-project/vllm/pull/35850"

    (record,) = [json.loads(line) for line in files.jsonl.read_text().splitlines()]
    assert record["upstream"]["repo"] == "vllm-project/vllm" and record["upstream"]["pr"] == 35850
    assert record["verdict"] == UNLOCK and record["config"]["slug"] == KIMI.slug
    assert record["evidence"]["links"] == ["https://gh/c/1"]
    lines = [ln for ln in files.markdown.read_text().splitlines() if ln.startswith("- ")]
    assert len(lines) == 1 and "**unlock**" in lines[0]


def test_new_evidence_edits_the_entry_and_keeps_its_date(tmp_path):
    files = changelog.ChangelogFiles(tmp_path / "perf-changelog.yaml")
    v3 = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    changelog.record_change(files, v3, today=date(2026, 11, 18), links=["https://gh/c/1"])
    v5 = judge(runs(OLD, n=5), runs(NEW, 0.88, n=5), POLICY)
    later = changelog.record_change(files, v5, attribution(v5), today=date(2026, 11, 25))
    assert [o.status for o in later] == ["updated"] * 3
    (entry,) = yaml.safe_load(files.yaml.read_text())
    assert "5 vs 5 runs" in entry["description"][0]
    (record,) = [json.loads(line) for line in files.jsonl.read_text().splitlines()]
    assert record["recorded"] == "2026-11-18" and record["interval"]["low"] < 0.9
    assert files.markdown.read_text().count("- 2026-11-18 ") == 1


def test_no_change_writes_no_entry(tmp_path):
    files = changelog.ChangelogFiles(tmp_path / "perf-changelog.yaml")
    v = judge(runs(OLD), runs(NEW), POLICY)
    assert [o.status for o in changelog.record_change(files, v)] == ["skipped"]
    assert not files.yaml.exists()


# ---- the digest ---------------------------------------------------------------------------------


def cfg(model, **kw):
    return ConfigKey(model, "fp8", "mi355x", "vllm", 1024, 1024, gpus=8, tp=8, **kw)


def week_of_changes():
    when_a, when_b = T0 - timedelta(days=20), T0 + timedelta(days=2)
    return [
        *runs(OLD, config=cfg("improved"), when=when_a),
        *runs(NEW, 1.2, config=cfg("improved"), when=when_b),
        *runs(OLD, config=cfg("regressed"), when=when_a),
        *runs(NEW, 0.8, config=cfg("regressed"), when=when_b),
        *failed(OLD, config=cfg("unlocked"), when=when_a),
        *runs(NEW, config=cfg("unlocked"), when=when_b),
        *runs(OLD, config=cfg("broken"), when=when_a),
        *failed(NEW, config=cfg("broken"), when=when_b, cause="launch-failure"),
        *runs(OLD, config=cfg("same"), when=when_a),
        *runs(NEW, config=cfg("same"), when=when_b),
        *runs(OLD, config=cfg("quiet"), when=when_a),
        *runs(NEW, config=cfg("future"), when=T0 + timedelta(days=30)),  # after --until
    ]


BISECTIONS = [
    {
        "config": "dsr1 fp8 mi355x",
        "baseline": "v0.20.0",
        "candidate": "v0.21.0",
        "remaining_runs": 4,
    }
]


def test_digest_puts_regressions_first_then_unlocks_improvements_breakages():
    digest = gather_digest(
        week_of_changes(),
        since=T0,
        until=T0 + timedelta(days=7),
        policy=POLICY,
        bisections=BISECTIONS,
    )
    text = digest_markdown(digest)
    order = [
        "### 🔴 Regressions (1)",
        "### 🔓 Unlocks (1)",
        "### 🟢 Improvements (1)",
        "### 💥 Breakages (1)",
        "### 🔎 Open bisections (1)",
        "### 💤 No fresh data (1)",
    ]
    positions = [text.index(h) for h in order]
    assert positions == sorted(positions)
    assert text.index("regressed regressed") < text.index("unlocked unlocked")
    assert "| dsr1 fp8 mi355x | v0.20.0 | v0.21.0 | 4 |" in text
    assert "| quiet FP8 TP=8 1k/1k on MI355X with vLLM | vLLM v0.20.0 | 2026-10-27 |" in text
    assert digest.unchanged == 1 and "future" not in text
    data = digest_json(digest)
    assert [c["verdict"] for c in data["regressions"]] == [REGRESSION]
    assert [c["verdict"] for c in data["breakages"]] == [BREAKAGE]
    assert [c["verdict"] for c in data["improvements"]] == [IMPROVEMENT]
    assert data["open_bisections"][0]["remaining"] == 4


def test_builds_without_times_go_by_storage_order_and_count_as_fresh():
    sweeps = runs(OLD, config=cfg("x")) + runs(NEW, 0.8, config=cfg("x"))
    digest = gather_digest(sweeps, since=T0, until=T0 + timedelta(days=7), policy=POLICY)
    (change,) = digest.changes
    assert (change.verdict.baseline, change.verdict.candidate, change.verdict.kind) == (
        OLD,
        NEW,
        REGRESSION,
    )


# ---- the CLI ------------------------------------------------------------------------------------


def stored(engine, sweeps, name):
    digest = hashlib.sha256(name.encode()).hexdigest()
    parsed = ParsedFile(Path(name), digest, "vllm-bench-serve", tuple(sweeps))
    assert store.add_file(engine, parsed)


@pytest.fixture
def github_env(github_standin, monkeypatch):
    github_standin.add_repo(BENCH)
    github_standin.add_issue(BENCH, 7, "Performance tracking")
    monkeypatch.setenv("GITHUB_API_URL", github_standin.url)
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    monkeypatch.setenv("PARETOBOT_GITHUB_BACKOFF", "0")
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    return github_standin


def test_publish_dry_run_writes_every_post_and_sends_nothing(
    paretobot, engine, github_env, tmp_path
):
    stored(engine, runs(OLD, when=T0), "old.json")
    stored(engine, runs(NEW, 0.88, when=T0 + timedelta(days=1)), "new.json")
    changelog = tmp_path / "repo" / "perf-changelog.yaml"
    changelog.parent.mkdir()
    shutil.copyfile(INFERENCEX_CHANGELOG, changelog)
    out = tmp_path / "posts"
    run = paretobot(
        "publish",
        "--baseline",
        "v0.20.0",
        "--candidate",
        "v0.21.0",
        "--repo",
        BENCH,
        "--issue",
        "7",
        "--changelog",
        changelog,
        "--dry-run",
        out,
        "--json",
    )
    assert run.code == 0, run.err
    assert github_env.requests == []  # not one request, not even a read
    assert changelog.read_text() == INFERENCEX_CHANGELOG.read_text()  # the real one untouched
    (post,) = json.loads((out / "posts.json").read_text())
    assert (post["repo"], post["issue"], post["what"]) == (BENCH, 7, "change")
    body = (out / post["file"]).read_text()
    assert body.startswith("<!-- paretobot:change:") and "regressed Kimi K2.5" in body
    entries = yaml.safe_load((out / "perf-changelog.yaml").read_text())
    assert len(entries) == len(yaml.safe_load(changelog.read_text())) + 1
    assert entries[-1]["pr-link"] == f"{github_env.url}/{BENCH}/issues/7"
    assert (out / "perf-changelog.jsonl").exists() and (out / "CHANGELOG-perf.md").exists()
    assert {o["status"] for o in run.json()["outcomes"]} == {"written", "created"}


def test_publish_posts_then_a_rerun_changes_nothing(paretobot, engine, github_env, tmp_path):
    stored(engine, runs(OLD, when=T0), "old.json")
    stored(engine, runs(NEW, 0.88, when=T0 + timedelta(days=1)), "new.json")
    folder = tmp_path / "changelog"
    changelog = folder / "perf-changelog.yaml"
    args = [
        "publish",
        "--baseline",
        "v0.20.0",
        "--candidate",
        "v0.21.0",
        "--repo",
        BENCH,
        "--issue",
        "7",
        "--changelog",
        changelog,
        "--json",
    ]
    first = paretobot(*args)
    assert first.code == 0, first.err
    assert [o["status"] for o in first.json()["outcomes"]] == ["created"] * 4
    (comment,) = github_env.comments(BENCH, 7)
    (entry,) = yaml.safe_load(changelog.read_text())
    assert entry["pr-link"] == comment["html_url"]  # no culprit yet: the comment is the evidence
    snapshot = {p: p.read_text() for p in folder.iterdir()}
    rerun = paretobot(*args)
    assert [o["status"] for o in rerun.json()["outcomes"]] == ["unchanged"] * 4
    assert len(github_env.comments(BENCH, 7)) == 1
    assert {p: p.read_text() for p in folder.iterdir()} == snapshot


def test_publish_needs_somewhere_to_publish(paretobot, engine, github_env):
    stored(engine, runs(OLD), "old.json")
    stored(engine, runs(NEW, 0.88), "new.json")
    run = paretobot("publish", "--baseline", "v0.20.0", "--candidate", "v0.21.0")
    assert run.code == 1 and "nothing to publish to" in run.err
    run = paretobot("publish", "--baseline", "v0.20.0", "--candidate", "v0.21.0", "--issue", "7")
    assert run.code == 1 and "--issue needs --repo" in run.err


def test_digest_cli_json_html_dry_run_and_post(paretobot, engine, github_env, tmp_path):
    stored(engine, week_of_changes(), "week.json")
    bisections = tmp_path / "bisections.json"
    bisections.write_text(json.dumps(BISECTIONS))
    window = ["--since", "7d", "--until", (T0 + timedelta(days=7)).isoformat()]
    data = paretobot("digest", *window, "--json", "--bisections", bisections).json()
    assert [len(data[k]) for k in ("regressions", "unlocks", "improvements", "breakages")] == [
        1,
        1,
        1,
        1,
    ]
    assert len(data["no_fresh_data"]) == 1 and data["unchanged"] == 1

    page = tmp_path / "digest.html"
    out = tmp_path / "dry"
    run = paretobot(
        "digest", *window, "--html", page, "--dry-run", out, "--repo", BENCH, "--issue", "7"
    )
    assert run.code == 0, run.err
    assert github_env.requests == []
    assert page.read_text().count('class="plot" src="data:image/svg+xml;base64,') == 4
    (post,) = json.loads((out / "posts.json").read_text())
    assert post["what"] == "digest" and (out / post["file"]).read_text().startswith(
        "<!-- paretobot:digest:2026-11-16..2026-11-23 -->"
    )

    for status in ("created", "unchanged"):
        run = paretobot("digest", *window, "--repo", BENCH, "--issue", "7")
        assert run.out.startswith(status), run.out + run.err
    (comment,) = github_env.comments(BENCH, 7)
    assert "### 🔴 Regressions (1)" in comment["body"]


def test_digest_prints_markdown_and_refuses_a_bad_window(paretobot, engine, github_env):
    stored(engine, week_of_changes(), "week.json")
    run = paretobot("digest", "--until", "2026-11-23")
    assert run.code == 0 and "## paretobot digest, 2026-11-16 to 2026-11-23" in run.out
    assert paretobot("digest", "--since", "next week").code == 1
    assert github_env.requests == []


def test_a_huge_digest_is_cut_to_fit_one_comment():
    v = judge(runs(OLD), runs(NEW, 0.8), POLICY)
    many = tuple(DigestChange(v, None, None) for _ in range(400))
    digest = Digest(T0, T0 + timedelta(days=7), many)
    assert len(digest_markdown(digest)) > 65_536
    post = publish.digest_post(digest, BENCH, 7)
    assert len(post.body) <= publish.MAX_COMMENT_CHARS
    assert "more (`paretobot digest --json` or the HTML page lists them all)" in post.body


def test_each_issue_is_listed_once_per_run(github_standin, gh):
    changes = [
        judge(runs(OLD, config=cfg(m)), runs(NEW, 0.8, config=cfg(m)), POLICY)
        for m in ("a", "b", "c")
    ]
    posts = [
        p for v in changes for p in publish.change_posts(v, repo=BENCH, issue=7, policy=POLICY)
    ]
    assert [o.status for o in publish.post_all(gh, posts)] == ["created"] * 3
    calls = [(m, p.split("?")[0]) for m, p, _ in github_standin.requests]
    comments = f"/repos/{BENCH}/issues/7/comments"
    # listed once to find the bot's comments, and once more after each create (a concurrent
    # publisher's duplicate shows there)
    assert calls.count(("GET", comments)) == 1 + 3 and calls.count(("POST", comments)) == 3
    assert calls.count(("GET", "/user")) == 1  # who the bot is: asked once per run
    before = len(github_standin.requests)
    assert [o.status for o in publish.post_all(gh, posts)] == ["unchanged"] * 3
    rerun = [(m, p.split("?")[0]) for m, p, _ in github_standin.requests[before:]]
    assert rerun.count(("GET", comments)) == 1 and not [m for m, _ in rerun if m != "GET"]


def test_open_bisections_come_as_dicts_or_objects():
    state = SimpleNamespace(
        config_slug=KIMI.slug, commits=("a" * 40, "b" * 40, "c" * 40), good=0, bad=2, remaining=3
    )
    given = [state, {"config": KIMI, "baseline": OLD, "candidate": NEW, "remaining_runs": 1}]
    first, second = open_bisections(given)
    assert (first.config, first.baseline, first.candidate, first.remaining) == (
        KIMI.slug,
        "a" * 10,
        "c" * 10,
        3,
    )
    assert second.config == "Kimi K2.5 INT4 TP=8 MTP 1k/1k on MI355X with vLLM"
    assert (second.baseline, second.remaining) == ("vLLM v0.20.0", 1)


# ---- links to the runs (provenance; real runner records: tests/test_provenance.py) ---------------

RUN_URL = "https://github.com/paretobot/benchmarks/actions/runs/11/attempts/2"


def test_run_records_link_the_runs_and_hostile_ones_stay_inert():
    """Run records as the store gives them (ingest refuses such values; the renderers must not
    trust that): only a plain http(s) address becomes a link, every name is escaped, and the
    job to reproduce stays in its code block."""
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    job = {
        "model": "moonshotai/Kimi-K2.5",
        "framework": "vllm",
        "hardware": "mi355x",
        "precision": "int4",
        "isl": 1024,
        "osl": 1024,
        "concurrencies": [4, 16],
        "reasons": ["```\n</details><b>x</b> @everyone"],
    }
    records = {
        "v0.21.0-0": Run("v0.21.0-0", url=RUN_URL, runner="gpu | 1 **x**", job=json.dumps(job)),
        "v0.21.0-1": Run("v0.21.0-1", url="javascript:alert(1)"),
        "v0.20.0-0": Run("v0.20.0-0", url="https://x.example/a)](javascript:alert(1)"),
    }
    (post,) = publish.change_posts(v, repo=BENCH, issue=7, policy=POLICY, runs=records)
    body = post.body
    assert f"(runs [v0.21.0-0]({RUN_URL}), v0.21.0-1, v0.21.0-2)" in body
    assert "(runs v0.20.0-0, v0.20.0-1, v0.20.0-2)" in body
    assert "javascript" not in body and "<b>" not in body and "@everyone" not in body
    assert "runner gpu \\| 1 \\*\\*x\\*\\*" in body
    assert body.count("<details>") == 1 and body.count("</details>") == 1
    (block,) = body.split("```json\n", 1)[1].split("\n```", 1)[:1]
    assert json.loads(block) == job
    # no records: the comment as before, ids only and nothing to reproduce
    (plain_post,) = publish.change_posts(v, repo=BENCH, issue=7, policy=POLICY)
    assert "#### Reproduce" not in plain_post.body and RUN_URL not in plain_post.body


def test_changelog_record_and_digest_carry_run_urls(tmp_path):
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    records = {"v0.21.0-0": Run("v0.21.0-0", url=RUN_URL)}
    files = changelog.ChangelogFiles(tmp_path / "perf-changelog.yaml")
    changelog.record_change(files, v, today=date(2026, 11, 20), runs=records)
    (entry,) = [json.loads(line) for line in files.jsonl.read_text().splitlines()]
    assert entry["runs"][0] == {"run_id": "v0.20.0-0", "side": "baseline", "url": None}
    assert {"run_id": "v0.21.0-0", "side": "candidate", "url": RUN_URL} in entry["runs"]
    assert len(entry["runs"]) == 6
    digest = Digest(T0, T0 + timedelta(days=7), (DigestChange(v, None, None),), runs=records)
    assert f"Candidate runs: [v0.21.0-0]({RUN_URL}), v0.21.0-1, v0.21.0-2." in digest_markdown(
        digest
    )
    assert f'<a href="{RUN_URL}">v0.21.0-0</a>' in digest_html(digest)
    (listed,) = digest_json(digest)["regressions"]
    assert [r["url"] for r in listed["runs"] if r["url"]] == [RUN_URL]


def test_control_and_bidi_characters_never_reach_a_reader(tmp_path):
    """A PR title with an ANSI escape, a right-to-left override and a NUL: gone (spaces) from the
    comment, the changelog files and the digest page, its visible words kept where it is shown
    (the JSON Lines record keeps the title as data, JSON-escaped)."""
    v = judge(runs(OLD), runs(NEW, 0.88), POLICY)
    title = "Fix \x1b[2Jclear \u202eexe.txt and \x00nul"
    a = attribution(v, pull(title, "alice"))
    body = comment_markdown(v, a, policy=POLICY)
    files = changelog.ChangelogFiles(tmp_path / "perf-changelog.yaml")
    changelog.record_change(files, v, a, today=date(2026, 11, 20))
    page = digest_html(Digest(T0, T0 + timedelta(days=7), (DigestChange(v, None, None, a),)))
    written = (body, files.markdown.read_text(), files.yaml.read_text(), page)
    for text in written:
        assert not any(ch in text for ch in ("\x1b", "\u202e", "\x00")), repr(text[:200])
    (entry,) = yaml.safe_load(files.yaml.read_text())
    for text in (body, page, " ".join(entry["description"])):  # where the title is shown
        assert "clear" in text and "exe.txt" in text
