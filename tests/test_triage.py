"""Triage on real results (the H200 runs of tests/data/h200): every change `publish` and `digest`
find is recorded once with an identity and a state; people ack, ignore, note and reopen it (kept
with who and why); a later comparison that undoes a regression fixes it; the comment and the
digest show the state; alerts go to new changes only, once, and an ignored change never again
(a real local HTTP receiver takes them). On SQLite and, where configured, PostgreSQL."""

from __future__ import annotations

import json
import math
import statistics
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from test_h200 import RESULTS, _peak

from bot import store
from bot.store import triage as rows
from bot.store.engine import writing

pytest_plugins = ["standin.plugin"]

E1, S, E2 = "5.17.0+eager", "5.17.0+sdpa", "5.17.0+eager-again"
BENCH = "paretobot/benchmarks"


@pytest.fixture
def results(paretobot):
    """eager r0, r1 as build E1; every sdpa run as S; eager r2 as E2 (each file once: the store
    keeps a second copy of the same bytes as a copy, not as new results)."""
    for label, folders in (
        (E1, ["eager-r0", "eager-r1"]),
        (S, ["sdpa-r0", "sdpa-r1", "sdpa-r2"]),
        (E2, ["eager-r2"]),
    ):
        done = paretobot("ingest", *(RESULTS / f for f in folders), "--framework-version", label)
        assert done.code == 0, done.err


def _geo_peak(setting, repeats):
    return math.exp(statistics.fmean(math.log(_peak(setting, r)) for r in repeats))


def _publish(paretobot, tmp_path, baseline, candidate, *extra):
    done = paretobot(
        "publish", "--baseline", baseline, "--candidate", candidate, "--repo", BENCH,
        "--issue", "7", "--dry-run", tmp_path / "posts", *extra,
    )  # fmt: skip
    assert done.code == 0, done.err
    return done


def _changes(paretobot, *args):
    done = paretobot("changes", "--json", *args)
    assert done.code == 0, done.err
    return done.json()


def test_publish_records_a_change_once_with_the_compared_effect(
    paretobot, tmp_path, results, engine
):
    _publish(paretobot, tmp_path, E1, S)
    (change,) = _changes(paretobot)
    assert (change["kind"], change["state"], change["source"]) == ("regression", "new", "verdict")
    assert (change["baseline"]["version"], change["candidate"]["version"]) == (E1, S)
    # the effect is the peak throughput ratio computed from SGLang's own output files (the runs
    # share no interactivity range, so the peak leads): geometric means of each run's peak
    expected = _geo_peak("sdpa", ("r0", "r1", "r2")) / _geo_peak("eager", ("r0", "r1")) - 1
    assert change["effect"] == pytest.approx(expected, rel=1e-6)
    assert change["low"] < change["effect"] < change["high"] < 0
    assert sorted(change["runs"]) == sorted(
        s.run_id for s in store.load_sweeps(engine)
        if s.build.version in (E1, S)
    )  # fmt: skip
    first_seen = change["first_seen"]
    _publish(paretobot, tmp_path, E1, S)  # a rerun: the same change, not a second one
    (again,) = _changes(paretobot)
    assert again["first_seen"] == first_seen and again["last_seen"] >= first_seen
    shown = paretobot("changes", "show", change["id"], "--json").json()
    assert [e["action"] for e in shown["events"]] == ["detected"]


def test_people_ack_ignore_note_and_reopen_with_who_and_why(paretobot, tmp_path, results):
    _publish(paretobot, tmp_path, E1, S)
    (change,) = _changes(paretobot)
    cid = change["id"]
    done = paretobot("ack", cid[:6], "--reason", "looking into the SDPA path", "--by", "alice")
    assert done.code == 0, done.err
    assert done.out == f"{cid}: acknowledged by alice: looking into the SDPA path\n"
    assert [c["id"] for c in _changes(paretobot, "--state", "acknowledged")] == [cid]
    assert _changes(paretobot, "--state", "new") == []
    done = paretobot("note", cid, "--reason", "reproduced on a second host", "--by", "bob")
    assert done.code == 0 and _changes(paretobot)[0]["state"] == "acknowledged"
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    done = paretobot("ignore", cid, "--reason", "expected: SDPA is the slow path", "--until", until)
    assert done.code == 0, done.err
    (ignored,) = _changes(paretobot, "--state", "ignored")
    assert ignored["expires_at"].startswith(until) and ignored["reason"].startswith("expected")
    assert paretobot("reopen", cid, "--by", "carol").code == 0
    events = paretobot("changes", "show", cid, "--json").json()["events"]
    assert [(e["action"], e["actor"]) for e in events] == [
        ("detected", ""),
        ("ack", "alice"),
        ("note", "bob"),
        ("ignore", events[3]["actor"]),  # no --by: $GITHUB_ACTOR or this machine's login
        ("reopen", "carol"),
    ]
    assert events[3]["text"] == f"expected: SDPA is the slow path (until {until})"
    assert _changes(paretobot)[0]["state"] == "new"


