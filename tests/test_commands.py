"""Maintainers' commands from GitHub comments (issue 15 items 1 and 6), end to end: a real change
(the H200 runs of tests/data/h200, published as the bot's comment on the GitHub stand-in), real
`issue_comment` payloads built from what the stand-in serves, `paretobot command --event FILE`,
and what GitHub then holds (replies, dispatches) and the store says (`paretobot changes`).
On SQLite and, where configured, PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
import requests.adapters
from conftest import watch_github
from test_h200 import RESULTS
from test_workflows import WORKFLOWS, events, load, triggers

from bot.app.commands import REPLY_MARKER, commands_in, quoted_ids
from bot.config.matrix import load_matrix
from bot.config.upstreams import load_upstreams
from bot.plan import feeds

pytest_plugins = ["standin.plugin", "contract.plugin"]

BENCH, VLLM = "bench/benchmarks", "vllm-project/vllm"
E1, S = "5.17.0+eager", "5.17.0+sdpa"
ISSUE = 7
MERGED, OPEN = 35850, 35900
MERGE_SHA, HEAD_SHA, BASE_SHA = "a" * 40, "b" * 40, "c" * 40
PATTERN = "dsv4/fp8/h200/vllm/*"


@pytest.fixture
def world(github_standin, tmp_path, monkeypatch):
    """The benchmark repository (tracking issue 7, its workflow, people with every role), vLLM
    with a merged and an open PR, and configs that dispatch to the benchmark repository."""
    s = github_standin
    s.retry_after = 0
    for repo in (BENCH, VLLM):
        s.add_repo(repo)
    # the inputs benchmark.yml declares: GitHub refuses a dispatch with any other (422)
    declared = events(load(WORKFLOWS / "benchmark.yml"))["workflow_dispatch"]["inputs"]
    s.add_workflow(BENCH, name="benchmark", run_name="benchmark {key}", inputs=list(declared))
    s.add_issue(BENCH, ISSUE, "Performance tracking")
    for login, role in (
        ("alice", "write"),
        ("mona", "maintain"),
        ("ada", "admin"),
        ("tim", "triage"),
        ("rory", "read"),
    ):
        s.add_collaborator(BENCH, login, role)
    s.add_commit(VLLM, BASE_SHA, "base", "2026-11-01T00:00:00Z")
    s.add_pull(
        VLLM, MERGED, "[Perf] Faster MLA for DeepSeek-V4", merged_at="2026-11-02T00:00:00Z",
        merge_commit_sha=MERGE_SHA, files=["vllm/v1/attention/mla.py"],
    )  # fmt: skip
    s.add_pull(VLLM, OPEN, "[Perf] Try a new kernel", head_sha=HEAD_SHA, user="outsider")
    watch_github(monkeypatch, tmp_path, s.url, BENCH, jobs_per_day=6)
    monkeypatch.delenv("PARETOBOT_DISPATCH_TOKEN", raising=False)
    return s


@pytest.fixture
def change(world, paretobot):
    """A real regression (eager -> sdpa on the H200 runs), published as the bot's comment on the
    tracking issue; returns its id and the comment's body."""
    for label, folders in ((E1, ["eager-r0", "eager-r1"]), (S, ["sdpa-r0", "sdpa-r1", "sdpa-r2"])):
        done = paretobot("ingest", *(RESULTS / f for f in folders), "--framework-version", label)
        assert done.code == 0, done.err
    done = paretobot(
        "publish", "--baseline", E1, "--candidate", S, "--repo", BENCH, "--issue", ISSUE
    )
    assert done.code == 0, done.err
    (posted,) = world.comments(BENCH, ISSUE)
    (found,) = changes(paretobot)
    assert f"change `{found['id']}`" in posted["body"]
    return found["id"], posted["body"]


def changes(paretobot):
    done = paretobot("changes", "--json")
    assert done.code == 0, done.err
    return done.json()


def events_of(paretobot, cid):
    done = paretobot("changes", "show", cid, "--json")
    assert done.code == 0, done.err
    return [(e["action"], e["actor"], e["text"]) for e in done.json()["events"]]


