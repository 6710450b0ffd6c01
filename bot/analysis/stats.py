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

from bot.analysis.distributions import norm_ppf, t_ppf, t_two_sided


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


def with_prior(variance: np.ndarray, df: int, prior: Prior | None) -> tuple[np.ndarray, float]:
    """Pool variances with a prior one, weighting each by its degrees of freedom."""
    if prior is None or prior.df <= 0:
        return variance, df
    return (variance * df + prior.variance * prior.df) / (df + prior.df), df + prior.df


def ratios_of_logs(
    baseline: np.ndarray,
    candidate: np.ndarray,
    confidence: float = 0.95,
    prior: Prior | None = None,
) -> list[Estimate]:
    """Per column, the difference of the sides' mean logs as a ratio with a pooled t interval
    over runs (rows). One call serves a whole profile of levels at once."""
    b, c = np.atleast_2d(baseline), np.atleast_2d(candidate)
    nb, nc = len(b), len(c)
    if not nb or not nc:
        raise ValueError("each side needs at least one value")
    mb, mc = b.mean(axis=0), c.mean(axis=0)
    own_df = nb + nc - 2
    sum_sq = ((b - mb) ** 2).sum(axis=0) + ((c - mc) ** 2).sum(axis=0)
    variance, df = with_prior(sum_sq / own_df if own_df else np.zeros_like(mb), own_df, prior)
    method = f"pooled t over runs ({nb} vs {nc}, {own_df} df)"
    if prior is not None and prior.df > 0:
        method += f" with {prior.source}"
    se = np.sqrt(variance * (1 / nb + 1 / nc))
    diff = mc - mb
    if df > 0:
        t_crit = t_ppf(0.5 + confidence / 2, df)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = [t_two_sided(float(t), df) for t in np.abs(diff) / se]
    out = []
    for k in range(len(diff)):
        common = {
            "n_baseline": nb,
            "n_candidate": nc,
            "baseline": math.exp(mb[k]),
            "candidate": math.exp(mc[k]),
        }
        ratio = math.exp(diff[k])
        if df <= 0:
            out.append(
                Estimate(ratio, method="none: one run per side and no noise history", **common)
            )
        elif se[k] == 0:  # identical runs: the data cannot say how sure, so say nothing
            out.append(Estimate(ratio, method="none: the runs do not vary at all", **common))
        else:
            half = t_crit * se[k]
            out.append(
                Estimate(
                    ratio,
                    math.exp(diff[k] - half),
                    math.exp(diff[k] + half),
                    float(p[k]),
                    method=method,
                    df=df,
                    **common,
                )
            )
    return out


def ratio_of_logs(
    baseline: Sequence[float],
    candidate: Sequence[float],
    confidence: float = 0.95,
    prior: Prior | None = None,
) -> Estimate:
    """The difference of two groups of log run summaries, as a ratio with a pooled t interval."""
    b = np.asarray(baseline, dtype=float).reshape(-1, 1)
    c = np.asarray(candidate, dtype=float).reshape(-1, 1)
    return ratios_of_logs(b, c, confidence, prior)[0]


def repeats_needed(
    sd: float, effect: float = 0.02, confidence: float = 0.95, power: float = 0.8
) -> int:
    """Runs per side to see a relative change of `effect` with this power, given the run-to-run
    standard deviation `sd` of the summary on the log scale (normal approximation)."""
    if sd <= 0:
        return 2
    z = norm_ppf(0.5 + confidence / 2) + norm_ppf(power)
    return max(2, math.ceil(2 * (z * sd / math.log1p(effect)) ** 2))
