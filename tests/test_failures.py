"""Failures are results: the runner's failure.json is stored with its cause and becomes an
unlock, a breakage or a partial verdict, never an error."""

from __future__ import annotations

import json

import pytest
from conftest import REAL

from bot import store

META = {
    "hardware": "cpu", "gpus": 1, "precision": "bf16", "framework": "vllm", "model": "tiny",
    "isl": 128, "osl": 64,
}  # fmt: skip


def run_folder(root, version, repeat=0, failure=None, points=True):
    """A folder in the runner's layout: r<repeat>/ with results, meta and maybe failure.json."""
    folder = root / version / f"r{repeat}"
    folder.mkdir(parents=True)
    meta = META | {"framework_version": version, "run_id": f"run-{version}", "repeat": repeat}
    (folder / "paretobot-meta.json").write_text(json.dumps(meta))
    if points:
        for c in (1, 2, 4, 8):
            doc = json.loads((REAL / "vllm" / f"c{c}.json").read_text())
            doc["date"] = f"{version}-{repeat}"  # each run's files are its own bytes
            (folder / f"c{c}.json").write_text(json.dumps(doc))
    if failure is not None:
        (folder / "failure.json").write_text(json.dumps({"paretobot": "failure", **failure}))
    return root / version


OOM = {"cause": "out-of-memory", "concurrency": None, "message": "server died", "log_tail": ["x"]}


def test_unlock_and_breakage_from_failure_records(paretobot, engine, tmp_path):
    failed = run_folder(tmp_path, "0.31.0", failure=OOM, points=False)
    works = run_folder(tmp_path, "0.32.0")
    run = paretobot("ingest", failed, works)
    assert run.code == 0, run.err
    assert "paretobot-failure" in run.out
    (v,) = paretobot("compare", "--baseline", "0.31.0", "--candidate", "0.32.0", "--json").json()
    assert v["verdict"] == "unlock" and "out-of-memory" in v["reason"]
    (v,) = paretobot("compare", "--baseline", "0.32.0", "--candidate", "0.31.0", "--json").json()
    assert v["verdict"] == "breakage"
    sweeps = {s.build.version: s for s in store.load_sweeps(engine)}
    assert sweeps["0.31.0"].status == "failed" and sweeps["0.31.0"].points == ()


def test_crash_mid_sweep_is_partial_and_keeps_the_points_before_it(paretobot, engine, tmp_path):
    base = run_folder(tmp_path, "0.32.0")
    crash = {"cause": "crash", "concurrency": 8, "message": "server exited", "log_tail": ["bye"]}
    cand = run_folder(tmp_path, "0.33.0", failure=crash)
    (cand / "r0" / "c8.json").unlink()  # the client never finished concurrency 8
    assert paretobot("ingest", base, cand).code == 0
    sweeps = {s.build.version: s for s in store.load_sweeps(engine)}
    crashed = sweeps["0.33.0"]
    # points before the crash keep the sweep ok; failed_at says where it ended
    assert crashed.status == "ok" and crashed.cause == "crash" and crashed.failed_at == (8,)
    assert [p.concurrency for p in crashed.points] == [1, 2, 4]
    (v,) = paretobot("compare", "--baseline", "0.32.0", "--candidate", "0.33.0", "--json").json()
    assert v["failed_concurrencies"] == [8]
    assert v["verdict"] in ("partial", "regression")
    assert "concurrency 8 now fails" in v["reason"]


@pytest.mark.parametrize(
    "record, words",
    [
        ({"cause": "gremlins"}, "expected one of launch-failure"),
        ({"cause": "crash", "log_tail": "not a list"}, "'log_tail' is not a list"),
        ({"cause": "crash", "concurrency": -1}, "'concurrency' is negative"),
        ({}, "missing required field 'cause'"),
    ],
)
def test_bad_failure_records_are_quarantined(paretobot, engine, tmp_path, record, words):
    folder = run_folder(tmp_path, "0.32.0", failure=record, points=False)
    run = paretobot("ingest", folder)
    assert run.code == 1 and words in run.err and "failure.json" in run.err
    assert store.count_rows(engine)["sweeps"] == 0


def test_a_bad_run_record_beside_results_does_not_stop_them(paretobot, tmp_path):
    """paretobot-run.json is the run's provenance (tests/test_provenance.py), not a result: one
    that is not a runner's record is quarantined with its reason, the results still go in."""
    folder = run_folder(tmp_path, "0.32.0")
    (folder / "paretobot-run.json").write_text(json.dumps({"job": {}, "commands": []}))
    run = paretobot("ingest", folder)
    assert run.code == 1
    assert "stored 4 file(s)" in run.out and "1 quarantined" in run.out
    assert "paretobot-run.json: paretobot-run.json is not a runner record" in run.err


def test_a_point_whose_requests_mostly_failed_is_not_on_the_frontier(paretobot, tmp_path):
    """The frontier `paretobot frontier` prints (and the site draws) leaves out a point whose
    failed requests exceed max_failed_fraction, as every verdict does; before, it was drawn."""
    folder = run_folder(tmp_path, "1.0")
    path = folder / "r0" / "c8.json"
    doc = json.loads(path.read_text())
    doc["failed"] = doc["completed"]  # half of its requests failed: over the default share
    path.write_text(json.dumps(doc))
    assert paretobot("ingest", folder).code == 0
    (frontier,) = paretobot("frontier", "--json").json()
    # the other concurrencies, read from the real files: c8 alone would have been the peak
    expected = {
        c: json.loads((REAL / "vllm" / f"c{c}.json").read_text())["total_token_throughput"]
        for c in (1, 2, 4)
    }
    shown = {p["concurrency"]: p["tput_per_gpu"] for p in frontier["points"]}
    assert 8 not in shown
    assert shown == pytest.approx({c: v for c, v in expected.items() if c in shown})