def payload(s, number, body, login, *, action="created", comment_id=None, association="OWNER"):
    """An issue_comment payload as GitHub delivers it, its parts read from the stand-in. The
    association claims OWNER on purpose: it must not be what lets anyone command."""
    if comment_id is None:
        comment_id = s.add_comment(BENCH, number, body, user=login)
    api = f"{s.url}/repos/{BENCH}"
    comment = requests.get(f"{api}/issues/comments/{comment_id}", timeout=5).json()
    comment |= {"body": body, "author_association": association}
    return {
        "action": action,
        "issue": requests.get(f"{api}/issues/{number}", timeout=5).json(),
        "comment": comment,
        "repository": requests.get(api, timeout=5).json(),
        "sender": comment["user"],
    }


def command(paretobot, tmp_path, doc, *extra):
    path = tmp_path / f"event-{doc['comment']['id']}-{doc['action']}.json"
    path.write_text(json.dumps(doc))
    return paretobot("command", "--event", path, "--event-name", "issue_comment", *extra)


def replies(s, number=ISSUE):
    return [c for c in s.comments(BENCH, number) if c["body"].startswith(f"<!-- {REPLY_MARKER}")]


def bench_jobs(s):
    return [j for d in s.dispatches(BENCH) for j in json.loads(d["inputs"]["jobs"])]


# ---- triage ------------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["alice", "mona", "ada"])
def test_people_with_write_access_triage_from_a_comment(world, change, paretobot, tmp_path, login):
    cid, _ = change
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    body = f"Thanks.\n/paretobot ignore {cid} expected: SDPA is the slow path --until {until}\n"
    done = command(paretobot, tmp_path, payload(world, ISSUE, body, login))
    assert done.code == 0, done.err
    (stored,) = changes(paretobot)
    assert (stored["state"], stored["actor"]) == ("ignored", login)
    assert stored["reason"] == "expected: SDPA is the slow path"
    assert stored["expires_at"].startswith(until)
    assert events_of(paretobot, cid)[-1] == (
        "ignore",
        login,
        f"expected: SDPA is the slow path (until {until})",
    )
    (reply,) = replies(world)
    assert reply["user"]["login"] == "paretobot"
    assert f"change `{cid}`" in reply["body"] and "**done** (ignore)" in reply["body"]
    assert f"ignored by {login} until {until}" in reply["body"]


@pytest.mark.parametrize(
    ("login", "level"), [("rory", "read"), ("tim", "triage"), ("stranger", "read")]
)
def test_people_without_write_access_are_refused_and_nothing_changes(
    world, change, paretobot, tmp_path, login, level
):
    cid, _ = change
    doc = payload(world, ISSUE, f"/paretobot ignore {cid} not a problem", login)
    done = command(paretobot, tmp_path, doc)
    assert done.code == 0, done.err
    assert changes(paretobot)[0]["state"] == "new"
    assert [e[0] for e in events_of(paretobot, cid)] == ["detected"]
    (reply,) = replies(world)
    assert "**refused**" in reply["body"] and f"{login} has {level} access" in reply["body"]
    # the permission was asked of GitHub, not taken from the payload's author_association
    asked = [p for m, p, _ in world.requests if "/collaborators/" in p]
    assert asked == [f"/repos/{BENCH}/collaborators/{login}/permission"]


@pytest.mark.parametrize(
    ("login", "kind"), [("dependabot[bot]", "Bot"), ("paretobot", "User"), ("my-app[bot]", "User")]
)
def test_bots_and_the_bot_itself_are_never_read(world, change, paretobot, tmp_path, login, kind):
    """No loops: a bot's comment, or one by the bot's own account (a user account's token writes
    as that user), commands nothing and gets no reply, whatever its text."""
    cid, _ = change
    world.add_collaborator(BENCH, login, "admin")
    doc = payload(world, ISSUE, f"/paretobot ignore {cid} from a bot", login)
    doc["comment"]["user"]["type"] = kind
    done = command(paretobot, tmp_path, doc)
    assert done.code == 0, done.err
    assert "no reply (a comment by a bot" in done.out
    assert changes(paretobot)[0]["state"] == "new"
    assert replies(world) == []