def test_naming_a_change_wrongly_is_one_line(paretobot, tmp_path, results):
    _publish(paretobot, tmp_path, E1, S)
    cid = _changes(paretobot)[0]["id"]
    listed = " (list them with `paretobot changes`)"
    states = "new, acknowledged, attributed, ignored, fixed, or 'open' (the first three)"
    for args, line in (
        (("ack", "zzzzzzzz", "--reason", "x"), f"no change 'zzzzzzzz'{listed}"),
        (("ack", cid[:3], "--reason", "x"),
         f"no change '{cid[:3]}'; give 6 or more characters of its id{listed}"),
        (("ack", cid, "--reason", "   "), "ack needs a reason (--reason TEXT)"),
        (("ignore", cid, "--reason", "x", "--until", "2020-01-01"),
         "--until must be in the future"),
        (("changes", "--state", "closed"), f"--state: 'closed' is not one of {states}"),
    ):  # fmt: skip
        done = paretobot(*args)
        assert (done.code, done.err) == (1, f"paretobot: {line}\n")


def test_a_later_comparison_that_undoes_a_regression_fixes_it(paretobot, tmp_path, results):
    _publish(paretobot, tmp_path, E1, S)
    assert [c["kind"] for c in _changes(paretobot)] == ["regression"]
    compared = paretobot("compare", "--baseline", S, "--candidate", E2, "--json").json()
    assert compared[0]["verdict"] == "improvement"  # what the fix rests on
    _publish(paretobot, tmp_path, S, E2)
    by_kind = {c["kind"]: c for c in _changes(paretobot)}
    assert by_kind["regression"]["state"] == "fixed"
    assert by_kind["regression"]["fixed_by"] == by_kind["improvement"]["key"]
    assert by_kind["improvement"]["state"] == "new"
    assert _changes(paretobot, "--state", "open") == [by_kind["improvement"]]


