"""The evidence of a performance bisection: each run as one number, the run-to-run noise, and
the posterior over where the step is. Pure functions over stored sweeps; the decisions that use
them are in bisect.py.

Each run is measured at equal load (`run_values`); the noise is pooled within commits and
moderated by the configuration's history in the same units (`history_noise`); a run is either on
its level or slow for reasons of its own (`SLOW_RUN`), which real GPU sweeps show; and every
measured commit feeds `culprit_posterior`. docs/statistics.md, "Bisection", says why each is so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from bot.analysis.frontier import frontier_of, is_range, matched_summary, shared_range
from bot.analysis.verdict import usable
from bot.config import AnalysisPolicy
from bot.model import SWEEP_OK, Sweep, same_commit


def run_values(
    by_index: Mapping[int, Sequence[Sweep]], policy: AnalysisPolicy
) -> dict[int, list[float]]:
    """One number per working run: its mean log throughput per GPU over the concurrencies every
    working run reached. Every probe is the same job at another commit, so runs are matched by
    the load they were given; a closed-loop client's throughput carries any change in latency
    too. Matching at equal load averages every point's noise, where a frontier-matched summary
    (what a comparison of two jobs needs) leans on the one or two points inside the range all
    runs share (measured: 6-7% against 4% run noise at 8% per point and four concurrencies).
    Without a concurrency every run reached: the frontier-matched summary, else log peak."""
    runs = {i: [usable(s, policy) for s in ss] for i, ss in by_index.items()}
    runs = {i: [s for s in ss if s.status == SWEEP_OK and s.points] for i, ss in runs.items()}
    every = [s for ss in runs.values() for s in ss]
    loads = [{p.concurrency for p in s.points} for s in every]
    shared = set.intersection(*loads) if loads else set()
    if shared:
        return {i: [_at_load(s, shared) for s in ss] for i, ss in runs.items()}
    frontiers = {i: [frontier_of([s]) for s in ss] for i, ss in runs.items()}
    span = shared_range([f for fs in frontiers.values() for f in fs])
    if is_range(span):
        assert span is not None
        return {i: [matched_summary(f, span) for f in fs] for i, fs in frontiers.items()}
    return {
        i: [math.log(max(p.tput_per_gpu for p in f.points)) for f in fs]
        for i, fs in frontiers.items()
    }


def _at_load(sweep: Sweep, concurrencies: set[int]) -> float:
    by_conc: dict[int, list[float]] = {}
    for p in sweep.points:
        if p.concurrency in concurrencies and p.tput_per_gpu > 0:
            by_conc.setdefault(p.concurrency, []).append(math.log(p.tput_per_gpu))
    return sum(sum(v) / len(v) for v in by_conc.values()) / len(by_conc)


def history_noise(
    sweeps: Sequence[Sweep], policy: AnalysisPolicy, exclude: Sequence[str] = ()
) -> tuple[float, float] | None:
    """(sd, df) of `run_values` between runs of one build, pooled over the configuration's
    builds with two or more runs: the prior the bisection's own noise estimate starts from, in
    the units it measures. Runs at the commits in `exclude` (the bisection's window, whose runs
    it pools itself) are left out."""
    groups: dict[object, list[Sweep]] = {}
    for s in sweeps:
        if not any(same_commit(s.build.commit, c) for c in exclude if s.build.commit):
            groups.setdefault(s.build, []).append(s)
    ss, df = _within(run_values({0: g}, policy).get(0, []) for g in groups.values())
    return (math.sqrt(ss / df), df) if df else None


def _within(groups: Iterable[Sequence[float]]) -> tuple[float, float]:
    """(sum of squares, degrees of freedom) of runs around their commit's level, pooled over
    commits. A run far off its level (SLOW_RUN) would inflate the noise of every later decision
    and the runs each probe is given: runs are weighted by how surely they are on their level,
    as `culprit_posterior` weighs them (a few reweighting steps from the plain estimate)."""
    groups = [list(g) for g in groups if len(g) > 1]
    df = float(sum(len(g) - 1 for g in groups))
    # start from the median of the squared differences of two runs of one commit (2 var each;
    # a chi-square of 1 df has its median at 0.455): a slow run spoils only the pairs it is in,
    # where it would shift its commit's mean and so every residual there
    squares = sorted(
        (g[i] - g[j]) ** 2 / 2 / 0.455 for g in groups for i in range(len(g)) for j in range(i)
    )
    ss = squares[len(squares) // 2] * df if squares else 0.0
    if ss <= 0:  # half the runs identical to their commit's mean: the plain estimate
        ss = sum(sum((x - sum(g) / len(g)) ** 2 for x in g) for g in groups)
    floor = math.log(SLOW_RUN * SLOW_DENSITY)
    for _ in range(5):
        if ss <= 0 or df <= 0:
            break
        sd = math.sqrt(ss / df)
        ss = df = 0.0
        for g in groups:
            m = sorted(g)[len(g) // 2]
            for _ in range(2):
                w = [_on_level(x, m, sd, floor) for x in g]
                m = sum(wi * x for wi, x in zip(w, g, strict=True)) / max(sum(w), 1e-12)
            ss += sum(wi * (x - m) ** 2 for wi, x in zip(w, g, strict=True))
            df += max(0.0, sum(w) - 1)
    return ss, df


def pooled(
    values: Mapping[int, Sequence[float]], prior: tuple[float, float] | None
) -> tuple[float | None, float]:
    """(variance, df) of runs within commits, moderated by the noise history (sd, df), widened
    for a t's heavier tails when df is small; (None, 0) with nothing to pool."""
    ss, df = _within(values.values())
    if prior is not None and prior[1] > 0:
        ss += prior[0] ** 2 * prior[1]
        df += prior[1]
    if df <= 0:
        return None, 0.0
    var = ss / df
    return var * (df / (df - 2) if df > 4 else 2.0), df  # a t's heavier tails, when df is small


