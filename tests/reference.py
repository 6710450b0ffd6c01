"""An independent re-implementation of what `compare` promises, for tests to check it against.

Written from docs/statistics.md, not from bot/analysis: plain Python loops for the Pareto set and
the log-log interpolation, scipy's own two-sample t-test for p-values. If the two ever disagree,
one of them misreads the definition.
"""

from __future__ import annotations

import itertools
import math

from scipy import stats


def pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(interactivity, throughput) pairs that no other pair beats on both axes, x ascending."""
    keep = []
    for x, y in points:
        beaten = any((x2 >= x and y2 >= y) and (x2 > x or y2 > y) for x2, y2 in points)
        if not beaten:
            keep.append((x, y))
    return sorted(set(keep))


def at(front: list[tuple[float, float]], x: float) -> float:
    """Throughput at interactivity x, linear in log-log between neighbours; NaN outside."""
    lx = math.log(x)
    logs = [(math.log(a), math.log(b)) for a, b in front]
    if lx < logs[0][0] - 1e-12 or lx > logs[-1][0] + 1e-12:
        return math.nan
    if len(logs) == 1:
        return front[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(logs):
        if x0 - 1e-12 <= lx <= x1 + 1e-12:
            w = 0.0 if x1 == x0 else (lx - x0) / (x1 - x0)
            return math.exp(y0 + w * (y1 - y0))
    return math.nan


def levels(lo: float, hi: float, n: int = 64) -> list[float]:
    return [lo * (hi / lo) ** (k / (n - 1)) for k in range(n)]


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def two_sample(b: list[float], c: list[float], confidence: float = 0.95) -> dict:
    """Ratio exp(mean c - mean b) of log values, pooled t interval and p-value (scipy)."""
    out = {"ratio": math.exp(mean(c) - mean(b))}
    out["baseline"], out["candidate"] = math.exp(mean(b)), math.exp(mean(c))
    df = len(b) + len(c) - 2
    if df <= 0:
        return out | {"low": None, "high": None, "p": None}
    ss = sum((v - mean(b)) ** 2 for v in b) + sum((v - mean(c)) ** 2 for v in c)
    se = math.sqrt(ss / df * (1 / len(b) + 1 / len(c)))
    t = stats.t.ppf(0.5 + confidence / 2, df)
    d = mean(c) - mean(b)
    p = stats.ttest_ind(c, b, equal_var=True).pvalue
    return out | {"low": math.exp(d - t * se), "high": math.exp(d + t * se), "p": float(p)}


def compare_runs(
    base: list[list[tuple[float, float]]],
    cand: list[list[tuple[float, float]]],
    targets: tuple[float, ...] = (20.0, 35.0, 50.0),
) -> dict:
    """Every figure of a comparison from raw (interactivity, throughput) points of each run."""
    fb = [pareto(run) for run in base]
    fc = [pareto(run) for run in cand]
    every = fb + fc
    lo, hi = max(f[0][0] for f in every), min(f[-1][0] for f in every)
    grid = levels(lo, hi)

    def summary(f: list[tuple[float, float]]) -> float:
        return mean([math.log(at(f, g)) for g in grid])

    return {
        "overlap": (lo, hi),
        "matched": two_sample([summary(f) for f in fb], [summary(f) for f in fc]),
        "targets": {
            t: two_sample([math.log(at(f, t)) for f in fb], [math.log(at(f, t)) for f in fc])
            for t in targets
            if lo <= t <= hi
        },
        "peak": two_sample(
            [math.log(max(y for _, y in f)) for f in fb],
            [math.log(max(y for _, y in f)) for f in fc],
        ),
        "reach": two_sample([math.log(f[-1][0]) for f in fb], [math.log(f[-1][0]) for f in fc]),
    }
