"""One configuration over time: a value per build (or per run, ordered by date), and where it
changed.

A value is the geometric-mean throughput per GPU over the interactivity range that every
measured run reaches (the same range for all, so values are comparable: frontier.matched_summary),
averaged over the runs of a build in log space, with a t interval when a build has two or more
runs. Per build, runs of one image on different days are one value; per run (`by="date"`),
every run is its own value in date order, so a drift between days shows. If the runs share no
interactivity range wider than one level, the matched measure is refused and peak throughput is
used instead, and said. A build or run with no valid point is a missing value: it neither breaks
the series nor shifts indices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.analysis.changepoints import (
    CONFIRM_AFTER,
    SCAN,
    ChangePoint,
    Trend,
    detect,
    noise_scale,
    trend,
)
from bot.analysis.distributions import t_ppf
from bot.analysis.frontier import frontier_of, is_range, matched_summary, shared_range
from bot.analysis.suspect import without_suspect
from bot.analysis.verdict import usable
from bot.config import AnalysisPolicy
from bot.model import Build, ConfigKey, Frontier, Sweep

BY_BUILD, BY_DATE = "build", "date"


@dataclass(frozen=True)
class SeriesValue:
    """One element of the series: a build (all its runs) or a single run."""

    label: str  # the build's label, or the run id
    build: Build
    at: datetime | None  # the latest start time among its runs, where known
    value: float | None  # None: no valid point in any run
    low: float | None = None  # confidence interval over runs (two or more runs)
    high: float | None = None
    runs: int = 0
    causes: tuple[str, ...] = ()  # why runs failed, when they did


NEWEST_CHANGED, NEWEST_POSSIBLE, NEWEST_NONE = "changed", "possible change", "no change"
RECENT = 10  # a confirmed change this many measured builds back still answers "what changed"
# how far off its level the newest build must be: the 3|3 window's threshold (noise units)
OFF_LEVEL = next(t for b, a, t in SCAN if (b, a) == (3, 3))


@dataclass(frozen=True)
class Newest:
    """The morning answer: did the newest build change anything? A step is confirmed once
    CONFIRM_AFTER builds from it exist (what the detector needs); until then the newest builds are
    only tested against the level before them, and said to be a possible change."""

    index: int  # the newest measured build
    status: str  # NEWEST_CHANGED, NEWEST_POSSIBLE or NEWEST_NONE
    change: float  # against the level before the change (or before the newest builds)
    z: float | None  # the newest build off that level, in robust noise units (not when changed)
    since: int  # the build the change starts at (the newest, or the first of the tail off it)
    builds_to_confirm: int  # more builds before a step there can be confirmed (0: confirmed)


@dataclass(frozen=True)
class History:
    config: ConfigKey
    by: str  # BY_BUILD or BY_DATE
    values: tuple[SeriesValue, ...]
    measure: str
    changes: tuple[ChangePoint, ...]  # indices into `values`
    notes: tuple[str, ...] = ()
    newest: Newest | None = None  # None: too few builds to say
    trend: Trend | None = None  # a slow drift since the last change point (not a step)


def newest_check(
    values: Sequence[float | None], changes: Sequence[ChangePoint], min_effect: float
) -> Newest | None:
    """Did the newest build change anything (see Newest)? The trailing builds that sit off the
    level of the builds since the last change (in the newest's direction, by at least OFF_LEVEL
    robust noise units for the newest, 3 for the ones before it) are a possible change, which
    CONFIRM_AFTER builds confirm; else a change confirmed within the last RECENT measured builds
    is the answer; else no change. None with fewer than 6 measured builds."""
    rows = [i for i, v in enumerate(values) if v is not None and v > 0]
    if len(rows) < 6:
        return None
    newest = rows[-1]
    recent = [cp for cp in changes if cp.index in rows[-RECENT:]]
    start = changes[-1].index if changes else 0
    level = [i for i in rows if i >= start]
    confirmed = (
        Newest(newest, NEWEST_CHANGED, recent[-1].change, None, recent[-1].index, 0)
        if recent
        else None
    )
    if len(level) < 6 and confirmed:  # the last change is too recent to have a level of its own
        return confirmed
    logs = np.log([values[i] for i in level])  # type: ignore[misc]
    tail = 1  # newest builds off the level of those before them, in one direction
    while tail < min(CONFIRM_AFTER, len(level) - 5):
        before = logs[: -(tail + 1)]
        z = (logs[-(tail + 1)] - np.median(before)) / max(noise_scale(before), 1e-12)
        if abs(z) < 3 or np.sign(z) != np.sign(logs[-1] - np.median(before)):
            break
        tail += 1
    before = logs[:-tail]
    sigma = noise_scale(before)
    centre = float(np.median(before))
    z_new = (float(logs[-1]) - centre) / sigma if sigma > 0 else 0.0
    change = math.expm1(float(np.median(logs[-tail:])) - centre)
    if abs(z_new) >= OFF_LEVEL and abs(change) >= min_effect:
        since = level[-tail]
        return Newest(newest, NEWEST_POSSIBLE, change, z_new, since, CONFIRM_AFTER - tail)
    if confirmed:
        return confirmed
    return Newest(newest, NEWEST_NONE, math.expm1(float(logs[-1]) - centre), z_new, newest,
                  CONFIRM_AFTER - 1)  # fmt: skip


def _groups(sweeps: Sequence[Sweep], by: str) -> list[list[Sweep]]:
    """Builds in the order first stored, or runs in date order (undated runs last, stored order)."""
    ordered: dict[object, list[Sweep]] = {}
    for sweep in sweeps:
        key = sweep.build if by == BY_BUILD else (sweep.build, sweep.run_id)
        ordered.setdefault(key, []).append(sweep)
    groups = list(ordered.values())
    if by == BY_DATE:
        groups.sort(key=lambda g: (_latest(g) is None, _latest(g) or datetime.min))
    return groups


def _latest(group: list[Sweep]) -> datetime | None:
    times = [s.started_at for s in group if s.started_at]
    return max(times) if times else None


def _value(
    frontiers: list[Frontier], span: tuple[float, float] | None, confidence: float
) -> tuple[float, float | None, float | None]:
    if span is None:
        logs = [math.log(max(p.tput_per_gpu for p in f.points)) for f in frontiers]
    else:
        logs = [matched_summary(f, span) for f in frontiers]
    mean = float(np.mean(logs))
    if len(logs) < 2:
        return math.exp(mean), None, None
    se = float(np.std(logs, ddof=1)) / math.sqrt(len(logs))
    half = t_ppf(0.5 + confidence / 2, len(logs) - 1) * se
    return math.exp(mean), math.exp(mean - half), math.exp(mean + half)


def history(sweeps: Sequence[Sweep], policy: AnalysisPolicy, by: str = BY_BUILD) -> History:
    """The series of one configuration's builds (or runs by date) and its change points."""
    if not sweeps:
        raise ValueError("no sweeps")
    if by not in (BY_BUILD, BY_DATE):
        raise ValueError(f"history is by {BY_BUILD} or {BY_DATE}, not {by!r}")
    groups = _groups(sweeps, by)
    trusted = []
    for group in groups:
        kept, _ = without_suspect([usable(s, policy) for s in group], policy.suspect_rise)
        trusted.append([frontier_of([s]) for s in kept if s.points])
    span = shared_range([f for fs in trusted for f in fs])
    notes = []
    if span is not None and not is_range(span):
        notes.append(
            f"the runs share only one interactivity level ({span[0]:.3g} tok/s/user), not a "
            "range: matched throughput refused, peak throughput used"
        )
        span = None
    values = []
    for group, frontiers in zip(groups, trusted, strict=True):
        value, low, high = _value(frontiers, span, policy.confidence) if frontiers else (None,) * 3
        values.append(
            SeriesValue(
                label=group[0].build.label if by == BY_BUILD else group[0].run_id,
                build=group[0].build,
                at=_latest(group),
                value=value,
                low=low,
                high=high,
                runs=len(group),
                causes=tuple(sorted({s.cause for s in group if s.cause})),
            )
        )
    settings = policy.changepoints
    changes = detect(
        [v.value for v in values],
        alpha=settings.alpha,
        min_size=settings.min_size,
        min_effect=policy.min_effect,
    )
    measure = (
        f"geo-mean tok/s/GPU over {span[0]:.3g}-{span[1]:.3g} tok/s/user"
        if span
        else "peak tok/s/GPU (the runs share no interactivity range)"
    )
    series = [v.value for v in values]
    newest = newest_check(series, changes, policy.min_effect)
    drift = trend(
        series, changes[-1].index if changes else 0, alpha=settings.alpha,
        min_effect=policy.min_effect,
    )  # fmt: skip
    return History(
        sweeps[0].config, by, tuple(values), measure, tuple(changes), tuple(notes), newest, drift
    )
