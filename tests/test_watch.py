"""The watcher and dispatcher against a real HTTP GitHub stand-in: plan, dispatch once, survive
faults and crashes without losing an event or sending a dispatch twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from conftest import watch_github

from bot import store

pytest_plugins = ["standin.plugin"]

VLLM, BENCH = "vllm-project/vllm", "bench/benchmarks"
NOW = datetime.now(UTC).replace(microsecond=0)
PULLS = {
    35850: (
        "[Perf] Faster fused MoE for Kimi-K3",
        ["vllm/model_executor/layers/fused_moe/a.py"],
        [],
    ),
    35851: ("[ROCm] Fix attention on MI355X", ["vllm/platforms/rocm.py"], ["rocm"]),
    35852: ("[Doc] Fix a typo", ["docs/usage.md"], []),
    35853: ("[Perf] Better CUDA graphs for DeepSeek-V4", ["vllm/v1/worker/runner.py"], []),
}
WATCHED = {"release:v0.22.0", "pull:35850", "pull:35851", "pull:35853"}  # the docs PR is not


@pytest.fixture
def world(github_standin, tmp_path, monkeypatch):
    """vLLM with a new release and four merged PRs (one touching nothing watched), a benchmark
    repository with its workflow, and configs pointing at both."""
    s = github_standin
    s.retry_after = 0
    for repo in (VLLM, BENCH):
        s.add_repo(repo)
    s.add_workflow(BENCH, name="benchmark", run_name="benchmark {key}")
    sha = "a" * 40
    s.add_commit(VLLM, sha, "Release v0.22.0", (NOW - timedelta(hours=3)).isoformat())
    s.add_release(VLLM, "v0.22.0", (NOW - timedelta(hours=3)).isoformat(), target_commitish=sha)
    s.add_tag(VLLM, "v0.22.0", sha)  # the release's own tag: the same build, benchmarked once
    for i, (number, (title, files, labels)) in enumerate(PULLS.items()):
        merged = (NOW - timedelta(hours=2) + timedelta(minutes=i)).isoformat()
        s.add_pull(
            VLLM, number, title, merged_at=merged, updated_at=merged, files=files,
            labels=labels, merge_commit_sha=f"{number:040d}",
        )  # fmt: skip
    watch_github(monkeypatch, tmp_path, s.url, BENCH, jobs_per_day=100)
    return s


def dispatched(s) -> dict[str, dict]:
    """Dispatch inputs by event (the jobs of an event's dispatches joined: one dispatch per
    baseline/candidate pair), failing if any dispatch was sent twice or lacks either build."""
    keys = [d["inputs"]["key"] for d in s.dispatches(BENCH)]
    assert len(keys) == len(set(keys)), "a dispatch was sent twice"
    by_event: dict[str, dict] = {}
    for d in s.dispatches(BENCH):
        inputs = d["inputs"]
        assert inputs["baseline"] and inputs["candidate"], inputs
        joined = by_event.setdefault(inputs["event"], {**inputs, "jobs": "[]"})
        joined["jobs"] = json.dumps(json.loads(joined["jobs"]) + json.loads(inputs["jobs"]))
    return by_event


def test_dry_run_plans_then_real_run_dispatches_once(world, paretobot, tmp_path):
    plans = tmp_path / "plans"
    run = paretobot("watch", "--once", "--dry-run", str(plans), "--settle-seconds", "0")
    assert run.code == 0, run.err
    assert world.dispatches(BENCH) == []
    lines = run.out.splitlines()
    release = next(i for i, line in enumerate(lines) if "release:v0.22.0" in line)
    assert lines[release].endswith(": 4 job(s)")
    assert all("[release]" in line for line in lines[release + 1 : release + 5])
    kimi = next(line for line in lines if "pull:35850" in line)
    assert kimi.endswith(": 4 job(s)")
    first_kimi_job = lines[lines.index(kimi) + 1]
    assert first_kimi_job.lstrip().startswith("kimik3/")
    assert "[model-named-in-title, fused-moe-kernels]" in first_kimi_job
    assert any("pull:35852" in line and "ignored" in line for line in lines)
    assert not any("tag:v0.22.0" in line for line in lines)
    assert len(list(plans.glob("*.json"))) == 4  # one plan per watched event

    run = paretobot("watch", "--once", "--settle-seconds", "0")
    assert run.code == 0, run.err
    sent = dispatched(world)
    assert set(sent) == WATCHED
    jobs = json.loads(sent["pull:35850"]["jobs"])
    assert len(jobs) == 4 and jobs[0]["config"].startswith("kimik3/")
    assert jobs[0]["reasons"] == ["model-named-in-title", "fused-moe-kernels"]
    assert jobs[0]["commit"] == f"{35850:040d}" and jobs[0]["version"] == "pr-35850"
    rocm = json.loads(sent["pull:35851"]["jobs"])
    assert {j["config"].split("/")[2] for j in rocm} <= {"mi300x", "mi325x", "mi355x"}
    titles = {r["display_title"] for r in world.runs(BENCH)}
    assert titles == {f"benchmark {d['inputs']['key']}" for d in world.dispatches(BENCH)}
    count = len(world.dispatches(BENCH))

    again = paretobot("watch", "--once", "--settle-seconds", "0")
    assert again.code == 0 and again.out.strip() == ""
    assert len(world.dispatches(BENCH)) == count


def test_a_new_merge_after_the_cursor_is_the_only_new_event(world, paretobot):
    assert paretobot("watch", "--once", "--settle-seconds", "0").code == 0
    merged = (NOW - timedelta(minutes=5)).isoformat()
    world.add_pull(
        VLLM, 35860, "[Kernel] Qwen3.5 MoE tuning", merged_at=merged, updated_at=merged,
        files=["vllm/model_executor/layers/fused_moe/configs/x.json"], merge_commit_sha="f" * 40,
    )  # fmt: skip
    run = paretobot("watch", "--once", "--settle-seconds", "0")
    assert run.code == 0, run.err
    assert set(dispatched(world)) == WATCHED | {"pull:35860"}


def test_daily_budget_caps_what_is_dispatched(world, paretobot, monkeypatch):
    configs = Path(os.environ["PARETOBOT_CONFIGS"])
    upstreams = yaml.safe_load((configs / "upstreams.yaml").read_text())
    upstreams["budget"]["jobs_per_day"] = 10
    (configs / "upstreams.yaml").write_text(yaml.safe_dump(upstreams))
    run = paretobot("watch", "--once", "--settle-seconds", "0", "--json")
    assert run.code == 0, run.err
    handled = run.json()["handled"]
    total = sum(len(json.loads(d["jobs"])) for d in dispatched(world).values())
    assert total == 10  # 4 + 4 + 2, then nothing: the day's 10 jobs are spent
    dropped = [d for h in handled for d in h["dropped"] if "daily budget of 10" in d["why"]]
    assert len(dropped) == 4 * 4 - 10


def test_thirty_percent_faults_still_handle_every_event_once(world, paretobot):
    world.faults(rate=0.3, kinds=("500", "502", "503", "429", "403-secondary", "drop"), seed=7)
    passes = 0
    while passes < 12:
        passes += 1
        run = paretobot("watch", "--once", "--settle-seconds", "0")
        if run.code == 0:
            break
        assert "HTTP" in run.err or "Error" in run.err  # a failing pass says why, in one line
    assert passes < 12, "the watcher never got through"
    assert world.fault_count > 10  # the faults really happened
    world.faults(rate=0)
    assert set(dispatched(world)) == WATCHED
    assert paretobot("watch", "--once", "--settle-seconds", "0").out.strip() == ""


def _crash_once(monkeypatch, module, name: str, after: int = 0):
    """Make module.name raise (as a killed process would stop) on its call number `after`+1."""
    real = getattr(module, name)
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == after + 1:
            raise KeyboardInterrupt(f"crash in {name}")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, crashing)
    return lambda: monkeypatch.setattr(module, name, real)


@pytest.mark.parametrize(
    "module_name, function, after",
    [
        ("store", "record_dispatch", 1),  # crash before the second event's dispatch is recorded
        ("gh_api", "dispatch", 1),  # recorded as pending, POST never made
        ("store", "mark_sent", 1),  # POST made, crash before it was marked sent
        ("store", "finish_event", 2),  # dispatched and marked, crash before the event is done
    ],
)
def test_crash_at_any_step_then_rerun(world, paretobot, monkeypatch, module_name, function, after):
    from bot.github import api as gh_api

    module = {"store": store, "gh_api": gh_api}[module_name]
    restore = _crash_once(monkeypatch, module, function, after)
    with pytest.raises(KeyboardInterrupt):
        paretobot("watch", "--once", "--settle-seconds", "0")
    restore()
    run = paretobot("watch", "--once", "--settle-seconds", "0")
    assert run.code == 0, run.err
    assert set(dispatched(world)) == WATCHED  # nothing lost, nothing twice


def test_killed_mid_dispatch_then_rerun_sends_nothing_twice(world, tmp_path, db_url):
    """A real process, killed with SIGKILL while GitHub is slow to answer its dispatch POST."""
    world.slow_seconds = 1.5
    world.faults(rate=1.0, kinds=("slow",), methods=("POST",))
    exe = Path(sys.executable).parent / "paretobot"
    args = [str(exe), "watch", "--once", "--db", db_url, "--settle-seconds", "3"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    engine = store.open_store(db_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until a dispatch is recorded as pending
        with engine.connect() as conn:
            pending = conn.execute(
                sa.select(store.dispatches_table.c.key).where(
                    store.dispatches_table.c.state == "pending"
                )
            ).first()
        if pending:
            break
        time.sleep(0.05)
    assert pending, "no dispatch was ever pending"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    world.faults(rate=0)
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    # the killed pass's POST landed after it died; the rerun found that run instead of re-sending
    assert set(dispatched(world)) == WATCHED
    engine.dispose()