def test_a_quote_reply_names_the_change(world, change, paretobot, tmp_path):
    cid, bot_comment = change
    quote = "\n".join("> " + line for line in bot_comment.splitlines())
    body = f"{quote}\n\n/paretobot ack looking into the SDPA path"
    assert quoted_ids(body) == [cid]
    done = command(paretobot, tmp_path, payload(world, ISSUE, body, "alice"))
    assert done.code == 0, done.err
    (stored,) = changes(paretobot)
    assert (stored["state"], stored["reason"]) == ("acknowledged", "looking into the SDPA path")


def test_quoted_and_code_commands_are_not_commands(world, change, paretobot, tmp_path):
    cid, _ = change
    body = (
        f"Someone wrote:\n> /paretobot ignore {cid} quoted\n\n```\n/paretobot ignore {cid} code\n"
        f"```\n\n    /paretobot ignore {cid} indented\n\ntalking about /paretobot ignore {cid}"
    )
    assert commands_in(body) == []
    done = command(paretobot, tmp_path, payload(world, ISSUE, body, "alice"))
    assert done.code == 0 and "no reply (no command" in done.out
    assert changes(paretobot)[0]["state"] == "new" and replies(world) == []


def test_without_an_id_or_a_quote_the_reply_asks_which(world, change, paretobot, tmp_path):
    done = command(paretobot, tmp_path, payload(world, ISSUE, "/paretobot ack mine", "alice"))
    assert done.code == 0, done.err
    (reply,) = replies(world)
    assert "**refused** (ack): which change?" in reply["body"]
    assert changes(paretobot)[0]["state"] == "new"


def test_hostile_reason_is_stored_as_written_and_inert_in_the_reply(
    world, change, paretobot, tmp_path
):
    cid, _ = change
    hostile = (
        "**bold** @everyone <img src=x onerror=alert(1)> [x](javascript:alert(1)) "
        "| a | b | \x1b[31mred\u202eevil `tick` <!-- paretobot:change:x -->"
    )
    body = f"/paretobot note {cid} '{hostile}'"
    done = command(paretobot, tmp_path, payload(world, ISSUE, body, "alice"))
    assert done.code == 0, done.err
    assert events_of(paretobot, cid)[-1] == ("note", "alice", hostile)  # kept as written
    (reply,) = replies(world)
    text = reply["body"]
    assert "@everyone" not in text and "@\u200beveryone" in text
    assert "<img" not in text and "&lt;img" in text
    assert "**bold**" not in text and "\\*\\*bold\\*\\*" in text
    assert "[x](javascript" not in text and "\x1b" not in text and "\u202e" not in text
    assert "<!-- paretobot:change:" not in text
    assert text.count("<!--") == 1  # the reply's own marker only


def test_bad_commands_get_one_line_saying_what_is_accepted(world, change, paretobot, tmp_path):
    body = "/paretobot frobnicate now\n/paretobot bench --what\n/paretobot ignore"
    done = command(paretobot, tmp_path, payload(world, ISSUE, body, "alice"))
    assert done.code == 0, done.err
    (reply,) = replies(world)
    rows = [line for line in reply["body"].splitlines() if line.startswith("- ")]
    assert len(rows) == 3 and all("**refused**" in row for row in rows)
    assert "unknown command `frobnicate`; accepted: `/paretobot ack" in rows[0]
    assert "unknown option `--what`" in rows[1]
    assert world.dispatches(BENCH) == [] and changes(paretobot)[0]["state"] == "new"


