"""The digest: per configuration, its latest build judged against the one before, over a window;
gathered from the store for bot/report/digest.py to render and bot/publish to post."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from bot import store
from bot.analysis import select
from bot.analysis.frontier import frontier_of
from bot.analysis.history import history
from bot.analysis.verdict import judge, usable
from bot.app import triage
from bot.app.judge import runs_by_id
from bot.app.publish import Target
from bot.attribution import driver
from bot.config import AnalysisPolicy, PriceTable, load_policy, load_prices
from bot.errors import ParetobotError
from bot.github import api as gh_api
from bot.model import NO_CHANGE, Attribution, Build, Change, Frontier, Run, Sweep
from bot.publish import Outcome, digest_post, post_all, write_dry_run
from bot.report.comment import change_key
from bot.report.digest import (
    Digest,
    DigestChange,
    StaleConfig,
    digest_html,
    digest_markdown,
    open_bisections,
)
from bot.urls import scrub


def build_times(sweeps: Sequence[Sweep]) -> list[tuple[Build, datetime | None]]:
    """Builds oldest first, each with its first start time: by time when every build has one,
    else in storage order (times from some runs only cannot order all of them)."""
    first: dict[Build, int] = {}
    times: dict[Build, datetime] = {}
    for i, s in enumerate(sweeps):
        first.setdefault(s.build, i)
        if s.started_at is not None:
            times[s.build] = min(times.get(s.build, s.started_at), s.started_at)
    builds = list(first)
    if all(b in times for b in builds):
        builds.sort(key=lambda b: (times[b], first[b]))
    return [(b, times.get(b)) for b in builds]


def _drawn(side: Sequence[Sweep], policy: AnalysisPolicy) -> Frontier | None:
    ok = [u for u in (usable(s, policy) for s in side) if u.points]
    return frontier_of(ok) if ok else None


def gather_digest(
    sweeps: Sequence[Sweep],
    *,
    since: datetime,
    until: datetime,
    policy: AnalysisPolicy,
    prices: PriceTable | None = None,
    bisections: Iterable[object] | None = None,
    attributions: Mapping[str, Attribution] | None = None,
    runs: Mapping[str, Run] | None = None,
) -> Digest:
    """Per configuration, the latest build up to `until` against the build before it, when the
    latest ran at or after `since` (a build without a start time counts as fresh: nothing says
    it is old). Configurations whose latest build ran before `since` have no fresh data."""
    changes, stale, unchanged, first_seen = [], [], 0, 0
    for config, group in select.by_config(sweeps).items():
        builds = [(b, t) for b, t in build_times(group) if t is None or t <= until]
        if not builds:
            continue
        latest, at = builds[-1]
        if at is not None and at < since:
            stale.append(StaleConfig(config, latest, at))
            continue
        if len(builds) < 2:
            first_seen += 1
            continue
        kept = {b for b, _ in builds}
        group = [s for s in group if s.build in kept]
        base, cand = select.of_build(group, builds[-2][0]), select.of_build(group, latest)
        v = judge(base, cand, policy.for_config(config), history=group, prices=prices)
        if v.kind == NO_CHANGE:
            unchanged += 1
            continue
        c = v.comparison
        changes.append(
            DigestChange(
                verdict=v,
                baseline=c.baseline_frontier if c else _drawn(base, policy),
                candidate=c.candidate_frontier if c else _drawn(cand, policy),
                attribution=(attributions or {}).get(change_key(config, v.baseline, latest)),
            )
        )
    return Digest(
        since=since,
        until=until,
        changes=tuple(changes),
        bisections=open_bisections(bisections),
        stale=tuple(sorted(stale, key=lambda s: s.config.slug)),
        unchanged=unchanged,
        first_seen=first_seen,
        confidence=policy.confidence,
        runs=runs or {},
    )


def digest_of(
    engine: Engine,
    *,
    since: datetime,
    until: datetime,
    config: str | None = None,
    bisections: Sequence[object] | None = None,
) -> Digest:
    """The digest of the stored results; open bisections from the store unless given."""
    if since >= until:
        raise ParetobotError("--since must be before --until")
    sweeps = store.load_sweeps(engine, config_pattern=config)
    if bisections is None:
        running = store.load_bisections(engine, status="running")
        bisections = [driver.load(engine, key) for key in running]
    policy = load_policy()
    digest = gather_digest(
        sweeps,
        since=since,
        until=until,
        policy=policy,
        prices=load_prices(),
        bisections=bisections,
        runs=runs_by_id(engine),
    )
    # what the digest found is recorded like what publish finds: each change gets its identity
    # and shows its triage state; an ignored one is listed last and never alerted again
    recorded = triage.record(
        engine,
        [ch.verdict for ch in digest.changes],
        confidence=policy.confidence,
        extra=history_steps(sweeps, policy, since=since, until=until),
    )
    states = {c.key: c for c in recorded.changes}
    return replace(
        digest,
        changes=tuple(
            replace(ch, triage=states.get(change_key(ch.verdict.config, ch.verdict.baseline,
                                                     ch.verdict.candidate)))
            for ch in digest.changes
        ),
        steps=tuple(c for c in recorded.changes if c.source == triage.CHANGEPOINT),
        recorded=tuple(recorded.changes),
    )  # fmt: skip


def history_steps(
    sweeps: Sequence[Sweep], policy: AnalysisPolicy, *, since: datetime, until: datetime
) -> list[Change]:
    """The change points of each configuration's per-build history whose step starts at a build
    run in the window (a build without a time counts as in it). Only configurations with enough
    builds for the detector (min_size on each side) are read: the others cannot have one."""
    found = []
    for config, group in select.by_config(sweeps).items():
        mine = policy.for_config(config)
        if len(build_times(group)) < 2 * mine.changepoints.min_size:
            continue
        h = history(group, mine)
        for change in triage.changepoints(h):
            at = next(v.at for v in h.values if v.build == change.candidate)
            if at is None or since <= at <= until:
                found.append(change)
    return found


def publish_digest(
    digest: Digest, target: Target, *, html: Path | None = None
) -> tuple[list[Outcome], str]:
    """Write the HTML page when asked, post (or with a dry run, write) the digest comment when a
    target issue is given; returns the outcomes and the digest's markdown."""
    text = digest_markdown(digest, mentions=target.mentions)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(scrub(digest_html(digest)), encoding="utf-8")  # no credential in a link
    post = (
        digest_post(digest, target.repo, target.issue, mentions=target.mentions)
        if target.repo and target.issue
        else None
    )
    if target.dry_run is not None:
        target.dry_run.mkdir(parents=True, exist_ok=True)
        (target.dry_run / "digest.md").write_text(scrub(text), encoding="utf-8")
        return (write_dry_run(target.dry_run, [post]) if post else []), text
    if post is None:
        return [], text
    return post_all(gh_api.connect(gh_api.settings_from_env()), [post]), text
