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

from bot.analysis.distributions import t_two_sided

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


@dataclass(frozen=True)
class Trend:
    """A slow drift over rows [start, end): not a step (the detector drops those), but worth
    saying: the total change a straight line through it (on logs) makes from first to last row."""

    start: int
    end: int
    n: int  # measured values in it
    change: float  # exp(slope x (last row - first row)) - 1 on logs; slope x span without
    p_value: float  # Mann-Kendall's test of "no monotonic trend" (normal approximation)


def trend(
    values: Sequence[float | None], start: int = 0, *, alpha: float = DEFAULT_ALPHA,
    min_effect: float = 0.0,
) -> Trend | None:  # fmt: skip
    """The monotonic trend of values[start:], if Mann-Kendall's rank test finds one at `alpha`
    and the Theil-Sen line through it changes the level by `min_effect` or more; else None.
    Ranks, like the detector's, make outliers and heavy tails count for little. Meant for the
    rows after the last change point, where no step is left to be mistaken for a trend."""
    rows = np.array([i for i in range(start, len(values)) if _finite(values[i])], dtype=int)
    if len(rows) < 10:
        return None
    raw = np.array([float(values[i]) for i in rows])  # type: ignore[arg-type]
    logged = bool(np.all(raw > 0))
    y = np.log(raw) if logged else raw
    n = len(y)
    i, j = np.triu_indices(n, k=1)
    sign = np.sign(y[j] - y[i])
    s = float(sign.sum())
    var = n * (n - 1) * (2 * n + 5) / 18.0
    z = (s - math.copysign(1.0, s)) / math.sqrt(var) if s else 0.0
    p = math.erfc(abs(z) / math.sqrt(2.0))
    slope = float(np.median((y[j] - y[i]) / (rows[j] - rows[i])))  # Theil-Sen
    span = float(rows[-1] - rows[0])
    if logged:
        change = math.expm1(slope * span)
    else:
        base = float(np.median(raw))
        change = slope * span / base if base else math.inf
    if p >= alpha or abs(change) < min_effect:
        return None
    return Trend(int(rows[0]), int(rows[-1]) + 1, n, change, p)


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(float(v))


