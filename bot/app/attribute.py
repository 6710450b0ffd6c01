"""Attribution as a use case: for a change between two builds, the PRs between them ranked, and a
bisection (dispatched probe by probe, one step per call) when the ranking is not sure."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot import dispatch, store
from bot.analysis.verdict import Verdict
from bot.attribution import driver
from bot.attribution.attribute import attribute, commits_of
from bot.attribution.bisect import Bisection, expected_runs, start
from bot.config import ConfigError, load_policy
from bot.config.matrix import load_matrix
from bot.config.upstreams import load_upstreams
from bot.errors import ParetobotError
from bot.github import api as gh_api
from bot.github.compare import pulls_between
from bot.model import Attribution, Job

REPEATS = 3  # runs per bisection probe


class AttributionError(ParetobotError):
    """A change that cannot be attributed as asked (no commit, no upstream, no matrix job)."""


@dataclass(frozen=True)
class Options:
    """How to attribute: the upstream (default: the one feeding the framework), whether to move
    a bisection one step, its budget in benchmark runs, and the dispatcher's settle time."""

    repo: str | None = None
    bisect: bool = False
    budget: int | None = None
    settle_seconds: float = 5.0


def repo_for(framework: str, given: str | None = None) -> str:
    if given:
        return given
    for upstream in load_upstreams().upstreams:
        if framework in upstream.frameworks:
            return upstream.repo
    raise ConfigError(f"no upstream in configs/upstreams.yaml feeds '{framework}'; pass --repo")


def _template(verdict: Verdict) -> Job:
    """How to benchmark this configuration: its benchmark-matrix job."""
    slug = verdict.config.slug
    job = next((j for j in load_matrix() if j.config.slug == slug), None)
    if job is None:
        raise AttributionError(
            f"{slug} is not in the benchmark matrix: cannot dispatch probes for it"
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
    engine: Engine, verdict: Verdict, repo: str, commits: list[str], options: Options
) -> Bisection | None:
    """The stored bisection of this change; with `options.bisect`, started if new and moved one
    step."""
    key = f"{repo}|{verdict.config.slug}|{commits[0]}..{commits[-1]}"
    b = driver.load(engine, key)
    if not options.bisect:
        return b
    if b is None:
        budget = options.budget or expected_runs(len(commits), REPEATS) + 2 * REPEATS
        b = start(key, verdict.config.slug, repo, commits, budget, REPEATS)
        driver.save(engine, b)
    sweeps = store.load_sweeps(engine, config_pattern=verdict.config.slug)

    def sweeps_at(commit: str) -> list:
        return [s for s in sweeps if s.build.commit == commit]

    return driver.step(
        engine, _actions(), b, _template(verdict), sweeps_at, load_policy(),
        settle_seconds=options.settle_seconds,
    )  # fmt: skip


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
    repo = repo_for(verdict.config.framework, options.repo)
    pulls = pulls_between(gh_api.connect(gh_api.settings_from_env()), repo, base, head)
    attribution = attribute(verdict, pulls)
    bisection = None
    if attribution.decided_by == "undecided":
        bisection = _bisection(engine, verdict, repo, commits_of(base, pulls, head), options)
        attribution = attribute(verdict, pulls, bisection)
    return attribution, bisection
