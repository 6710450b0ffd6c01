"""Bisection end to end: the GitHub stand-in takes the probe dispatches, a simulated runner
answers each from a known step function with noise, and the controller names the culprit."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot import dispatch, store
from bot.attribution import driver
from bot.attribution.bisect import (
    BAD,
    FOUND,
    GOOD,
    NO_RESULTS,
    OUT_OF_BUDGET,
    UNCLEAR,
    UNCLEAR_AFTER_BUDGET,
    UNLIKE_ENDS,
    decide_performance,
    expected_runs,
    record,
    start,
)
from bot.attribution.evidence import _within, culprit_posterior, history_noise, run_values
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
TEMPLATE = Job(
    config=CONFIG, entry="kimik2.5-int4-mi355x-vllm", model_id="moonshotai/Kimi-K2.5",
    image="vllm/vllm-openai-rocm:nightly", runner="mi355x", concurrencies=(4, 16, 64, 256),
    repeats=3, build=Build("vllm", "x"), reasons=(),
)  # fmt: skip


def measured(
    commit: str, repeat: int, seed: int, sd: float = 0.02, step: bool | None = None
) -> Sweep:
    """What a runner would measure at this commit: the step function times noise per point."""
    bad = COMMITS.index(commit) >= CULPRIT if step is None else step
    level = 0.9 if bad else 1.0
    rng = np.random.default_rng(seed)
    points = tuple(
        Point(c, y * level * math.exp(rng.normal(0, sd)), x, completed=100, failed=0)
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
    # every state change is said in words
    assert [line.split(":")[0] for line in b.log] == [
        "started", "probe 4 (" + COMMITS[4][:12] + ")", "probe 4 is like the baseline",
        "probe 6 (" + COMMITS[6][:12] + ")", "probe 6 is like the candidate",
        "probe 5 (" + COMMITS[5][:12] + ")", "probe 5 is like the baseline", "found",
    ]  # fmt: skip


def test_priority_probes_the_likeliest_candidate_first_but_only_twice():
    b = start("k", CONFIG.slug, "r", COMMITS[:33], budget=99, repeats=3, priority=(21, 7))
    assert b.probe == 21  # the top candidate itself
    b = record(b, BAD)
    assert b.probe == 20  # then its parent: two probes confirm it
    b = record(b, GOOD)
    assert b.status == FOUND and b.culprit == COMMITS[21]
    wrong = start("k", CONFIG.slug, "r", COMMITS[:33], budget=99, repeats=3, priority=(21, 7))
    wrong = record(wrong, GOOD)  # 21 good, 7 is not between: the midpoint next
    assert wrong.probe == (21 + 32) // 2 and wrong.guided == 1


class Posts:
    """A fake benchmark workflow: records what would have been dispatched."""

    def __init__(self):
        self.sent: list[dict] = []
        self.actions = dispatch.GitHubActions(post=self.sent.append, titles=lambda: set())

    def jobs(self, since: int = 0) -> list[dict]:
        return [j for d in self.sent[since:] for j in json.loads(d["jobs"])]


def failed(commit: str, cause: str, repeat: int, run: str) -> Sweep:
    build = Build("vllm", f"vllm-project/vllm@{commit[:12]}", commit)
    return Sweep(CONFIG, build, run, (), repeat=repeat, status="failed", cause=cause)


def answer(engine, posts: Posts, since: int, respond) -> int:
    for n, job in enumerate(posts.jobs(since)):
        for sweep in respond(job, since + n):
            add(engine, sweep)
    return len(posts.sent)


def drive(engine, posts, key, respond, steps=60, **kw):
    answered = 0
    for _ in range(steps):
        b = driver.load(engine, key)
        if b.status != "running":
            break
        at = store.load_sweeps(engine)
        driver.step(engine, posts.actions, b, TEMPLATE, lambda c, at=at: driver.at_commit(at, c),
                    POLICY, settle_seconds=0, **kw)  # fmt: skip
        answered = answer(engine, posts, answered, respond)
    return driver.load(engine, key)


def noisy(sd: float, culprit: int = CULPRIT, base: int = 10_000):
    def respond(job, n):
        index = COMMITS.index(job["commit"])
        return [
            measured(job["commit"], r, seed=base + n * 10 + r, sd=sd, step=index >= culprit)
            for r in range(job["repeats"])
        ]

    return respond


def seed_ends(engine, commits, sd=0.02, runs=3):
    for r in range(runs):
        add(engine, measured(commits[0], r, seed=100 + r, sd=sd, step=False))
        add(engine, measured(commits[-1], r, seed=200 + r, sd=sd, step=True))


def test_noisy_probe_gets_more_runs_and_the_ends_are_measured_again(engine):
    seed_ends(engine, COMMITS, sd=0.08)
    posts = Posts()
    key = "noisy"
    driver.save(engine, start(key, CONFIG.slug, "r", COMMITS, budget=200, repeats=2))
    b = drive(engine, posts, key, noisy(0.08))
    assert b.status == FOUND and b.culprit == COMMITS[CULPRIT], b.log
    assert any("not clear yet" in line for line in b.log)
    assert b.runs == sum(j["repeats"] for j in posts.jobs())
    # every job names its commit for the runner to install, and its version
    assert all(j["version"].endswith(j["commit"][:12]) for j in posts.jobs())


def test_a_probe_between_the_levels_asks_for_runs_at_the_ends_too():
    def at(index, level, seed, runs):
        commit = COMMITS[index]
        out = []
        for r in range(runs):
            s = measured(commit, r, seed=seed + r, step=False)
            out.append(
                replace(
                    s,
                    points=tuple(replace(p, tput_per_gpu=p.tput_per_gpu * level) for p in s.points),
                )
            )
        return out  # fmt: skip

    # three commits: the probe (1) measured 6 times right between the two levels
    by_index = {0: at(0, 1.0, 0, 3), 2: at(2, 0.9, 50, 3), 1: at(1, 0.95, 90, 6)}
    b = start("e", CONFIG.slug, "r", COMMITS[:3], budget=99, repeats=3)
    b, d = decide_performance(b, by_index, POLICY, batch=2)
    assert b.probe == 1 and d.outcome == UNCLEAR
    assert set(d.asks) & {0, 2} and d.asks[1] == 1, d  # an end's level limits: measure it
    assert "1 more at the baseline end" in d.why or "1 more at the candidate end" in d.why


def test_unlock_is_decided_by_one_confirming_rerun(engine):
    for r in range(3):
        add(engine, failed(COMMITS[0], "out-of-memory", r, f"base-{r}"))
        add(engine, measured(COMMITS[-1], r, seed=200 + r, sd=0.02, step=True))

    def respond(job, n):
        if COMMITS.index(job["commit"]) >= CULPRIT:
            return [measured(job["commit"], 0, seed=n, sd=0.02, step=True)]
        return [failed(job["commit"], "out-of-memory", 0, f"fail-{n}")]  # one record: stops

    posts = Posts()
    driver.save(engine, start("u", CONFIG.slug, "r", COMMITS, budget=40, repeats=3))
    b = drive(engine, posts, "u", respond)
    assert b.status == FOUND and b.culprit == COMMITS[CULPRIT], b.log
    failing = [j for j in posts.jobs() if COMMITS.index(j["commit"]) < CULPRIT]
    by_commit = {j["commit"] for j in failing}
    assert len(failing) == 2 * len(by_commit)  # each failure confirmed by exactly one rerun
    assert any("one confirming rerun" in line for line in b.log)
    assert b.runs <= 2 * math.ceil(math.log2(len(COMMITS) - 1))


def test_a_probe_failing_unlike_both_ends_is_reported(engine):
    for r in range(3):
        add(engine, failed(COMMITS[0], "out-of-memory", r, f"base-{r}"))
        add(engine, measured(COMMITS[-1], r, seed=200 + r, sd=0.02, step=True))
    posts = Posts()
    driver.save(engine, start("x", CONFIG.slug, "r", COMMITS, budget=40, repeats=3))
    b = drive(engine, posts, "x", lambda job, n: [failed(job["commit"], "launch-failure", 0,
                                                        f"x-{n}")])  # fmt: skip
    assert b.status == UNLIKE_ENDS and "launch-failure" in b.log[-1], b.log
    assert len(posts.sent) == 2  # the failure and its confirming rerun


def test_flaky_failure_is_retried(engine):
    seed_ends(engine, COMMITS)
    calls = []

    def respond(job, n):
        calls.append(n)
        if len(calls) == 1:  # the first probe's first run crashes once
            return [failed(job["commit"], "server-crash", 0, f"flaky-{n}")]
        return noisy(0.02)(job, n)

    posts = Posts()
    driver.save(engine, start("f", CONFIG.slug, "r", COMMITS, budget=60, repeats=3))
    b = drive(engine, posts, "f", respond)
    assert b.status == FOUND and b.culprit == COMMITS[CULPRIT], b.log
    assert any("failed once (server-crash)" in line for line in b.log)


def test_results_that_never_arrive_are_sent_again_once_then_given_up(engine):
    seed_ends(engine, COMMITS)
    posts = Posts()
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    b = start("t", CONFIG.slug, "r", COMMITS, budget=60, repeats=3, timeout_hours=6)

    def go(b, hours):
        at = store.load_sweeps(engine)
        return driver.step(engine, posts.actions, b, TEMPLATE, lambda c: driver.at_commit(at, c),
                           POLICY, settle_seconds=0, now=t0 + timedelta(hours=hours))  # fmt: skip

    b = go(b, 0)
    assert len(posts.sent) == 1 and b.runs == 3
    b = go(b, 5)  # still waiting, nothing sent
    assert len(posts.sent) == 1 and b.status == "running"
    b = go(b, 7)
    assert len(posts.sent) == 2 and b.runs == 3  # sent again, not charged twice
    assert "sent again" in b.log[-1]
    b = go(b, 14)
    assert b.status == NO_RESULTS and len(posts.sent) == 2


def test_interrupted_bisection_resumes_without_sending_twice(engine):
    seed_ends(engine, COMMITS)
    posts = Posts()
    driver.save(engine, start("r", CONFIG.slug, "r", COMMITS, budget=60, repeats=3))
    b = driver.load(engine, "r")
    at = store.load_sweeps(engine)
    sent = driver.step(engine, posts.actions, b, TEMPLATE, lambda c: driver.at_commit(at, c),
                       POLICY, settle_seconds=0)  # fmt: skip
    # a crash right after the POST: the step runs again from the state it started with
    driver.step(engine, posts.actions, b, TEMPLATE, lambda c: driver.at_commit(at, c),
                POLICY, settle_seconds=0)  # fmt: skip
    assert len(posts.sent) == 1
    stored = driver.load(engine, "r")  # the stored state has the pending runs, one key
    assert [p.key for p in stored.pending] == [p.key for p in sent.pending]
    assert stored.runs == sent.runs == 3
    b = drive(engine, posts, "r", noisy(0.02))
    assert b.status == FOUND and b.culprit == COMMITS[CULPRIT]


def test_unclear_after_the_budget_differs_from_out_of_budget(engine):
    seed_ends(engine, COMMITS, sd=0.15)
    poor = start("p", CONFIG.slug, "r", COMMITS, budget=2, repeats=3)
    driver.save(engine, poor)
    posts = Posts()
    b = drive(engine, posts, "p", noisy(0.15))
    # the probe's first 3 runs do not fit: the 2 the budget pays for are sent, then no more
    assert [j["repeats"] for j in posts.jobs()] == [2]
    assert b.status == OUT_OF_BUDGET and b.runs == 2, b.log
    assert any("pays for 2 of those runs" in line for line in b.log)
    driver.save(engine, start("o", CONFIG.slug, "r", COMMITS, budget=14, repeats=3))
    b = drive(engine, Posts(), "o", noisy(0.15, base=20_000))
    assert b.status == OUT_OF_BUDGET and 10 <= b.runs <= 14, b.log  # spent
    assert "culprit is in" in b.log[-1]
    # a probe that stays unclear through its own most runs: unclear, with the budget left
    # (noise the size of the step in every point: four runs of a probe cannot tell)
    stuck = start("c", CONFIG.slug, "r", COMMITS, budget=200, repeats=3, max_probe_runs=4)
    driver.save(engine, stuck)
    b = drive(engine, Posts(), "c", noisy(0.4, base=30_000))
    assert b.status == UNCLEAR_AFTER_BUDGET, b.log
    assert "P(like the candidate)" in b.log[-1] and b.runs < 100


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
    assert b.runs <= 3 * math.ceil(math.log2(len(COMMITS) - 1)) + 6
    print(f"bisection: {len(COMMITS)} commits, {probes} probes, {b.runs} runs")
    # a rerun of a step on a finished bisection dispatches nothing
    driver.step(engine, actions, b, template, sweeps_at(engine), POLICY, settle_seconds=0)
    assert len(s.dispatches(BENCH)) == probes


def test_attribution_lists_the_prs_of_the_upstream_the_runs_were_dispatched_for(monkeypatch):
    """An AITER build runs under vLLM; its stored job names ROCm/aiter as its upstream, so the
    PRs are listed there, not in the framework's default upstream."""
    import json as _json

    from bot.analysis.verdict import Verdict
    from bot.app import attribute as app_attribute
    from bot.model import Build, ConfigKey, Run

    config = ConfigKey("m", "fp8", "mi355x", "vllm", isl=128, osl=64, gpus=8, tp=8)
    cand = Build("vllm", "v0.1.10", "d" * 40)
    verdict = Verdict(config, Build("vllm", "v0.1.9", "c" * 40), cand, "regression", "x")
    job = _json.dumps({"upstream": "ROCm/aiter"})
    runs = [Run("other", measured=((config, Build("vllm", "v0", "e" * 40)),), job=job),
            Run("r1", measured=((config, cand),), job=job)]  # fmt: skip
    monkeypatch.setattr(app_attribute.store, "load_runs", lambda engine: runs)
    assert app_attribute._dispatched_upstream(None, verdict) == "ROCm/aiter"
    monkeypatch.setattr(app_attribute.store, "load_runs", lambda engine: runs[:1])
    assert app_attribute._dispatched_upstream(None, verdict) == ""  # no run of this build


