"""Bisection end to end: the GitHub stand-in takes the probe dispatches, a simulated runner
answers each from a known step function with noise, and the controller names the culprit."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from bot import dispatch, store
from bot.attribution import driver
from bot.attribution.bisect import (
    BAD,
    FOUND,
    GOOD,
    OUT_OF_BUDGET,
    UNCLEAR,
    expected_runs,
    record,
    start,
)
from bot.config import AnalysisPolicy
from bot.github import api as gh_api
from bot.ingest import ParsedFile
from bot.model import Build, ConfigKey, Job, Point, Sweep

pytest_plugins = ["standin.plugin"]

BENCH = "bench/benchmarks"
CONFIG = ConfigKey("kimik2.5", "int4", "mi355x", "vllm", isl=1024, osl=1024, gpus=8, tp=8)
CURVE = [(4, 110.0, 100.0), (16, 70.0, 400.0), (64, 35.0, 1100.0), (256, 12.0, 2400.0)]
COMMITS = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(33)]
CULPRIT = 21  # from this commit on, throughput is 10% lower
POLICY = AnalysisPolicy()


def measured(commit: str, repeat: int, seed: int) -> Sweep:
    """What a runner would measure at this commit: the step function times 2% noise."""
    index = COMMITS.index(commit)
    level = 0.9 if index >= CULPRIT else 1.0
    rng = np.random.default_rng(seed)
    points = tuple(
        Point(c, y * level * math.exp(rng.normal(0, 0.02)), x, completed=100, failed=0)
        for c, x, y in CURVE
    )
    build = Build("vllm", f"vllm-project/vllm@{commit[:12]}", commit)
    return Sweep(CONFIG, build, f"run-{commit[:8]}-{seed}", points, repeat=repeat)


def add(engine, sweep: Sweep) -> None:
    digest = hashlib.sha256(repr(sweep).encode()).hexdigest()
    store.add_file(engine, ParsedFile(Path(f"{sweep.run_id}.json"), digest, "simulated", (sweep,)))


def sweeps_at(engine):
    return lambda commit: [s for s in store.load_sweeps(engine) if s.build.commit == commit]


def test_pure_bisection_on_hand_made_outcomes():
    b = start("k", CONFIG.slug, "r", COMMITS[:9], budget=30, repeats=3)
    assert (b.probe, b.good, b.bad) == (4, 0, 8)
    b = record(b, GOOD)  # 4 is good -> probe 6
    assert b.probe == 6
    b = record(b, BAD)  # 6 is bad -> probe 5
    assert b.probe == 5
    b = record(b, GOOD)  # 5 good, 6 bad: found
    assert b.status == FOUND and b.culprit == COMMITS[6]
    assert expected_runs(9, 3) == 9  # ceil(log2(8)) = 3 probes of 3 runs
    small = start("k", CONFIG.slug, "r", COMMITS[:9], budget=2, repeats=3)
    assert small.status == OUT_OF_BUDGET  # not even one probe fits


def test_unclear_probe_is_measured_again_then_given_up():
    b = start("k", CONFIG.slug, "r", COMMITS[:5], budget=30, repeats=3)
    b = record(b, UNCLEAR)
    assert b.status == "running" and b.probe == 2
    b = record(b, UNCLEAR, max_tries=0)
    assert b.status == OUT_OF_BUDGET and b.culprit is None


def test_bisection_finds_the_culprit_through_the_standin(github_standin, engine, monkeypatch):
    s = github_standin
    s.add_repo(BENCH)
    s.add_workflow(BENCH, name="benchmark", run_name="benchmark {key}")
    monkeypatch.setenv("PARETOBOT_GITHUB_BACKOFF", "0.01")
    gh = gh_api.connect(gh_api.Settings(api_url=s.url, token="t", retries=3, backoff=0.01))
    actions = dispatch.GitHubActions(
        post=lambda inputs: gh_api.dispatch(gh, BENCH, "benchmark.yml", "main", inputs),
        titles=lambda: gh_api.run_titles(gh, BENCH, "benchmark.yml"),
    )
    for r in range(3):  # the change as first seen: 3 runs of each end
        add(engine, measured(COMMITS[0], r, seed=100 + r))
        add(engine, measured(COMMITS[-1], r, seed=200 + r))
    template = Job(
        config=CONFIG, entry="kimik2.5-int4-mi355x-vllm", model_id="moonshotai/Kimi-K2.5",
        image="vllm/vllm-openai-rocm:nightly", runner="mi355x", concurrencies=(4, 16, 64, 256),
        repeats=3, build=Build("vllm", "x"), reasons=(),
    )  # fmt: skip
    key = f"vllm-project/vllm|{CONFIG.slug}|{COMMITS[0]}..{COMMITS[-1]}"
    budget = expected_runs(len(COMMITS), 3) + 2 * 3  # log2(N) probes, plus two re-measures
    driver.save(engine, start(key, CONFIG.slug, "vllm-project/vllm", COMMITS, budget, 3))
    answered = 0
    for _ in range(40):
        b = driver.load(engine, key)  # every step from the stored state: resumable
        if b.status != "running":
            break
        b = driver.step(engine, actions, b, template, sweeps_at(engine), POLICY, settle_seconds=0)
        # the simulated runner answers every dispatch it has not answered yet
        for d in s.dispatches(BENCH)[answered:]:
            (job,) = json.loads(d["inputs"]["jobs"])
            assert job["reasons"] == ["bisection"] and job["runner"] == "mi355x"
            for r in range(job["repeats"]):
                add(engine, measured(job["commit"], r, seed=1000 + answered * 10 + r))
            answered += 1
    b = driver.load(engine, key)
    assert b.status == FOUND, b
    assert b.culprit == COMMITS[CULPRIT]
    probes = len(s.dispatches(BENCH))
    assert probes <= math.ceil(math.log2(len(COMMITS) - 1)) + 2
    assert b.runs == probes * 3
    print(f"bisection: {len(COMMITS)} commits, {probes} probes, {b.runs} runs")
    # a rerun of a step on a finished bisection dispatches nothing
    driver.step(engine, actions, b, template, sweeps_at(engine), POLICY, settle_seconds=0)
    assert len(s.dispatches(BENCH)) == probes