def _log_normal(x: float, mean: float, var: float) -> float:
    return -0.5 * math.log(2 * math.pi * var) - (x - mean) ** 2 / (2 * var)


FIRST_MOST = 4  # more runs are added where they decide something, not sent up front


def first_repeats(sd: float | None, change: float, confidence: float, least: int = 2) -> int:
    """Runs a probe needs for its expected evidence to reach the confidence at this noise."""
    if sd is None or change == 0:
        return 3
    threshold = math.log(confidence / (1 - confidence))
    return max(least, min(FIRST_MOST, math.ceil(2 * threshold * sd**2 / change**2)))


SLOW_RUN = 0.05  # share of runs that are off for reasons of their own (a slow host, a hiccup)
SLOW_DENSITY = 1.0  # where such a run lands: anywhere within about +-50% (log scale)


def culprit_posterior(
    values: Mapping[int, Sequence[float]], n: int, var: float, change: float
) -> list[float]:
    """P(the first commit like the candidate is k), k = 1..n-1 (index 0 unused), from every
    measured commit's runs: a step at k puts the commits before it on one level and the rest on
    another; each level is fitted, and a split whose step points against the change is ruled
    out. Uniform prior over k.

    A run is either on its level (normal, `var`) or, with probability SLOW_RUN, off for reasons
    of its own: one slow repeat in three is what real GPU sweeps show (../shared/data/gpu), and
    under a plain normal model such a run at a good commit reads as strong evidence that it is
    bad. The levels are fitted with the same model (a few reweighting steps)."""
    measured = sorted(i for i, v in values.items() if v)
    sd = math.sqrt(var)
    floor = math.log(SLOW_RUN * SLOW_DENSITY)

    def fit(xs: list[float]) -> tuple[float, float]:
        """(level, log-likelihood) of these runs around one level, slow runs allowed."""
        m = sorted(xs)[len(xs) // 2]
        for _ in range(3):
            w = [_on_level(x, m, sd, floor) for x in xs]
            m = sum(wi * x for wi, x in zip(w, xs, strict=True)) / max(sum(w), 1e-12)
        return m, sum(_mixture(x, m, var, floor) for x in xs)

    logs = [-math.inf] * n
    for k in range(1, n):
        left = [x for i in measured if i < k for x in values[i]]
        right = [x for i in measured if i >= k for x in values[i]]
        if not left or not right:
            continue
        (ml, ll), (mr, lr) = fit(left), fit(right)
        if (mr - ml) * change < 0:
            continue
        logs[k] = ll + lr
    top = max(logs)
    if top == -math.inf:  # no split has the step's direction: nothing is known yet
        return [0.0] + [1 / (n - 1)] * (n - 1)
    weights = [math.exp(x - top) if x > -math.inf else 0.0 for x in logs]
    total = sum(weights)
    return [w / total for w in weights]


def _mixture(x: float, mean: float, var: float, floor: float) -> float:
    """log((1 - SLOW_RUN) N(x; mean, var) + SLOW_RUN * SLOW_DENSITY)"""
    a = math.log(1 - SLOW_RUN) + _log_normal(x, mean, var)
    return max(a, floor) + math.log1p(math.exp(-abs(a - floor)))


def _on_level(x: float, mean: float, sd: float, floor: float) -> float:
    """The posterior that run `x` is on its level rather than slow for reasons of its own."""
    a = math.log(1 - SLOW_RUN) + _log_normal(x, mean, sd * sd)
    return 1 / (1 + math.exp(min(700.0, floor - a)))
