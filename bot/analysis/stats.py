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
    """A variance known from elsewhere (log scale, one run's summary) and its degrees of freedom
    (fractional when history is weighted by age)."""

    variance: float
    df: float
    source: str  # said in reports: where the noise estimate came from


@dataclass(frozen=True)
class Estimate:
    """candidate / baseline, with a confidence interval and a p-value for 'no change'.

    `baseline` and `candidate` are the two values the ratio is made of (geometric means over
    runs, in the measure's own unit), so a report that prints them beside the ratio can never
    show columns that disagree with their change.
    """

    ratio: float
    low: float | None = None
    high: float | None = None
    p_value: float | None = None
    n_baseline: int = 0
    n_candidate: int = 0
    method: str = ""
    baseline: float | None = None
    candidate: float | None = None
    df: float = 0.0  # degrees of freedom behind the interval (0: no interval)

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


def with_prior(variance: float, df: float, prior: Prior | None) -> tuple[float, float]:
    """Pool a variance with a prior one, weighting each by its degrees of freedom."""
    if prior is None or prior.df <= 0:
        return variance, df
    return (variance * df + prior.variance * prior.df) / (df + prior.df), df + prior.df


def estimate(
    mean_b: float,
    mean_c: float,
    variance: float,
    df: float,
    n_baseline: int,
    n_candidate: int,
    confidence: float,
    method: str,
) -> Estimate:
    """exp(mean_c - mean_b) with a t interval, given the variance of one run's log summary."""
    diff = mean_c - mean_b
    common = dict(
        n_baseline=n_baseline,
        n_candidate=n_candidate,
        baseline=math.exp(mean_b),
        candidate=math.exp(mean_c),
    )
    if df <= 0:
        return Estimate(
            math.exp(diff), method="none: one run per side and no noise history", **common
        )
    se = math.sqrt(variance * (1 / n_baseline + 1 / n_candidate))
    if se == 0:  # identical runs: the data cannot say how sure, so say nothing rather than p=0
        return Estimate(math.exp(diff), method="none: the runs do not vary at all", **common)
    t_crit = float(stats.t.ppf(0.5 + confidence / 2, df))
    return Estimate(
        ratio=math.exp(diff),
        low=math.exp(diff - t_crit * se),
        high=math.exp(diff + t_crit * se),
        p_value=float(2 * stats.t.sf(abs(diff) / se, df)),
        method=method,
        df=df,
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
    own, own_df = pooled_variance([b, c])
    variance, df = with_prior(own, own_df, prior)
    method = f"pooled t over runs ({len(b)} vs {len(c)}, {own_df} df)"
    if prior is not None and prior.df > 0:
        method += f" with {prior.source}"
    mean_b, mean_c = float(b.mean()), float(c.mean())
    return estimate(mean_b, mean_c, variance, df, len(b), len(c), confidence, method)


def repeats_needed(
    sd: float, effect: float = 0.02, confidence: float = 0.95, power: float = 0.8
) -> int:
    """Runs per side to see a relative change of `effect` with this power, given the run-to-run
    standard deviation `sd` of the summary on the log scale (normal approximation)."""
    if sd <= 0:
        return 2
    z = stats.norm.ppf(0.5 + confidence / 2) + stats.norm.ppf(power)
    return max(2, math.ceil(2 * (z * sd / math.log1p(effect)) ** 2))