def change_point_json(cp: ChangePoint, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """The change point as `detect --json` and `history --json` give it."""
    out: dict[str, Any] = {"index": cp.index, "change": cp.change, "p_value": cp.p_value}
    if labels is not None:
        out["label"] = labels[cp.index]
    return out | {"before": asdict(cp.before), "after": asdict(cp.after)}


# scipy is not imported here: its import alone (about 0.25 s) was most of what `paretobot detect`
# took on 100,000 points. Student's t is bot/analysis/distributions.py; the rest is below.


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
    return t_two_sided(t, df)


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


# The local scan: (points before, points after, threshold in robust standard deviations).
# Thresholds are set so that each window pair gives about 0.05 false alarms per 1,000 points of
# pure noise with Student-t(3) tails and 1% outliers (benchmarks/changepoints.py, fleet-tune only).
SCAN = ((5, 3, 4.5), (3, 3, 4.0), (10, 5, 4.5), (20, 10, 3.5))
SCAN_FIRST = 5  # fewest measured points before the first change the scan may report
CONFIRM_AFTER = min(a for _, a, _ in SCAN)  # builds from a change on that confirm it (3)


def noise_scale(y: np.ndarray) -> float:
    """A robust standard deviation of the noise: the MAD of successive differences / sqrt(2).

    Differences cancel the level (so steps and drift hardly count) and the median ignores the few
    differences an outlier or a step makes."""
    if len(y) < 3:
        return 0.0
    return 1.4826 * float(np.median(np.abs(np.diff(y)))) / math.sqrt(2.0)


def _windows(y: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """For each start i, the low and high level of y[i:i + w] that a change must clear.

    Windows of 5 or more use their median for both (robust to two outliers in five). A window of 3
    is too short for a median to be trusted, so it uses its least favourable point: a drop must
    have *all three* points below the level before it (its max), a rise all three above (its min);
    one or two outliers cannot fake that."""
    view = np.lib.stride_tricks.sliding_window_view(y, w)
    if w <= 3:
        return view.min(axis=1), view.max(axis=1)
    med = np.median(view, axis=1)
    return med, med


def _scan(
    y: np.ndarray, cuts: list[tuple[int, float]], min_effect: float, logged: bool
) -> list[tuple[int, float]]:
    """Changes near the ends of a series or close to one another, which binary segmentation
    misses: each window pair (b before, a after) is slid along the series and a position is kept
    where the level after clears the level before by its threshold in robust noise units and is
    the largest within its window (a step shows as a plateau as wide as the windows). Positions
    are accepted strongest first, each at least a window's half-width (and 3 points) from those
    already taken. A cut of binary segmentation's within that distance is moved to a 3-point
    window's position (ranks and least squares place a change next to another, or 3 builds from
    the end, loosely: they need 5 points on each side); otherwise the cut stands.

    Returns every change point, binary segmentation's (moved or not) and the scan's."""
    taken = [c for c, _ in cuts]
    taken_p = dict(cuts)
    n = len(y)
    sigma = noise_scale(y)
    if sigma <= 0 or n < SCAN_FIRST + 3:
        return list(cuts)
    candidates = []
    scores: dict[tuple[int, int], tuple[int, np.ndarray]] = {}
    for b, a, threshold in SCAN:
        if n < max(b, SCAN_FIRST) + a:
            continue
        low_b, high_b = _windows(y, b)
        low_a, high_a = _windows(y, a)
        t = np.arange(max(b, SCAN_FIRST), n - a + 1)
        drop = low_b[t - b] - high_a[t]
        rise = low_a[t] - high_b[t - b]
        score = np.maximum(drop, rise) / sigma
        scores[(b, a)] = (int(t[0]), score)
        radius = max(b, a) // 2
        padded = np.pad(score, radius, constant_values=-np.inf)
        peak = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1).max(axis=1)
        for i in np.flatnonzero((score >= threshold) & (score >= peak)):
            candidates.append((float(score[i]) / threshold, int(t[i]), max(3, radius), b, a))
    thresholds = {(b, a): th for b, a, th in SCAN}
    tests = max(1, n * len(SCAN))
    placed = {c: False for c in taken}  # binary segmentation's cuts; True once re-placed
    accepted: dict[int, float] = {}
    # 3-point windows first: their least favourable point places a change exactly, where a median
    # of 5 or more already flips a point or two before it
    for ratio, at, radius, b, a in sorted(candidates, key=lambda c: (c[4] > 3, -c[0])):
        near = [c for c in placed if abs(at - c) < radius]
        if any(abs(at - c) < radius for c in accepted) or any(placed[c] for c in near):
            continue
        if near and a > 3:  # only the short windows place a change better than least squares
            continue
        first, score = scores[(b, a)]
        if any(
            0 <= c - first < len(score) and score[c - first] >= thresholds[(b, a)] for c in near
        ):
            for c in near:  # least squares' place passes the window test too: it stands
                placed[c] = True
            continue
        if abs(_relative_change(y[at - b : at], y[at : at + a], logged)) < min_effect:
            continue
        z = ratio * thresholds[(b, a)]
        p = min(1.0, tests * math.erfc(z / math.sqrt(2.0)))
        for c in near:  # binary segmentation saw this change but placed it loosely: move it
            p = min(p, taken_p[c])
            del placed[c]
        if near:
            placed[at] = True
        accepted[at] = p
    return sorted(({c: taken_p[c] for c in placed if c in taken_p} | accepted).items())


DRIFT_PENALTY = 4.0  # a step must beat a line by F > DRIFT_PENALTY * log(n): see _line_beats_step


def _line_beats_step(y: np.ndarray, cut: int) -> bool:
    """Whether y (one segment pair around `cut`) is explained nearly as well by a straight line as
    by two constant levels: then the 'change' is a drift, and no step is reported.

    The step's place was chosen as the best of many, so it always fits a little better than it
    should; it must beat the line by an F statistic over DRIFT_PENALTY * log(n) (a BIC-like price
    for the chosen place, raised because the median-filtered copy's residuals are correlated)."""
    n = len(y)
    x = np.arange(n, dtype=float)
    xc = x - x.mean()
    yc = y - y.mean()
    slope = float(xc @ yc) / float(xc @ xc)
    sse_line = float(np.sum((yc - slope * xc) ** 2))
    left, right = y[:cut], y[cut:]
    sse_step = float(np.sum((left - left.mean()) ** 2) + np.sum((right - right.mean()) ** 2))
    if sse_step <= 0:
        return False
    return (sse_line - sse_step) / (sse_step / max(1, n - 3)) < DRIFT_PENALTY * math.log(n)


def _drop_drifts(y: np.ndarray, cuts: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Remove change points whose two segments are better fitted by one line (slow drift), one at
    a time, re-checking neighbours after each removal. Tested on the median-filtered copy, so an
    outlier cannot tip the comparison."""
    smooth = _median5(y) if len(y) >= 5 else y
    cuts = list(cuts)
    changed = True
    while changed and cuts:
        changed = False
        bounds = [0, *(c for c, _ in cuts), len(y)]
        for i, (cut, _) in enumerate(cuts):
            lo, hi = bounds[i], bounds[i + 2]
            if _line_beats_step(smooth[lo:hi], cut - lo):
                del cuts[i]
                changed = True
                break
    return cuts


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
    if len(measured) < SCAN_FIRST + 3:
        return []
    logged = bool(np.all(measured > 0))
    y = np.log(measured) if logged else measured
    kept = _merge(y, _split(y, alpha, min_size), alpha, min_size, min_effect, logged)
    kept = _drop_drifts(y, _refine(y, kept, min_size))
    kept = _scan(y, kept, min_effect, logged)
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