def test_an_edited_command_edits_the_one_reply(world, change, paretobot, tmp_path):
    cid, _ = change
    first = payload(world, ISSUE, f"/paretobot ack {cid} mine", "alice")
    assert command(paretobot, tmp_path, first).code == 0
    edited = payload(
        world, ISSUE, f"/paretobot ignore {cid} known", "alice", action="edited",
        comment_id=first["comment"]["id"],
    )  # fmt: skip
    assert command(paretobot, tmp_path, edited).code == 0
    (reply,) = replies(world)
    assert "**done** (ignore)" in reply["body"] and "(ack)" not in reply["body"]
    assert changes(paretobot)[0]["state"] == "ignored"


def test_dry_run_writes_the_reply_and_sends_nothing(world, change, paretobot, tmp_path):
    cid, _ = change
    body = f"/paretobot ignore {cid} known\n/paretobot bench {PATTERN} --pr {VLLM}#{MERGED}"
    doc = payload(world, ISSUE, body, "alice")
    before, asked = len(world.comments(BENCH, ISSUE)), len(world.requests)
    done = command(paretobot, tmp_path, doc, "--dry-run", tmp_path / "out")
    assert done.code == 0, done.err
    reply = (tmp_path / "out" / f"reply-{doc['comment']['id']}.md").read_text()
    assert "would mark change" in reply and "would queue" in reply
    plan = json.loads((tmp_path / "out" / f"bench-{doc['comment']['id']}.json").read_text())
    assert plan["dispatches"] and plan["ref"] == "main"
    assert len(world.comments(BENCH, ISSUE)) == before
    assert world.dispatches(BENCH) == [] and changes(paretobot)[0]["state"] == "new"
    assert [m for m, _, _ in world.requests[asked:] if m != "GET"] == []  # read, never written


# ---- bench -------------------------------------------------------------------------------------


def expected_configs(pattern, upstream=VLLM):
    up = load_upstreams().upstream(upstream)
    return [j.config.slug for j in load_matrix() if feeds(up, j) and j.config.matches(pattern)]


def test_bench_on_the_tracking_issue_dispatches_once_per_comment(world, paretobot, tmp_path):
    wanted = expected_configs(PATTERN)
    assert len(wanted) >= 2, wanted
    doc = payload(world, ISSUE, f"/paretobot bench {PATTERN} --pr {VLLM}#{MERGED}", "alice")
    done = command(paretobot, tmp_path, doc, "--settle-seconds", "0")
    assert done.code == 0, done.err
    (sent,) = world.dispatches(BENCH)
    assert sent["ref"] == "main"  # the benchmark repository's own default branch
    inputs = sent["inputs"]
    assert inputs["issue"] == str(ISSUE)  # analyze.yml publishes the verdicts in this thread
    assert (inputs["upstream"], inputs["event"]) == (VLLM, f"pull:{MERGED}")
    assert (inputs["candidate"], inputs["baseline"]) == (f"pr-{MERGED}", f"pr-{MERGED}-base")
    jobs = json.loads(inputs["jobs"])
    assert [j["config"] for j in jobs] == wanted[:4]  # the per-event budget
    assert {j["commit"] for j in jobs} == {MERGE_SHA}
    assert {j["baseline"]["commit"] for j in jobs} == {BASE_SHA}
    (reply,) = replies(world)
    assert f"{min(len(wanted), 4)} job(s) queued" in reply["body"]
    assert f"{6 - min(len(wanted), 4)} of 6 jobs left today" in reply["body"]

    # the same event again, then the comment edited to ask for more: nothing more is sent
    assert command(paretobot, tmp_path, doc, "--settle-seconds", "0").code == 0
    edited = payload(
        world, ISSUE, f"/paretobot bench dsv4 --pr {VLLM}#{MERGED}", "alice", action="edited",
        comment_id=doc["comment"]["id"],
    )  # fmt: skip
    assert command(paretobot, tmp_path, edited, "--settle-seconds", "0").code == 0
    assert len(world.dispatches(BENCH)) == 1
    (reply,) = replies(world)
    assert "already queued by this comment" in reply["body"]


