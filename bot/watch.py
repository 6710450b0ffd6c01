"""One pass of the loop's front half: read each upstream, plan each new event, dispatch, remember.

Events are handled oldest first. An event is remembered (and its upstream's cursor moved) only
after all of its dispatches went out, in one transaction, so a crash at any point loses nothing:
the rerun reads the event again, and its dispatches are idempotent (bot/dispatch.py). Merged PRs
that touch nothing watched are remembered as ignored, so they are not read again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot import dispatch, store
from bot.analysis.noise import noise_model
from bot.analysis.stats import repeats_needed
from bot.config import AnalysisPolicy, load_policy
from bot.config.matrix import MatrixJob
from bot.config.upstreams import RulesFile, Upstream, UpstreamsFile
from bot.github import api as gh_api
from bot.model import Build, ConfigKey, Job, Sweep, UpstreamEvent
from bot.plan import Earlier, Plan, feeds, is_watched, plan
from bot.store import ledger

FIRST_LOOK_BACK = timedelta(days=1)  # how far back the very first pass looks


@dataclass(frozen=True)
class Context:
    """What one pass needs: where to remember, GitHub, the configs, and how to send."""

    engine: Engine
    gh: gh_api.Connection | None  # None: dry runs of delivered events read nothing from GitHub
    config: UpstreamsFile
    rules: RulesFile
    matrix: Sequence[MatrixJob]
    dry_run: Path | None = None  # write plans here instead of dispatching
    settle_seconds: float = 5.0
    policy: AnalysisPolicy = field(default_factory=load_policy)


@dataclass(frozen=True)
class Sent:
    """One dispatch of an event: its key, what became of it, and the builds it names."""

    key: str
    outcome: str  # sent, already sent, found among runs, dry run
    baseline: str
    candidate: str


@dataclass(frozen=True)
class Handled:
    event: UpstreamEvent
    plan: Plan | None  # None: a merged PR that touches nothing watched
    dropped: tuple[tuple[Job, str], ...] = ()
    dispatches: tuple[Sent, ...] = ()

    def json(self) -> dict[str, Any]:
        """What `watch --json` prints and a dry run writes per event."""
        e = self.event
        return {
            "upstream": e.upstream, "event": e.key, "title": e.title, "url": e.url,
            "at": e.at.isoformat(), "ref": e.ref, "ignored": self.plan is None,
            "jobs": [dispatch.job_json(j) for j in self.plan.jobs] if self.plan else [],
            "dropped": [{"config": j.config.slug, "why": why} for j, why in self.dropped],
            "dispatches": [asdict(d) for d in self.dispatches],
        }  # fmt: skip


@dataclass
class Report:
    handled: list[Handled] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def new_events(ctx: Context, upstream: Upstream, now: datetime) -> list[UpstreamEvent]:
    """Events since the cursors that were not handled yet, oldest first."""
    repo, engine, gh = upstream.repo, ctx.engine, ctx.gh

    def since(kind: str) -> datetime:
        return store.cursor(engine, repo, kind) or now - FIRST_LOOK_BACK

    found = [
        *gh_api.releases(gh, repo, since("release")),
        *(e for e in gh_api.tags(gh, repo, upstream.tags, known=set()) if e.at >= since("tag")),
        *gh_api.merged_pulls(gh, repo, since("pull")),
    ]
    releases = {e.name for e in found if e.kind == "release"}
    # A release's tag is the same build as the release: benchmark it once, as the release.
    found = [
        e
        for e in found
        if not (
            e.kind == "tag"
            and (e.name in releases or store.is_handled(engine, repo, f"release:{e.name}"))
        )
    ]
    fresh = {e.key: e for e in found if not store.is_handled(engine, repo, e.key)}
    return sorted(fresh.values(), key=lambda e: (e.at, e.key))


def _write_plan(folder: Path, handled: Handled) -> None:
    event = handled.event
    name = f"{event.upstream.replace('/', '_')}-{event.kind}-{event.name}.json"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(handled.json(), indent=2) + "\n")


def _baseline_context(
    ctx: Context, event: UpstreamEvent, upstream: Upstream
) -> tuple[Earlier, Callable[[MatrixJob, Build], bool], Callable[[MatrixJob], int]]:
    """What planning a baseline needs from the store: earlier events of this kind (and which of
    their builds have good results), and whether a configuration must measure its baseline again
    beside the candidate: when no runs of that baseline are stored, or the configuration's
    run-to-run noise (from its other builds) exceeds half the smallest change that matters."""
    names = tuple(ledger.earlier_events(ctx.engine, upstream.repo, event.kind, event.at))
    sweeps: dict[ConfigKey, list[Sweep]] = {}

    def stored(config: ConfigKey) -> list[Sweep]:
        if config not in sweeps:
            sweeps[config] = store.load_sweeps(ctx.engine, config=config)
        return sweeps[config]

    good = frozenset(
        n for n in names
        if any(s.points and s.build.matches(n) for job in ctx.matrix if feeds(upstream, job)
               for s in stored(job.config))
    ) if upstream.baseline.tag == "last-good" and event.kind == "tag" else frozenset()  # fmt: skip

    def interleave(job: MatrixJob, baseline: Build) -> bool:
        history = [s for s in stored(job.config) if s.points]
        runs = {s.run_id for s in history if s.build.matches(baseline.selector)}
        if len(runs) < ctx.config.budget.repeats:
            return True
        noise = noise_model(history, ctx.policy)
        return noise.summary_sd is None or noise.summary_sd > ctx.policy.min_effect / 2

    def repeats(job: MatrixJob) -> int:
        """The budget's repeats; with `auto_repeats`, as many as the configuration's noise (its
        own history, else the analysis default) needs to see a change of `detect`."""
        budget, policy = ctx.config.budget, ctx.policy.for_config(job.config)
        least = policy.repeats or budget.repeats  # analysis.yaml may ask more for some configs
        auto = budget.auto_repeats
        if auto is None:
            return least
        sd = noise_model([s for s in stored(job.config) if s.points], policy).summary_sd
        needed = repeats_needed(sd or policy.noise_default, auto.detect, policy.confidence)
        return max(least, min(auto.most, needed))

    return Earlier(names, good), interleave, repeats


def _sent(d: dispatch.Dispatch, outcome: str) -> Sent:
    return Sent(d.key, outcome, *d.builds)


def handle(ctx: Context, event: UpstreamEvent, upstream: Upstream) -> Handled:
    engine, config = ctx.engine, ctx.config
    if not is_watched(event, upstream):
        if ctx.dry_run is None:
            store.finish_event(
                engine, upstream.repo, event.kind, event.key, event.at, event.title, 0
            )
        return Handled(event, None)
    earlier, interleave, repeats = _baseline_context(ctx, event, upstream)
    the_plan = plan(
        event, upstream, ctx.rules, ctx.matrix, config.budget, earlier, interleave, repeats
    )
    jobs, over_day = dispatch.within_daily_budget(engine, the_plan.jobs, config.budget.jobs_per_day)
    dropped = the_plan.dropped + tuple(over_day)
    batches = dispatch.chunk(event, jobs, config.benchmark.jobs_per_dispatch)
    if ctx.dry_run is not None:
        handled = Handled(event, the_plan, dropped, tuple(_sent(b, "dry run") for b in batches))
        _write_plan(ctx.dry_run, handled)
        return handled
    target, gh = config.benchmark, ctx.gh
    actions = dispatch.GitHubActions(
        post=lambda inputs: gh_api.dispatch(gh, target.repo, target.workflow, target.ref, inputs),
        titles=lambda: gh_api.run_titles(gh, target.repo, target.workflow),
    )
    outcomes = tuple(
        _sent(b, dispatch.send(engine, actions, b, settle_seconds=ctx.settle_seconds))
        for b in batches
    )
    store.finish_event(
        engine, upstream.repo, event.kind, event.key, event.at, event.title, len(jobs)
    )
    return Handled(event, the_plan, dropped, outcomes)


def watch_once(ctx: Context, now: datetime) -> Report:
    """Every upstream once. A failing upstream stops at its failing event (order is kept) and the
    others go on; the errors are reported, and the next pass picks up where this one stopped."""
    report = Report()
    for upstream in ctx.config.upstreams:
        try:
            for event in new_events(ctx, upstream, now):
                report.handled.append(handle(ctx, event, upstream))
        except (gh_api.GitHubError, OSError) as exc:
            report.errors.append(f"{upstream.repo}: {exc}")
    return report


def watch_event(ctx: Context, event: UpstreamEvent) -> Report:
    """One event delivered by a webhook (not polled): handled like a polled one, once."""
    report = Report()
    upstream = next((u for u in ctx.config.upstreams if u.repo == event.upstream), None)
    if upstream is None:
        report.errors.append(f"{event.upstream} is not in configs/upstreams.yaml")
        return report
    if store.is_handled(ctx.engine, event.upstream, event.key):
        return report
    try:
        if event.kind == "pull" and not event.files:
            files = gh_api.pull_files(ctx.gh, event.upstream, int(event.name))
            event = replace(event, files=files)
        report.handled.append(handle(ctx, event, upstream))
    except (gh_api.GitHubError, OSError) as exc:
        report.errors.append(f"{event.upstream}: {exc}")
    return report
