"""Run-to-run noise of one configuration, learned from repeated runs of OTHER builds in history.

Two views: the coefficient of variation of throughput per GPU at each concurrency (what people
quote), and the standard deviation of a run's matched summary on the log scale (what a
comparison needs, and what tells how many repeats it takes to see a 2% change).

The builds being compared never feed their own noise estimate (that would be circular: with one
run a side, "history" would be those two runs), and recent builds weigh more than old ones
(runners, drivers and the framework itself change): a build `half_life` builds older than the
newest weighs half as much. Excluded runs never reach this module (the store leaves them out).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.analysis.frontier import frontier_of, is_range, matched_summary, shared_range
from bot.analysis.stats import Prior, repeats_needed
from bot.analysis.suspect import without_suspect
from bot.config import AnalysisPolicy
from bot.model import Build, Sweep


@dataclass(frozen=True)
class NoiseModel:
    cv_by_concurrency: dict[int, float] = field(default_factory=dict)  # pooled sample CV
    summary_sd: float | None = None  # log-scale sd of one run's matched summary
    df: float = 0.0  # degrees of freedom behind summary_sd, after weighting by age
    builds: int = 0  # builds with two or more runs that contributed

    def prior(self) -> Prior | None:
        if self.summary_sd is None or self.df <= 0:
            return None
        plural = "s" if self.builds != 1 else ""
        return Prior(
            variance=self.summary_sd**2,
            df=self.df,
            source=f"noise history of other builds ({self.builds} build{plural}, {self.df:.3g} df)",
        )

    def repeats_for(self, effect: float = 0.02, confidence: float = 0.95) -> int | None:
        if self.summary_sd is None:
            return None
        return repeats_needed(self.summary_sd, effect, confidence)


def _by_build(sweeps: Sequence[Sweep], exclude: Collection[Build]) -> list[list[Sweep]]:
    """Builds with two or more runs that have points, oldest first (by the latest start time
    where every run has one, else by storage order)."""
    groups: dict[Build, list[Sweep]] = defaultdict(list)
    for sweep in sweeps:
        if sweep.points and sweep.build not in exclude:
            groups[sweep.build].append(sweep)
    ordered = [g for g in groups.values() if len(g) >= 2]
    if all(s.started_at for g in ordered for s in g):
        ordered.sort(key=lambda g: max(s.started_at for s in g if s.started_at))
    return ordered


def _summaries(group: list[Sweep], span: tuple[float, float] | None) -> list[float] | None:
    """Each run's matched summary over `span` where every run reaches it, else over the range
    the group's runs share."""
    frontiers = [frontier_of([s]) for s in group]
    own = shared_range(frontiers)
    if span is not None and own is not None and own[0] <= span[0] and span[1] <= own[1]:
        use = span
    elif is_range(own):
        use = own
    else:
        return None
    assert use is not None
    return [matched_summary(f, use) for f in frontiers]


def _pooled_cv(groups: list[list[Sweep]]) -> dict[int, float]:
    sum_sq: dict[int, float] = defaultdict(float)
    dfs: dict[int, int] = defaultdict(int)
    for group in groups:
        by_conc: dict[int, list[float]] = defaultdict(list)
        for sweep in group:
            for point in sweep.points:
                by_conc[point.concurrency].append(point.tput_per_gpu)
        for conc, values in by_conc.items():
            if len(values) >= 2:
                v = np.asarray(values)
                sum_sq[conc] += float(((v / v.mean() - 1) ** 2).sum())
                dfs[conc] += len(v) - 1
    return {c: math.sqrt(sum_sq[c] / dfs[c]) for c in sorted(dfs)}


def noise_model(
    sweeps: Sequence[Sweep],
    policy: AnalysisPolicy | None = None,
    *,
    exclude: Collection[Build] = (),
    span: tuple[float, float] | None = None,
) -> NoiseModel:
    """Pool the spread of repeated runs of each build of one configuration, except `exclude`.

    The run summary is the one the comparison's headline uses (frontier.matched_summary over
    `span`, the comparison's overlap, where the history's runs reach it), so the learned spread
    can stand in for runs a comparison does not have.
    """
    policy = policy or AnalysisPolicy()
    trusted, _ = without_suspect([s for s in sweeps if s.points], policy.suspect_rise)
    groups = _by_build(trusted, exclude)
    sum_sq = weighted_df = 0.0
    used = 0
    for age, group in enumerate(reversed(groups)):
        values = _summaries(group, span)
        if values is None:
            continue
        weight = 0.5 ** (age / policy.noise_half_life)
        v = np.asarray(values)
        sum_sq += weight * float(((v - v.mean()) ** 2).sum())
        weighted_df += weight * (len(v) - 1)
        used += 1
    return NoiseModel(
        cv_by_concurrency=_pooled_cv(groups),
        summary_sd=math.sqrt(sum_sq / weighted_df) if weighted_df else None,
        df=weighted_df,
        builds=used,
    )
