"""Pareto frontiers in (interactivity, throughput per GPU) and interpolation along them.

Upper-right is better on both axes. Between frontier points the curve is linear in log-log space:
monotone by construction (it never invents a bump between two measured points) and scale-free, so a
ratio of two interpolated frontiers does not depend on the units of either axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from bot.analysis.economics import frontier_point
from bot.config import PriceTable
from bot.model import Frontier, Point, Sweep


def pareto_points(points: Iterable[Point]) -> list[Point]:
    """The non-dominated points, sorted by interactivity ascending (throughput then descends).

    A point is dominated when another is at least as good on both axes and better on one.
    Ties (equal on both axes) keep the lower concurrency: the cheaper way to the same place.
    """
    ordered = sorted(points, key=lambda p: (-p.interactivity, -p.tput_per_gpu, p.concurrency))
    kept: list[Point] = []
    best = -math.inf
    for point in ordered:
        if point.tput_per_gpu > best:
            kept.append(point)
            best = point.tput_per_gpu
    return kept[::-1]


def frontier_of(sweeps: Sequence[Sweep], prices: PriceTable | None = None) -> Frontier:
    """The frontier of one or more sweeps of one configuration and build (their union of points)."""
    if not sweeps:
        raise ValueError("no sweeps")
    first = sweeps[0]
    if any(s.config != first.config or s.build != first.build for s in sweeps):
        raise ValueError("a frontier is of one configuration and one build")
    pts = pareto_points(p for s in sweeps for p in s.points)
    return Frontier(
        config=first.config,
        build=first.build,
        points=tuple(frontier_point(p, first.config.hardware, prices) for p in pts),
        run_ids=tuple(sorted({s.run_id for s in sweeps})),
    )


def log_curve(frontier: Frontier) -> tuple[np.ndarray, np.ndarray]:
    """(log interactivity, log throughput) of the frontier points, x ascending."""
    xs = np.log([p.interactivity for p in frontier.points])
    ys = np.log([p.tput_per_gpu for p in frontier.points])
    return xs, ys


def throughput_at(frontier: Frontier, interactivity: float | np.ndarray) -> np.ndarray:
    """Throughput per GPU the frontier reaches at the given interactivity (log-log linear).

    Outside the frontier's measured interactivity range the answer is NaN: extrapolating a
    benchmark curve is a guess, not a measurement.
    """
    xs, ys = log_curve(frontier)
    x = np.log(np.atleast_1d(np.asarray(interactivity, dtype=float)))
    if len(xs) == 1:
        return np.where(np.isclose(x, xs[0]), np.exp(ys[0]), np.nan)
    out = np.exp(np.interp(x, xs, ys))
    out[(x < xs[0] - 1e-12) | (x > xs[-1] + 1e-12)] = np.nan
    return out


# ---- the ranges and levels comparisons and histories are made over -------------------------

GRID = 64  # interactivity levels across a shared range (log-spaced)
MIN_SPAN = 1.01  # a range narrower than 1% of interactivity is one level, not a range


def shared_range(frontiers: Sequence[Frontier]) -> tuple[float, float] | None:
    """The interactivity range that every frontier reaches (None if they share none)."""
    ranges = [f.interactivity_range for f in frontiers]
    if not ranges or any(r is None for r in ranges):
        return None
    lo = max(r[0] for r in ranges if r)
    hi = min(r[1] for r in ranges if r)
    return (lo, hi) if lo <= hi else None


def is_range(span: tuple[float, float] | None) -> bool:
    """A span wide enough to average over (not one level)."""
    return span is not None and span[1] >= span[0] * MIN_SPAN


def grid(span: tuple[float, float], levels: int = GRID) -> np.ndarray:
    return np.geomspace(span[0], span[1], levels)


def log_curves(frontiers: Sequence[Frontier], levels: np.ndarray) -> np.ndarray:
    """log throughput of each frontier (rows) at each level (columns)."""
    return np.log(np.array([throughput_at(f, levels) for f in frontiers]))


def matched_summary(frontier: Frontier, span: tuple[float, float]) -> float:
    """A run's mean log throughput over the span: what the headline compares run by run."""
    return float(log_curves([frontier], grid(span))[0].mean())


def band(frontiers: Sequence[Frontier], levels: int = 32) -> list[tuple[float, float, float]]:
    """How far repeats of one build spread: (interactivity, lowest, highest throughput/GPU)
    among the runs' own frontiers, at log-spaced levels across the range any run reaches, kept
    where two or more runs reach that level. Empty with fewer than two runs: one run has no
    spread to draw, and a band drawn from it would look like certainty."""
    ranges = [f.interactivity_range for f in frontiers]
    spans = [r for r in ranges if r is not None]
    if len(spans) < 2:
        return []
    lo, hi = min(r[0] for r in spans), max(r[1] for r in spans)
    xs = grid((lo, hi), levels) if hi > lo else np.array([lo])
    ys = np.array([throughput_at(f, xs) for f in frontiers if f.points])
    reached = (~np.isnan(ys)).sum(axis=0) >= 2
    if not reached.any():
        return []
    low = np.nanmin(np.where(reached, ys, np.inf), axis=0)
    high = np.nanmax(np.where(reached, ys, -np.inf), axis=0)
    return [
        (float(x), float(a), float(b))
        for x, a, b, ok in zip(xs, low, high, reached, strict=True)
        if ok
    ]