def test_the_comment_and_the_digest_show_the_state(paretobot, tmp_path, results):
    _publish(paretobot, tmp_path, E1, S)
    cid = _changes(paretobot)[0]["id"]
    hostile = "known <script>x</script> @everyone | cell\x1b[31m"
    assert paretobot("ack", cid, "--reason", hostile, "--by", "alice").code == 0
    _publish(paretobot, tmp_path, E1, S)
    posts = tmp_path / "posts"
    (post,) = json.loads((posts / "posts.json").read_text())
    body = (posts / post["file"]).read_text()
    assert f"**Triage** (change `{cid}`): acknowledged by alice: known" in body
    assert "<script>" not in body and "@everyone" not in body and "\x1b" not in body
    assert f"`/paretobot ignore {cid} REASON" in body
    shown = paretobot("changes")
    assert "\x1b" not in shown.out and "state: acknowledged by alice: known" in shown.out
    # the digest records what it finds the same way, and shows the state
    digest = paretobot("digest", "--since", "2020-01-01", "--json")
    assert digest.code == 0, digest.err
    (found,) = [c for section in ("regressions", "improvements") for c in digest.json()[section]]
    stored = {c["id"]: c for c in _changes(paretobot)}
    assert found["triage"]["state"] == stored[found["triage"]["id"]]["state"] == "new"
    assert stored[found["triage"]["id"]]["key"] == found["key"]
    assert paretobot("ack", found["triage"]["id"], "--reason", "on it", "--by", "dana").code == 0
    text = paretobot("digest", "--since", "2020-01-01").out
    assert f"Triage (`{found['triage']['id']}`): acknowledged by dana: on it." in text


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict]] = []

    def do_POST(self):
        size = int(self.headers.get("Content-Length", 0))
        type(self).bodies.append(json.loads(self.rfile.read(size)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(tmp_path, monkeypatch):
    """A real HTTP server taking apprise's generic JSON webhook, configured as a team channel."""
    _Receiver.bodies = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    configs = tmp_path / "team-configs"
    configs.mkdir()
    (configs / "notify.yaml").write_text(
        "channels:\n  - name: perf-team\n    url_env: PERF_HOOK\n"
        "    kinds: [regression, improvement]\n"
    )
    monkeypatch.setenv("PERF_HOOK", f"json://127.0.0.1:{server.server_port}/hook")
    monkeypatch.setenv("PARETOBOT_CONFIGS", str(configs))
    yield _Receiver.bodies
    server.shutdown()


def test_alerts_go_once_to_new_changes_and_never_to_ignored_ones(
    paretobot, tmp_path, results, webhook, engine
):
    _publish(paretobot, tmp_path, E1, S)
    (change,) = _changes(paretobot)
    # the dry run writes the message to its folder and sends nothing: the change stays owed
    assert webhook == [] and change["alerted_at"] is None
    done = paretobot(
        "publish", "--baseline", E1, "--candidate", S, "--changelog", tmp_path / "c.yaml"
    )
    assert done.code == 0, done.err
    assert len(webhook) == 1
    assert f"{change['effect'] * 100:+.1f}%" in webhook[0]["message"]
    assert change["sentence"].split(":")[0] in webhook[0]["message"]
    assert paretobot("publish", "--baseline", E1, "--candidate", S, "--changelog",
                     tmp_path / "c.yaml").code == 0  # fmt: skip
    assert len(webhook) == 1  # alerted once
    assert paretobot("ignore", change["id"], "--reason", "accepted", "--until", "3d").code == 0
    with writing(engine) as conn:  # the ignore lapses (as if three days passed)
        rows.update(conn, change["key"], expires_at=datetime.now(UTC) - timedelta(minutes=1),
                    alerted_at=datetime.now(UTC))  # fmt: skip
    assert paretobot("publish", "--baseline", E1, "--candidate", S, "--changelog",
                     tmp_path / "c.yaml").code == 0  # fmt: skip
    assert len(webhook) == 2 and _changes(paretobot)[0]["state"] == "new"  # alerted again
    assert paretobot("ignore", change["id"], "--reason", "accepted for good").code == 0
    assert paretobot("publish", "--baseline", E1, "--candidate", S, "--changelog",
                     tmp_path / "c.yaml").code == 0  # fmt: skip
    assert len(webhook) == 2  # an ignored change is never alerted again


def test_the_digest_records_a_step_in_history_once(paretobot, engine):
    """Twelve builds, the last six 20% slower: the digest records the change point as a change
    between the builds on its two sides, shows it, and a second digest finds the same one."""
    from test_publish import KIMI, runs, stored

    from bot.model import Build

    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(12):
        build = Build("vllm", f"v0.{i + 10}.0")
        shift = 1.0 if i < 6 else 0.8
        stored(engine, runs(build, shift, n=2, when=t0 + timedelta(days=i)), f"b{i}.json")
    digest = paretobot("digest", "--since", "2026-11-05", "--until", "2026-11-20", "--json")
    assert digest.code == 0, digest.err
    (step,) = digest.json()["history_steps"]
    assert (step["baseline"]["version"], step["candidate"]["version"]) == ("v0.15.0", "v0.16.0")
    assert (step["source"], step["kind"], step["state"]) == ("changepoint", "regression", "new")
    assert step["effect"] == pytest.approx(0.8 - 1, abs=0.01)  # the medians' step, as seeded
    assert step["config"]["slug"] == KIMI.slug
    text = paretobot("digest", "--since", "2026-11-05", "--until", "2026-11-20").out
    assert f"Triage (`{step['id']}`): new." in text and "Steps in history (1)" in text
    assert [c["id"] for c in _changes(paretobot) if c["source"] == "changepoint"] == [step["id"]]


def test_a_named_pull_request_attributes_a_change(engine, results):
    from bot.app import judge, triage
    from bot.model import Attribution, PullRequest

    (v,) = judge.verdicts(engine, E1, S)
    pull = PullRequest("huggingface/transformers", 41234, "Faster SDPA", "not a url", "c0ffee1")
    named = Attribution(v.config, v.baseline, v.candidate, v.kind, v.reason, (), culprit=pull)
    recorded = triage.record(
        engine, [v], attributions={triage.detected(v, confidence=0.95).key: named}
    )
    (change,) = recorded.changes
    # an address that is not a plain http(s) URL is rebuilt from the repository and number
    assert (change.state, change.pull) == (
        "attributed",
        "https://github.com/huggingface/transformers/pull/41234",
    )
    assert recorded.new == [change] and triage.to_alert(recorded.changes) == [change]
    triage.act(engine, change.id, "ack", reason="mine", actor="erin")
    assert triage.to_alert(triage.states_by_key(engine, [change.key]).values()) == []


def _record_in_child(db_url, verdict, barrier):
    from bot.app import triage

    barrier.wait(timeout=60)
    triage.record(store.open_store(db_url), [verdict])


def test_processes_recording_one_change_at_once_store_it_once(engine, db_url, results):
    import multiprocessing

    from bot.app import judge

    (v,) = judge.verdicts(engine, E1, S)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(4)
    workers = [ctx.Process(target=_record_in_child, args=(db_url, v, barrier)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    (change,) = rows.load_changes(engine)
    assert [e.action for e in rows.events(engine, change.key)] == ["detected"]


def test_a_step_between_builds_without_start_times_is_recorded_too(paretobot, engine):
    """Builds whose runs state no start time are ordered as stored and count as in the window:
    twelve of them are twelve builds for the detector, not one."""
    from test_publish import runs, stored

    from bot.model import Build

    for i in range(12):
        build = Build("vllm", f"v0.{i + 10}.0")
        stored(engine, runs(build, 1.0 if i < 6 else 0.8, n=2), f"u{i}.json")
    digest = paretobot("digest", "--since", "2026-11-05", "--until", "2026-11-20", "--json")
    assert digest.code == 0, digest.err
    (step,) = digest.json()["history_steps"]
    assert (step["baseline"]["version"], step["candidate"]["version"]) == ("v0.15.0", "v0.16.0")
