"""Frontier against frontier for one configuration: matched throughput, peak, reach.

Takes every repeat of each side. Each (baseline repeat, candidate repeat) pair is compared on its
own, and the pair estimates are combined by geometric mean; the per-pair values are kept so that
intervals over repeats can be computed from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.analysis.frontier import frontier_of, throughput_at
from bot.model import Build, ConfigKey, Frontier, Sweep

DEFAULT_TARGETS = (20.0, 35.0, 50.0)  # tok/s/user levels people quote
GRID = 64  # interactivity samples across the overlap (log-spaced)


@dataclass(frozen=True)
class PairRatios:
    """Candidate / baseline ratios for one pair of repeats (None where undefined)."""

    matched: float | None  # geometric mean of throughput ratio over the overlapping range
    peak: float
    reach: float
    at_targets: dict[float, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Comparison:
    config: ConfigKey
    baseline: Build
    candidate: Build
    baseline_runs: int
    candidate_runs: int
    baseline_frontier: Frontier  # union of the baseline repeats
    candidate_frontier: Frontier
    overlap: tuple[float, float] | None  # interactivity range both frontiers reach
    matched_ratio: float | None
    peak_ratio: float
    reach_ratio: float
    target_ratios: dict[float, float]
    pairs: tuple[PairRatios, ...]
    notes: tuple[str, ...] = ()


def _geomean(values: Sequence[float]) -> float:
    return float(math.exp(np.mean(np.log(values))))


def overlap(a: Frontier, b: Frontier) -> tuple[float, float] | None:
    ra, rb = a.interactivity_range, b.interactivity_range
    if ra is None or rb is None:
        return None
    lo, hi = max(ra[0], rb[0]), min(ra[1], rb[1])
    return (lo, hi) if lo <= hi else None


def matched_ratio(base: Frontier, cand: Frontier) -> float | None:
    """Geometric mean over the overlap of cand/base throughput (log-spaced interactivity grid)."""
    span = overlap(base, cand)
    if span is None:
        return None
    grid = np.geomspace(span[0], span[1], GRID) if span[1] > span[0] else np.array([span[0]])
    ratios = throughput_at(cand, grid) / throughput_at(base, grid)
    return _geomean(ratios[np.isfinite(ratios)]) if np.isfinite(ratios).any() else None


def _pair(base: Frontier, cand: Frontier, targets: Sequence[float]) -> PairRatios:
    at = {}
    for target in targets:
        ratio = (throughput_at(cand, target) / throughput_at(base, target))[0]
        if np.isfinite(ratio):
            at[target] = float(ratio)
    assert base.peak_tput_per_gpu and cand.peak_tput_per_gpu
    reach_b = base.points[-1].interactivity
    reach_c = cand.points[-1].interactivity
    return PairRatios(
        matched=matched_ratio(base, cand),
        peak=cand.peak_tput_per_gpu / base.peak_tput_per_gpu,
        reach=reach_c / reach_b,
        at_targets=at,
    )


def compare(
    baseline: Sequence[Sweep],
    candidate: Sequence[Sweep],
    targets: Sequence[float] = DEFAULT_TARGETS,
) -> Comparison:
    """Compare the candidate's frontier with the baseline's for one configuration.

    Each side is one or more sweeps (repeats) of one build; sweeps without points are not
    comparable here (failures are judged separately).
    """
    base = [s for s in baseline if s.points]
    cand = [s for s in candidate if s.points]
    if not base or not cand:
        raise ValueError("each side needs at least one sweep with points")
    config = base[0].config
    if any(s.config != config for s in [*base, *cand]):
        raise ValueError("a comparison is of one configuration")
    pairs = tuple(_pair(frontier_of([b]), frontier_of([c]), targets) for b in base for c in cand)
    matched = [p.matched for p in pairs if p.matched is not None]
    notes = []
    if not matched:
        notes.append("the frontiers share no interactivity range: no matched-throughput ratio")
    if len(base) == 1 or len(cand) == 1:
        notes.append("one run on a side: no interval over repeats; treat the change as indicative")
    common_targets = [t for t in targets if all(t in p.at_targets for p in pairs)]
    base_frontier, cand_frontier = frontier_of(base), frontier_of(cand)
    return Comparison(
        config=config,
        baseline=base[0].build,
        candidate=cand[0].build,
        baseline_runs=len(base),
        candidate_runs=len(cand),
        baseline_frontier=base_frontier,
        candidate_frontier=cand_frontier,
        overlap=overlap(base_frontier, cand_frontier),
        matched_ratio=_geomean(matched) if matched else None,
        peak_ratio=_geomean([p.peak for p in pairs]),
        reach_ratio=_geomean([p.reach for p in pairs]),
        target_ratios={t: _geomean([p.at_targets[t] for p in pairs]) for t in common_targets},
        pairs=pairs,
        notes=tuple(notes),
    )
