"""Run-to-run noise of one configuration, learned from repeated runs of the same build in history.

Two views: the coefficient of variation of throughput per GPU at each concurrency (what people
quote), and the standard deviation of a run's matched-throughput summary on the log scale (what a
comparison needs, and what tells how many repeats it takes to see a 2% change).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.analysis.compare import local_frame
from bot.analysis.stats import Prior, pooled_variance, repeats_needed
from bot.model import Build, Sweep


@dataclass(frozen=True)
class NoiseModel:
    cv_by_concurrency: dict[int, float] = field(default_factory=dict)  # pooled sample CV
    summary_sd: float | None = None  # log-scale sd of one run's matched summary
    df: int = 0  # degrees of freedom behind summary_sd
    builds: int = 0  # builds with two or more runs that contributed

    def prior(self) -> Prior | None:
        if self.summary_sd is None or self.df < 1:
            return None
        return Prior(
            variance=self.summary_sd**2,
            df=self.df,
            source=f"noise history ({self.builds} build{'s' if self.builds != 1 else ''}, "
            f"{self.df} df)",
        )

    def repeats_for(self, effect: float = 0.02, confidence: float = 0.95) -> int | None:
        if self.summary_sd is None:
            return None
        return repeats_needed(self.summary_sd, effect, confidence)


def _by_build(sweeps: Sequence[Sweep]) -> list[list[Sweep]]:
    groups: dict[Build, list[Sweep]] = defaultdict(list)
    for sweep in sweeps:
        if sweep.points:
            groups[sweep.build].append(sweep)
    return [g for g in groups.values() if len(g) >= 2]


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


def noise_model(sweeps: Sequence[Sweep]) -> NoiseModel:
    """Pool the spread of repeated runs of each build of one configuration.

    The run summary is the one the comparison uses (bot/analysis/compare.py, LocalFrame), so
    the learned spread can stand in for runs a comparison does not have.
    """
    groups = _by_build(sweeps)
    summaries = []
    for group in groups:
        frame = local_frame(group, group)
        if frame is not None:
            summaries.append([frame.summary(s) for s in group])
    variance, df = pooled_variance(summaries)
    return NoiseModel(
        cv_by_concurrency=_pooled_cv(groups),
        summary_sd=math.sqrt(variance) if df else None,
        df=df,
        builds=len(groups),
    )