def test_bench_of_an_open_upstream_pr_pins_its_commit(world, paretobot, tmp_path):
    body = f"/paretobot bench {PATTERN} --pr https://github.com/{VLLM}/pull/{OPEN} --baseline v0.11"
    done = command(paretobot, tmp_path, payload(world, ISSUE, body, "mona"))
    assert done.code == 0, done.err
    (sent,) = world.dispatches(BENCH)
    jobs = json.loads(sent["inputs"]["jobs"])
    assert {j["commit"] for j in jobs} == {HEAD_SHA}
    assert {j["version"] for j in jobs} == {f"pr-{OPEN}-{HEAD_SHA[:10]}"}
    assert sent["inputs"]["baseline"] == "v0.11" and sent["ref"] == "main"
    assert all(j["baseline"] is None for j in jobs)  # a named baseline is stored: not rerun


def test_bench_respects_the_daily_budget(world, paretobot, tmp_path):
    first = payload(world, ISSUE, f"/paretobot bench {PATTERN} --pr {VLLM}#{MERGED}", "alice")
    second = payload(world, ISSUE, f"/paretobot bench {PATTERN} --pr {VLLM}#{OPEN}", "alice")
    third = payload(world, ISSUE, f"/paretobot bench {PATTERN} --pr {VLLM}#{OPEN}", "ada")
    for doc in (first, second, third):
        assert command(paretobot, tmp_path, doc, "--settle-seconds", "0").code == 0
    wanted = min(len(expected_configs(PATTERN)), 4)
    assert len(bench_jobs(world)) == min(6, 2 * wanted)  # 6 a day, however asked
    texts = [c["body"] for c in replies(world)]
    assert len(texts) == 3
    if 2 * wanted > 6:
        assert f"{2 * wanted - 6} more left out (over the daily budget of 6 jobs)" in texts[1]
    assert "**refused** (bench): over the daily budget of 6 jobs" in texts[2]


def test_bench_never_runs_a_forks_code(world, paretobot, tmp_path):
    world.add_pull(BENCH, 12, "Tune the vLLM recipe", head_repo="mallory/benchmarks")
    doc = payload(world, 12, f"/paretobot bench {PATTERN}", "alice")
    done = command(paretobot, tmp_path, doc)
    assert done.code == 0, done.err
    assert world.dispatches(BENCH) == []
    (reply,) = replies(world, 12)
    assert "comes from a fork (mallory/benchmarks)" in reply["body"]

    # the same change pushed as a branch of the benchmark repository itself: its branch runs,
    # and the results carry a name of their own (the matrix build, run with the PR's recipes)
    world.add_pull(BENCH, 13, "Tune the vLLM recipe", head_sha="d" * 40)
    world.set_branch(BENCH, "pr-13", "d" * 40)  # the PR's branch, as the stand-in names it
    done = command(paretobot, tmp_path, payload(world, 13, f"/paretobot bench {PATTERN}", "ada"))
    assert done.code == 0, done.err
    (sent,) = world.dispatches(BENCH)
    assert sent["ref"] == "pr-13" and "issue" not in sent["inputs"]  # verdicts: tracking issue
    jobs = json.loads(sent["inputs"]["jobs"])
    assert jobs and all(j["version"].endswith("-bench-pr13") for j in jobs)
    assert all(j["baseline"] is None for j in jobs)  # the PR recipe must not run the baseline
    (reply,) = replies(world, 13)
    assert f"job(s) queued for {BENCH}#13 from `pr-13`" in reply["body"]


def test_bench_on_an_issue_needs_an_upstream_pr(world, paretobot, tmp_path):
    for body, expected in (
        (f"/paretobot bench {PATTERN}", "on an issue, name the upstream pull request"),
        (f"/paretobot bench {PATTERN} --pr other/repo#1", "other/repo is not a watched upstream"),
        ("/paretobot bench nosuchmodel --pr vllm-project/vllm#35850", "no configuration"),
    ):
        doc = payload(world, ISSUE, body, "alice")
        assert command(paretobot, tmp_path, doc).code == 0
        assert expected in replies(world)[-1]["body"], replies(world)[-1]["body"]
    assert world.dispatches(BENCH) == []