def test_run_values_match_runs_at_equal_load():
    """A run's value is its mean log throughput over the concurrencies every working run
    reached (computed here by hand); a run missing a concurrency narrows the set for all."""
    full = measured(COMMITS[0], 0, seed=1, sd=0.05)
    short = replace(measured(COMMITS[1], 0, seed=2, sd=0.05), points=full.points[:3])
    values = run_values({0: [full], 1: [short]}, POLICY)
    for i, sweep in ((0, full), (1, short)):
        by_hand = sum(math.log(p.tput_per_gpu) for p in sweep.points[:3]) / 3
        assert values[i] == [pytest.approx(by_hand, abs=1e-12)]


def test_a_slow_run_neither_inflates_the_noise_nor_moves_the_step():
    """Real GPU sweeps show one slow repeat in three (../shared/data/gpu): a run 20% down at a
    good commit must not read as 'this commit is bad', nor make every run look noisy."""
    rng = np.random.default_rng(7)
    sd = 0.02
    clean = [[float(rng.normal(0, sd)) for _ in range(3)] for _ in range(6)]
    slow = [g[:] for g in clean]
    slow[1][0] += math.log(0.8)
    ss, df = _within(slow)
    plain = [x for g in slow for x in g]
    naive = math.sqrt(sum(sum((x - sum(g) / 3) ** 2 for x in g) for g in slow) / 12)
    assert naive > 2 * sd  # what the plain estimate makes of it
    assert math.sqrt(ss / df) < 1.5 * sd < naive, (math.sqrt(ss / df), plain)
    # commits 0..5 good (index 1 has the slow run), 6..9 bad by -10%
    values = {i: g for i, g in enumerate(clean)}
    values |= {6 + i: [x - 0.105 for x in g] for i, g in enumerate(clean[:4])}
    values[3] = slow[1]  # the slow run lands on a good commit just before the step
    post = culprit_posterior(values, 10, sd**2, -0.105)
    assert max(range(10), key=post.__getitem__) == 6 and post[6] > 0.9


def test_history_noise_is_measured_in_the_bisections_units_and_leaves_the_window_out():
    runs = [measured(COMMITS[0], r, seed=300 + r, sd=0.03) for r in range(4)]
    window = [measured(COMMITS[5], r, seed=400 + r, sd=0.3) for r in range(4)]
    sd, df = history_noise(runs + window, POLICY, exclude=[COMMITS[5]])
    values = run_values({0: runs}, POLICY)[0]
    mean = sum(values) / 4
    # clean runs keep (almost) full weight: the plain pooled estimate, 3 df
    plain = math.sqrt(sum((x - mean) ** 2 for x in values) / 3)
    assert df == pytest.approx(3, abs=0.05) and sd == pytest.approx(plain, rel=0.05)
    assert history_noise(window, POLICY, exclude=[COMMITS[5][:9]]) is None  # prefix matched
