"""Attribution as a use case: for a change between two builds, the PRs between them ranked, and a
bisection (dispatched probe by probe, one step per call) when the ranking is not sure."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot import dispatch, store
from bot.analysis.verdict import Verdict
from bot.attribution import driver
from bot.attribution.attribute import attribute, commits_of
from bot.attribution.bisect import Bisection, default_budget, start
from bot.attribution.evidence import first_repeats, history_noise, run_values
from bot.attribution.rank import probe_priority
from bot.config import ConfigError, load_policy
from bot.config.matrix import load_matrix
from bot.config.upstreams import load_upstreams
from bot.errors import ParetobotError
from bot.github import api as gh_api
from bot.github.compare import pulls_between
from bot.model import Attribution, Build, ConfigKey, Job

REPEATS = 3  # runs per bisection probe


class AttributionError(ParetobotError):
    """A change that cannot be attributed as asked (no commit, no upstream, no matrix job)."""


@dataclass(frozen=True)
class Options:
    """How to attribute: the upstream (default: the one feeding the framework), whether to move
    a bisection one step, its budget in benchmark runs (and GPU-hours, with the expected hours
    of one run), and the dispatcher's settle time."""

    repo: str | None = None
    bisect: bool = False
    budget: int | None = None
    gpu_hours: float | None = None
    hours_per_run: float = 0.5
    settle_seconds: float = 5.0


def repo_for(framework: str, given: str | None = None) -> str:
    if given:
        return given
    for upstream in load_upstreams().upstreams:
        if framework in upstream.frameworks:
            return upstream.repo
    raise ConfigError(f"no upstream in configs/upstreams.yaml feeds '{framework}'; pass --repo")


def _from_run(config: ConfigKey, spec: dict, build: Build) -> Job:
    return Job(
        config=config, entry=str(spec.get("entry", "")), model_id=str(spec["model"]),
        image=str(spec.get("image", "")), runner=str(spec.get("runner", "")),
        concurrencies=tuple(int(c) for c in spec["concurrencies"]), repeats=REPEATS,
        build=build, reasons=("bisection",), settings=json.dumps(spec, sort_keys=True),
    )  # fmt: skip


def _template(engine: Engine, verdict: Verdict) -> Job:
    """How to benchmark this configuration: the job a stored run of it ran (paretobot-run.json),
    the candidate's first, else its benchmark-matrix job."""
    config = verdict.config
    runs = [r for r in store.load_runs(engine) if r.job_spec]
    for build in (verdict.candidate, verdict.baseline):
        for run in reversed(runs):
            spec = run.job_spec
            if (config, build) in run.measured and spec and spec.get("model"):
                return _from_run(verdict.config, spec, verdict.candidate)
    for run in reversed(runs):
        spec = run.job_spec
        if any(c == config for c, _ in run.measured) and spec and spec.get("model"):
            return _from_run(verdict.config, spec, verdict.candidate)
    job = next((j for j in load_matrix() if j.config == config), None)
    if job is None:
        raise AttributionError(
            f"{config.slug} has no stored run with its job and is not in the benchmark matrix: "
            "cannot dispatch probes for it"
        )
    return Job(
        config=job.config, entry=job.entry, model_id=job.model_id, image=job.image,
        runner=job.runner, concurrencies=job.concurrencies, repeats=REPEATS,
        build=verdict.candidate, reasons=("bisection",),
    )  # fmt: skip


def _actions() -> dispatch.GitHubActions:
    gh = gh_api.connect(gh_api.settings_from_env())
    target = load_upstreams().benchmark
    return dispatch.GitHubActions(
        post=lambda inputs: gh_api.dispatch(gh, target.repo, target.workflow, target.ref, inputs),
        titles=lambda: gh_api.run_titles(gh, target.repo, target.workflow),
    )


def _bisection(
    engine: Engine,
    verdict: Verdict,
    repo: str,
    commits: list[str],
    options: Options,
    priority: tuple[int, ...] = (),
) -> Bisection | None:
    """The stored bisection of this change; with `options.bisect`, started if new and moved one
    step. The configuration's noise history sets the first runs per probe."""
    key = f"{repo}|{verdict.config.slug}|{commits[0]}..{commits[-1]}"
    b = driver.load(engine, key)
    if not options.bisect:
        return b
    policy = load_policy()
    sweeps = [s for s in store.load_sweeps(engine) if s.config == verdict.config]
    prior = history_noise(sweeps, policy, exclude=commits)
    template = _template(engine, verdict)
    if b is None:
        ends = {0: driver.at_commit(sweeps, commits[0]), 1: driver.at_commit(sweeps, commits[-1])}
        values = run_values({i: v for i, v in ends.items() if v}, policy)
        change = (
            sum(values[1]) / len(values[1]) - sum(values[0]) / len(values[0])
            if values.get(0) and values.get(1)
            else 0.0
        )
        repeats = first_repeats(prior[0] if prior else None, change, 0.99)
        budget = options.budget or default_budget(len(commits))
        b = start(
            key, verdict.config.slug, repo, commits, budget, repeats, priority=priority,
            gpu_hours_budget=options.gpu_hours,
            gpu_hours_per_run=verdict.config.gpus * options.hours_per_run,
        )  # fmt: skip
        driver.save(engine, b)
    return driver.step(
        engine, _actions(), b, template, lambda c: driver.at_commit(sweeps, c), policy,
        settle_seconds=options.settle_seconds, prior=prior,
    )  # fmt: skip


def _dispatched_upstream(engine: Engine, verdict: Verdict) -> str:
    """The upstream the candidate's runs were dispatched for (their stored job says so): a build
    of AITER under vLLM is attributed to ROCm/aiter's PRs, not vLLM's."""
    for run in reversed(store.load_runs(engine)):
        spec = run.job_spec or {}
        if (verdict.config, verdict.candidate) in run.measured and spec.get("upstream"):
            return str(spec["upstream"])
    return ""


def attribution_for(
    engine: Engine, verdict: Verdict, options: Options = Options()
) -> tuple[Attribution, Bisection | None]:
    """Rank the PRs between the verdict's builds; use (and when asked, advance) a bisection."""
    base, head = verdict.baseline.commit, verdict.candidate.commit
    if not base or not head:
        missing = verdict.baseline if not base else verdict.candidate
        raise AttributionError(
            f"build {missing.label} has no commit: cannot list the PRs between builds"
        )
    repo = (
        options.repo or _dispatched_upstream(engine, verdict) or repo_for(verdict.config.framework)
    )
    pulls = pulls_between(gh_api.connect(gh_api.settings_from_env()), repo, base, head)
    attribution = attribute(verdict, pulls)
    bisection = None
    if attribution.decided_by == "undecided":
        commits = commits_of(base, pulls, head)
        # the ranking's likeliest candidates are probed first (at most two probes' worth)
        where = {c: i for i, c in enumerate(commits)}
        priority = tuple(where[sha] for sha, _ in probe_priority(attribution.candidates)
                         if sha in where)[:3]  # fmt: skip
        bisection = _bisection(engine, verdict, repo, commits, options, priority)
        attribution = attribute(verdict, pulls, bisection)
    return attribution, bisection