# ---- polling (what .github/workflows/commands.yml runs) ----------------------------------------


def poll(paretobot, *extra):
    done = paretobot("command", "--poll", "--repo", BENCH, "--since", "1h", *extra)
    assert done.code == 0, done.err
    return done


def test_a_poll_answers_each_command_once_and_again_after_an_edit(world, change, paretobot):
    cid, _ = change
    mine = world.add_comment(BENCH, ISSUE, f"/paretobot ack {cid} mine", user="alice")
    world.add_comment(BENCH, ISSUE, f"/paretobot ignore {cid} not mine", user="rory")
    world.add_comment(BENCH, ISSUE, "just talking about /paretobot", user="rory")
    poll(paretobot)
    assert changes(paretobot)[0]["state"] == "acknowledged"
    texts = [r["body"] for r in replies(world)]
    assert len(texts) == 2 and "**done** (ack)" in texts[0] and "rory has read access" in texts[1]

    writes = len([m for m, _, _ in world.requests if m != "GET"])
    again = poll(paretobot)  # an overlapping poll: everything is answered already
    assert "no unanswered command" in again.out
    assert len([m for m, _, _ in world.requests if m != "GET"]) == writes

    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    world.edit_comment(BENCH, mine, f"/paretobot ignore {cid} known after all", at=later)
    poll(paretobot)
    assert changes(paretobot)[0]["state"] == "ignored"
    texts = [r["body"] for r in replies(world)]
    assert len(texts) == 2 and "**done** (ignore)" in texts[0]


def test_polls_dispatch_a_bench_once(world, paretobot):
    world.add_comment(BENCH, ISSUE, f"/paretobot bench {PATTERN} --pr {VLLM}#{MERGED}", user="ada")
    poll(paretobot, "--settle-seconds", "0")
    poll(paretobot, "--settle-seconds", "0")
    (sent,) = world.dispatches(BENCH)
    assert sent["inputs"]["issue"] == str(ISSUE)
    assert len(replies(world)) == 1


