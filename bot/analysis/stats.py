"""Small statistics on log-scale run summaries: the difference of two groups with its interval.

Benchmark changes are ratios, so every estimate is made on logs and reported as a ratio
(candidate / baseline) with a confidence interval. The variance of a run's summary comes from the
runs themselves when there are several, and from a prior (the noise model learned from history)
when there are few, pooled by their degrees of freedom (an empirical-Bayes "moderated" t).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Prior:
    """A variance known from elsewhere (log scale, one run's summary) and its degrees of freedom."""

    variance: float
    df: int
    source: str  # said in reports: where the noise estimate came from


@dataclass(frozen=True)
class Estimate:
    """candidate / baseline, with a confidence interval and a p-value for 'no change'."""

    ratio: float
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    n_baseline: int = 0
    n_candidate: int = 0
    method: str = ""

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None


def pooled_variance(groups: Sequence[Sequence[float]]) -> tuple[float, int]:
    """Within-group variance pooled over groups, and its degrees of freedom (0: none)."""
    sum_sq, df = 0.0, 0
    for group in groups:
        values = np.asarray(group, dtype=float)
        if len(values) >= 2:
            sum_sq += float(((values - values.mean()) ** 2).sum())
            df += len(values) - 1
    return (sum_sq / df if df else 0.0), df


def with_prior(variance: float, df: int, prior: Prior | None) -> tuple[float, int]:
    """Pool a variance with a prior one, weighting each by its degrees of freedom."""
    if prior is None or prior.df <= 0:
        return variance, df
    return (variance * df + prior.variance * prior.df) / (df + prior.df), df + prior.df


def estimate(
    diff: float,
    variance: float,
    df: int,
    n_baseline: int,
    n_candidate: int,
    confidence: float,
    method: str,
) -> Estimate:
    """exp(diff) with a t interval, given the variance of one run's log summary."""
    common = dict(n_baseline=n_baseline, n_candidate=n_candidate)
    if df <= 0:
        return Estimate(
            math.exp(diff), method="none: one run per side and no noise history", **common
        )
    se = math.sqrt(variance * (1 / n_baseline + 1 / n_candidate))
    if se == 0:
        p = 0.0 if diff else 1.0
        return Estimate(math.exp(diff), math.exp(diff), math.exp(diff), p, method=method, **common)
    t_crit = float(stats.t.ppf(0.5 + confidence / 2, df))
    return Estimate(
        ratio=math.exp(diff),
        low=math.exp(diff - t_crit * se),
        high=math.exp(diff + t_crit * se),
        p_value=float(2 * stats.t.sf(abs(diff) / se, df)),
        method=method,
        **common,
    )


def ratio_of_logs(
    baseline: Sequence[float],
    candidate: Sequence[float],
    confidence: float = 0.95,
    prior: Prior | None = None,
) -> Estimate:
    """Difference of mean log summaries as a ratio, with a pooled t interval over runs."""
    b = np.asarray(baseline, dtype=float)
    c = np.asarray(candidate, dtype=float)
    if not len(b) or not len(c):
        raise ValueError("each side needs at least one value")
    variance, df = with_prior(*pooled_variance([b, c]), prior)
    method = f"pooled t over runs ({len(b)} vs {len(c)})"
    if prior is not None:
        method += f" with {prior.source}"
    return estimate(float(c.mean() - b.mean()), variance, df, len(b), len(c), confidence, method)


def repeats_needed(
    sd: float, effect: float = 0.02, confidence: float = 0.95, power: float = 0.8
) -> int:
    """Runs per side to see a relative change of `effect` with this power, given the run-to-run
    standard deviation `sd` of the summary on the log scale (normal approximation)."""
    if sd <= 0:
        return 2
    z = stats.norm.ppf(0.5 + confidence / 2) + stats.norm.ppf(power)
    return max(2, math.ceil(2 * (z * sd / math.log1p(effect)) ** 2))
