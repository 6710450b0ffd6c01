"""Change points in one series (one value per build, in time order): where the level moved.

Method: binary segmentation with a rank statistic (Pettitt's test, a maximally selected
Mann-Whitney statistic), then a merge pass. Ranks make the test indifferent to the noise's shape,
so outliers and heavy tails do not create change points; Pettitt's p-value accounts for the split
having been chosen as the best of many, which is what keeps false alarms rare.

The merge pass re-tests every change point against its *current* neighbours only, drops the
weakest one that no longer passes (or whose effect is below the minimum that matters), and repeats;
then every segment's statistics are computed afresh from the final segments. (Apache Otava reports
magnitudes from before its merges, which leaves some stale.)

Missing values (None or NaN: a build that was not measured, or failed) are skipped without
shifting indices: every index in the result is a row of the input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DEFAULT_ALPHA = 0.001  # per test; see docs/statistics.md for the false-alarm rate this gives
DEFAULT_MIN_SIZE = 5  # points on each side of a change, at least
TRIM = 0.2  # Yuen's test trims this fraction from each end of each segment


@dataclass(frozen=True)
class Segment:
    """Statistics of the measured values between two change points (input row indices)."""

    start: int  # first row
    end: int  # last row + 1
    n: int  # measured values (missing rows excluded)
    mean: float
    median: float
    std: float


@dataclass(frozen=True)
class ChangePoint:
    index: int  # first row after the change
    before: Segment
    after: Segment
    change: float  # after.median / before.median - 1
    p_value: float  # Pettitt's test on the two adjacent segments


def change_point_json(cp: ChangePoint, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """The change point as `detect --json` and `history --json` give it."""
    out: dict[str, Any] = {"index": cp.index, "change": cp.change, "p_value": cp.p_value}
    if labels is not None:
        out["label"] = labels[cp.index]
    return out | {"before": asdict(cp.before), "after": asdict(cp.after)}


# scipy is not imported here: its import alone (about 0.25 s) was most of what `paretobot detect`
# took on 100,000 points. The two things it gave are written out below.


def _betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz's
    method, as in Numerical Recipes' betacf), taken on the side where it converges fast."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _betainc(b, a, 1.0 - x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return math.exp(log_front) * h / a


def _t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom (scipy's 2 * stdtr(df, -|t|))."""
    if not math.isfinite(t):
        return 0.0
    return _betainc(df / 2.0, 0.5, df / (df + t * t))


def _median5(y: np.ndarray) -> np.ndarray:
    """A running median over 5 points, ends repeated (scipy.ndimage's median_filter(size=5,
    mode="nearest"))."""
    padded = np.pad(y, 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, 5), axis=1)


def _ranks(y: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank), as scipy's rankdata, minus its
    per-call overhead that dominates on short series."""
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]


def _pettitt(y: np.ndarray, min_size: int) -> tuple[int, float]:
    """Best split of y (first index of the second part) and its p-value (Pettitt 1979)."""
    n = len(y)
    if n < 2 * min_size:
        return -1, 1.0
    ranks = _ranks(y)
    t = np.arange(1, n)
    u = 2.0 * np.cumsum(ranks)[:-1] - t * (n + 1.0)
    window = np.abs(u[min_size - 1 : n - min_size])
    best = int(np.argmax(window))
    k = float(window[best])
    p = 2.0 * math.exp(-6.0 * k * k / (float(n) ** 3 + float(n) ** 2))
    return best + min_size, min(1.0, p)


def _trimmed(x: np.ndarray) -> tuple[float, float, int]:
    """Trimmed mean, Yuen's squared standard error, and the trimmed count of one sample."""
    n = len(x)
    g = int(TRIM * n)
    xs = np.sort(x)
    h = n - 2 * g
    winsorized = np.clip(xs, xs[g], xs[n - g - 1])
    d = (n - 1) * float(np.var(winsorized, ddof=1)) / (h * (h - 1)) if h > 1 else math.inf
    return float(xs[g : n - g].mean()), d, h


def _trimmed_t(y: np.ndarray, at: int) -> float:
    """Yuen's trimmed-means t-test between y[:at] and y[at:] (robust to outliers), two-sided.

    Written out rather than scipy.stats.ttest_ind(trim=...): same statistic, a fraction of the
    per-call overhead, which matters when a long series is tested thousands of times.
    """
    m1, d1, h1 = _trimmed(y[:at])
    m2, d2, h2 = _trimmed(y[at:])
    if d1 + d2 == 0:  # no spread at all: only a difference in level can speak
        return 0.0 if m1 != m2 else 1.0
    if not math.isfinite(d1 + d2):
        return 1.0
    t = abs(m1 - m2) / math.sqrt(d1 + d2)
    df = (d1 + d2) ** 2 / (d1**2 / (h1 - 1) + d2**2 / (h2 - 1))
    return _t_two_sided(t, df)


def _test(y: np.ndarray, min_size: int) -> tuple[int, float]:
    """Where y most likely changed, and the p-value of 'it did not'.

    Two tests, combined by Bonferroni (so the false-alarm rate holds): Pettitt's rank test, whose
    p-value already accounts for choosing the best split but which cannot go below about
    2 / C(n, n/2) (a dozen builds can never reach 0.001); and Yuen's trimmed t-test at that split,
    multiplied by the number of splits it could have picked, which gives a short series with a
    clear step the evidence it has.
    """
    at, p_rank = _pettitt(y, min_size)
    if at < 0:
        return at, 1.0
    splits = len(y) - 2 * min_size + 1
    return at, min(1.0, 2.0 * min(p_rank, splits * _trimmed_t(y, at)))