def test_the_workflow_polls_from_the_default_branch_on_a_hosted_runner():
    doc = load(WORKFLOWS / "commands.yml")
    # no comment can start it: issue_comment runs with secrets for anyone's text
    assert triggers(doc) == {"schedule", "workflow_dispatch"}
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert events(doc)["workflow_dispatch"]["inputs"]["since"]["type"] == "string"
    (job,) = doc["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    assert job["permissions"] == {"contents": "read"}
    (checkout,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
    assert "ref" not in checkout["with"]  # the default branch, never a pull request's head
    (step,) = [s for s in job["steps"] if "paretobot command" in s.get("run", "")]
    assert "--poll" in step["run"] and "${{" not in step["run"]
    assert step["env"]["GITHUB_TOKEN"] == "${{ secrets.PARETOBOT_DISPATCH_TOKEN }}"
    assert step["env"]["PARETOBOT_BOT_LOGIN"] == "${{ vars.PARETOBOT_BOT_LOGIN }}"


# ---- GitHub's own description of what is read and sent -----------------------------------------


def test_real_issue_comment_payloads_parse(webhook_examples):
    """GitHub's example issue_comment payloads: created and edited ones are comments to read
    (on an issue or a pull request), deleted ones command nothing."""
    from bot.app.commands import comment_event

    examples = webhook_examples.get("issue_comment")
    assert examples, "no issue_comment examples"
    for doc in examples:
        event = comment_event(doc, "issue_comment")
        if doc["action"] not in ("created", "edited"):
            assert event is None
            continue
        assert event is not None
        assert (event.repo, event.number) == (
            doc["repository"]["full_name"],
            doc["issue"]["number"],
        )
        assert event.login == doc["comment"]["user"]["login"]
        assert event.is_pull == ("pull_request" in doc["issue"])
    assert comment_event(examples[0], "pull_request") is None


def test_the_bots_command_requests_match_githubs_description(github_contract, contract_findings):
    """Every call commands make, through the bot's own functions, against Prism serving GitHub's
    REST description: requests that break it are refused, so these would fail."""
    from test_contract_github import REPO, Recorder, _bot

    from bot.github import api as gh_api
    from bot.github import threads

    gh = gh_api.connect(gh_api.Settings(api_url=github_contract, token="x", retries=0))
    http = Recorder(github_contract, contract_findings)
    real = requests.adapters.HTTPAdapter.send
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            requests.adapters.HTTPAdapter,
            "send",
            lambda adapter, request, **kw: http.send(real, adapter, request, **kw),
        )
        level = http.call(
            "permission",
            lambda: threads.permission(gh, REPO, "octocat"),
            r"/collaborators/octocat/permission$",
        )
        assert level == "admin"  # GitHub's example answer
        since = datetime(2026, 1, 1, tzinfo=UTC)
        found = http.call(
            "repository comments",
            _bot(lambda: threads.recent_comments(gh, REPO, since, most=1)),
            r"/issues/comments\?(?=.*sort=updated)(?=.*direction=asc)(?=.*since=2026-01-01)",
        )
        assert found and found[0].body
        pr = http.call("a pull request", lambda: threads.pull_info(gh, REPO, 1347), r"/pulls/1347$")
        assert pr.head_sha and pr.base_sha
        http.call("is it a pull", lambda: threads.is_pull(gh, REPO, 1347), r"/issues/1347$")
    gh.close()
    assert not http.refused


def test_stand_in_answers_commands_routes_as_github_describes(world):
    """The stand-in's collaborator permission and repository comment listing, validated against
    GitHub's published response schemas."""
    jsonschema = pytest.importorskip("jsonschema")
    from test_standin import as_json_schema, openapi_description

    spec = openapi_description()
    components = {"components": {"schemas": as_json_schema(spec["components"]["schemas"])}}
    world.add_comment(BENCH, ISSUE, "/paretobot help", user="alice")
    repo = "/repos/{owner}/{repo}"
    problems = []
    for template, path in (
        (f"{repo}/collaborators/{{username}}/permission", "/collaborators/mona/permission"),
        (f"{repo}/collaborators/{{username}}/permission", "/collaborators/nobody/permission"),
        (f"{repo}/issues/comments", "/issues/comments?since=2020-01-01T00:00:00Z&sort=updated"),
    ):
        reply = requests.get(f"{world.url}/repos/{BENCH}{path}", timeout=5)
        assert reply.status_code == 200, path
        response = spec["paths"][template]["get"]["responses"]["200"]
        schema = as_json_schema(response["content"]["application/json"]["schema"])
        validator = jsonschema.Draft202012Validator({**schema, **components})
        problems += [f"{path}: {e.json_path}: {e.message[:200]}" for e in validator.iter_errors(
            reply.json())]  # fmt: skip
    assert problems == []
    mona = requests.get(f"{world.url}/repos/{BENCH}/collaborators/mona/permission", timeout=5)
    assert (mona.json()["permission"], mona.json()["role_name"]) == ("write", "maintain")


def test_a_poll_that_cannot_tell_its_own_replies_answers_nothing(world, paretobot, monkeypatch):
    """An installation token may not ask GET /user: without PARETOBOT_BOT_LOGIN the bot could not
    find its replies, and every poll would answer every command again."""
    world.installation = True
    monkeypatch.delenv("PARETOBOT_BOT_LOGIN", raising=False)
    world.add_comment(BENCH, ISSUE, "/paretobot help", user="alice")
    done = paretobot("command", "--poll", "--repo", BENCH, "--since", "1h")
    assert done.code == 1 and "set PARETOBOT_BOT_LOGIN" in done.err
    assert replies(world) == []
    monkeypatch.setenv("PARETOBOT_BOT_LOGIN", "paretobot")  # the stand-in writes as this login
    poll(paretobot)
    poll(paretobot)
    (reply,) = replies(world)
    assert "**done** (help): commands: `/paretobot ack" in reply["body"]