def _split(y: np.ndarray, alpha: float, min_size: int) -> list[int]:
    """Binary segmentation: positions (in y) where significant splits fall, sorted."""
    found: list[int] = []
    stack = [(0, len(y))]
    while stack:
        lo, hi = stack.pop()
        at, p = _test(y[lo:hi], min_size)
        if at > 0 and p < alpha:
            found.append(lo + at)
            stack += [(lo, lo + at), (lo + at, hi)]
    return sorted(found)


def _relative_change(before: np.ndarray, after: np.ndarray, logged: bool) -> float:
    if logged:  # medians of logs are logs of medians
        return math.expm1(float(np.median(after) - np.median(before)))
    base = float(np.median(before))
    return float(np.median(after)) / base - 1 if base else math.inf


def _merge(
    y: np.ndarray, cuts: list[int], alpha: float, min_size: int, min_effect: float, logged: bool
) -> list[tuple[int, float]]:
    """Drop the weakest change point until each passes against its neighbours; keep p-values."""
    cuts = list(cuts)
    known: dict[tuple[int, int, int], tuple[bool, float]] = {}  # only a removal's neighbours change

    def score(lo: int, cut: int, hi: int) -> tuple[bool, float]:
        if (lo, cut, hi) not in known:
            _, p = _test(y[lo:hi], min_size)
            effect = abs(_relative_change(y[lo:cut], y[cut:hi], logged))
            known[(lo, cut, hi)] = (p >= alpha or effect < min_effect, p)
        return known[(lo, cut, hi)]

    while cuts:
        bounds = [0, *cuts, len(y)]
        scores = [score(bounds[i], cut, bounds[i + 2]) for i, cut in enumerate(cuts)]
        weakest = max(range(len(cuts)), key=lambda i: scores[i])
        if not scores[weakest][0]:
            return [(cut, p) for cut, (_, p) in zip(cuts, scores, strict=True)]
        del cuts[weakest]
    return []


def _best_l2_split(y: np.ndarray, min_size: int) -> int:
    """The split that minimizes the squared error of two constant levels (first index after)."""
    n = len(y)
    t = np.arange(min_size, n - min_size + 1)
    if not len(t):
        return -1
    left = np.cumsum(y)[t - 1]
    total = float(y.sum())
    # between-group sum of squares of a split at t; the best split maximizes it
    gain = (left - t * total / n) ** 2 / (t * (n - t) / n)
    return int(t[np.argmax(gain)])


def _refine(y: np.ndarray, cuts: list[tuple[int, float]], min_size: int) -> list[tuple[int, float]]:
    """Re-place each change point at the least-squares split between its final neighbours.

    Ranks find whether a change happened robustly but place it loosely when the step is large
    (ranks stop growing with the step). Once the neighbours are known, the least-squares split of
    a median-filtered copy (which keeps steps and drops lone outliers) places it precisely.
    """
    smooth = _median5(y) if len(y) >= 5 else y
    placed = [c for c, _ in cuts]
    for i in range(len(placed)):
        lo = placed[i - 1] if i else 0
        hi = placed[i + 1] if i + 1 < len(placed) else len(y)
        at = _best_l2_split(smooth[lo:hi], min_size)
        if at > 0:
            placed[i] = lo + at
    return [(c, p) for c, (_, p) in zip(placed, cuts, strict=True)]


def _segment(measured: np.ndarray, rows: np.ndarray, start: int, end: int) -> Segment:
    """Statistics of the measured values in rows [start, end)."""
    part = measured[(rows >= start) & (rows < end)]
    return Segment(
        start=start,
        end=end,
        n=len(part),
        mean=float(np.mean(part)),
        median=float(np.median(part)),
        std=float(np.std(part, ddof=1)) if len(part) > 1 else 0.0,
    )


def detect(
    values: Sequence[float | None],
    *,
    alpha: float = DEFAULT_ALPHA,
    min_size: int = DEFAULT_MIN_SIZE,
    min_effect: float = 0.0,
) -> list[ChangePoint]:
    """Change points of a series, with each adjacent segment's statistics recomputed at the end.

    alpha: significance per test (smaller: fewer false alarms, fewer small changes found).
    min_size: fewest measured points on each side of a change.
    min_effect: smallest relative change of the median worth reporting (0.02 = 2%).
    """
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    raw = np.array([math.nan if v is None else float(v) for v in values], dtype=float)
    rows = np.flatnonzero(np.isfinite(raw))
    measured = raw[rows]
    # Benchmark figures are positive and change by ratios: test on logs when we can.
    if len(measured) < 2 * min_size:
        return []
    logged = bool(np.all(measured > 0))
    y = np.log(measured) if logged else measured
    kept = _merge(y, _split(y, alpha, min_size), alpha, min_size, min_effect, logged)
    kept = _refine(y, kept, min_size)
    row_cuts = [int(rows[pos]) for pos, _ in kept]
    bounds = [0, *row_cuts, len(raw)]
    segments = [_segment(measured, rows, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    return [
        ChangePoint(
            index=cut,
            before=segments[i],
            after=segments[i + 1],
            change=segments[i + 1].median / segments[i].median - 1
            if segments[i].median
            else math.inf,
            p_value=p,
        )
        for i, (cut, (_, p)) in enumerate(zip(row_cuts, kept, strict=True))
    ]
