"""Frontier against frontier for one configuration: matched throughput, peak, reach, with intervals.

The headline is throughput per GPU at matched interactivity. Where both sides ran the same
concurrencies, each frontier concurrency c gives a local estimate of the vertical gap between the
frontiers in log-log space: z = log(tput) - s_c * log(interactivity), with s_c the baseline
frontier's local slope, compared between the sides. This is first-order exact for any shift of the
frontier, and weighting each concurrency by 1 / (1 + s_c^2) keeps the steep end of a frontier
(where a 1% wobble in interactivity is a 10% swing in interpolated throughput) from drowning the
estimate in noise. Its variance comes from the runs, from the scatter of each concurrency across
runs, and from history, each used only where it is valid (see `_variance`).

Where concurrencies differ, each run is summarized by its mean log throughput over a log-spaced
interactivity grid that every run reaches, and the runs are compared with a pooled t interval.
Peak throughput, interactivity reach and the named targets are compared run against run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from bot.analysis.economics import cost_per_million_tokens, tokens_per_mw
from bot.analysis.frontier import frontier_of, log_curve, throughput_at
from bot.analysis.stats import Estimate, Prior, estimate, pooled_variance, ratio_of_logs, with_prior
from bot.config import AnalysisPolicy, PriceTable
from bot.model import Build, ConfigKey, Frontier, Sweep

DEFAULT_TARGETS = AnalysisPolicy().targets  # one default, configs/analysis.yaml overrides it
GRID = 64  # interactivity samples across the shared range (log-spaced)
RUN_EFFECT_P = 0.05  # F-test level at which runs are judged to differ more than their points


@dataclass(frozen=True)
class CostChange:
    """What one price tier pays per million tokens on each build at one interactivity level."""

    interactivity: float
    tier: str
    baseline_usd_per_mtok: float
    candidate_usd_per_mtok: float
    baseline_tokens_per_mw: float
    candidate_tokens_per_mw: float

    @property
    def change(self) -> float:
        """Relative change in cost (negative: cheaper); perf per dollar moves by 1/(1+change)-1."""
        return self.candidate_usd_per_mtok / self.baseline_usd_per_mtok - 1


@dataclass(frozen=True)
class Comparison:
    config: ConfigKey
    baseline: Build
    candidate: Build
    baseline_frontier: Frontier  # all baseline runs pooled
    candidate_frontier: Frontier
    overlap: tuple[float, float] | None  # interactivity range every run of both sides reaches
    matched: Estimate | None  # throughput at matched interactivity (module docstring)
    peak: Estimate
    reach: Estimate
    targets: dict[float, Estimate]
    costs: tuple[CostChange, ...] = ()  # at each target in range, per price tier
    notes: tuple[str, ...] = ()

    @property
    def baseline_runs(self) -> int:
        return self.peak.n_baseline

    @property
    def candidate_runs(self) -> int:
        return self.peak.n_candidate

    @property
    def headline(self) -> Estimate:
        """The one number to lead with: matched throughput where defined, else peak."""
        return self.matched or self.peak


def shared_range(frontiers: Sequence[Frontier]) -> tuple[float, float] | None:
    """The interactivity range that every frontier reaches."""
    ranges = [f.interactivity_range for f in frontiers]
    if not ranges or any(r is None for r in ranges):
        return None
    lo = max(r[0] for r in ranges if r)
    hi = min(r[1] for r in ranges if r)
    return (lo, hi) if lo <= hi else None


def grid(span: tuple[float, float]) -> np.ndarray:
    return np.geomspace(span[0], span[1], GRID) if span[1] > span[0] else np.array([span[0]])


def matched_summary(frontier: Frontier, span: tuple[float, float]) -> float:
    """Mean log throughput over a log-spaced interactivity grid: a run's matched-level summary."""
    return float(np.mean(np.log(throughput_at(frontier, grid(span)))))


def _log_at(frontier: Frontier, target: float) -> float:
    return float(np.log(throughput_at(frontier, target)[0]))


def local_slopes(frontier: Frontier) -> dict[int, float]:
    """d log(tput) / d log(interactivity) at each frontier point (mean of adjacent segments)."""
    xs, ys = log_curve(frontier)
    if len(xs) < 2:
        return {p.concurrency: 0.0 for p in frontier.points}
    seg = np.diff(ys) / np.diff(xs)
    per_point = np.concatenate([[seg[0]], (seg[:-1] + seg[1:]) / 2, [seg[-1]]])
    return {p.concurrency: float(s) for p, s in zip(frontier.points, per_point, strict=True)}


@dataclass(frozen=True)
class LocalFrame:
    """Which concurrencies to compare, each one's slope, and its weight."""

    concurrencies: tuple[int, ...]
    slopes: np.ndarray
    weights: np.ndarray

    def z(self, sweep: Sweep) -> np.ndarray:
        """Each concurrency's height above the frontier's local tangent direction (log scale)."""
        at = {p.concurrency: p for p in sweep.points}
        return np.array(
            [
                np.log(at[c].tput_per_gpu) - s * np.log(at[c].interactivity)
                for c, s in zip(self.concurrencies, self.slopes, strict=True)
            ]
        )

    def summary(self, sweep: Sweep) -> float:
        return float(np.average(self.z(sweep), weights=self.weights))


def local_frame(reference: Sequence[Sweep], runs: Sequence[Sweep]) -> LocalFrame | None:
    """The frame of the reference runs' pooled frontier, over concurrencies every run measured."""
    slopes = local_slopes(frontier_of(reference))
    measured = [{p.concurrency for p in s.points} for s in runs]
    shared = tuple(c for c in sorted(slopes) if all(c in m for m in measured))
    if not shared:
        return None
    s = np.array([slopes[c] for c in shared])
    return LocalFrame(shared, s, 1.0 / (1.0 + s**2))


def _variance(
    frame: LocalFrame, zb: np.ndarray, zc: np.ndarray, prior: Prior | None
) -> tuple[float, int, str]:
    """Variance of one run's summary, its df, and how it was obtained.

    Runs: the spread of run summaries (df n_b + n_c - 2, few). Points: the spread of each
    concurrency across runs, combined with the weights (many df), valid if concurrencies vary
    independently. If runs differ more than the points explain (F-test), only the run spread is
    trusted; otherwise both are pooled. History, when given, is pooled in last.
    """
    w = frame.weights / frame.weights.sum()
    v_run, df_run = pooled_variance([zb @ w, zc @ w])
    per_conc = [pooled_variance([zb[:, k], zc[:, k]]) for k in range(len(w))]
    v_pt = float(sum(wk**2 * v for wk, (v, _) in zip(w, per_conc, strict=True)))
    df_pt = sum(df for _, df in per_conc)
    if df_run and df_pt and v_pt > 0 and stats.f.sf(v_run / v_pt, df_run, df_pt) < RUN_EFFECT_P:
        variance, df, how = v_run, df_run, "run-to-run spread (runs differ beyond point noise)"
    elif df_run or df_pt:
        variance = (v_run * df_run + v_pt * df_pt) / (df_run + df_pt)
        df, how = df_run + df_pt, "run and per-concurrency spread"
    else:
        variance, df, how = 0.0, 0, ""
    variance, df = with_prior(variance, df, prior)
    if prior is not None:
        how = f"{how} and {prior.source}" if how else prior.source
    return variance, df, how


def matched_by_concurrency(
    base: Sequence[Sweep], cand: Sequence[Sweep], confidence: float, prior: Prior | None
) -> Estimate | None:
    frame = local_frame(base, [*base, *cand])
    if frame is None:
        return None
    zb = np.array([frame.z(s) for s in base])
    zc = np.array([frame.z(s) for s in cand])
    w = frame.weights / frame.weights.sum()
    diff = float((zc @ w).mean() - (zb @ w).mean())
    variance, df, how = _variance(frame, zb, zc, prior)
    method = f"paired by concurrency ({len(frame.concurrencies)} levels); variance from {how}"
    return estimate(diff, variance, df, len(base), len(cand), confidence, method)


def cost_changes(
    baseline: Frontier, candidate: Frontier, levels: Sequence[float], prices: PriceTable | None
) -> list[CostChange]:
    """Cost per million tokens and tokens per MW of both builds at matched interactivity levels."""
    cost = prices.cost_for(baseline.config.hardware) if prices else None
    if cost is None:
        return []
    rows = []
    for level in levels:
        base_t = float(throughput_at(baseline, level)[0])
        cand_t = float(throughput_at(candidate, level)[0])
        if not (math.isfinite(base_t) and math.isfinite(cand_t)):
            continue
        for tier, usd in cost.usd_per_gpu_hour.items():
            rows.append(
                CostChange(
                    interactivity=level,
                    tier=tier,
                    baseline_usd_per_mtok=cost_per_million_tokens(usd, base_t),
                    candidate_usd_per_mtok=cost_per_million_tokens(usd, cand_t),
                    baseline_tokens_per_mw=tokens_per_mw(base_t, cost.kw_all_in),
                    candidate_tokens_per_mw=tokens_per_mw(cand_t, cost.kw_all_in),
                )
            )
    return rows


def compare(
    baseline: Sequence[Sweep],
    candidate: Sequence[Sweep],
    *,
    targets: Sequence[float] = DEFAULT_TARGETS,
    confidence: float = 0.95,
    prior: Prior | None = None,
    prices: PriceTable | None = None,
) -> Comparison:
    """Compare the candidate's frontier with the baseline's for one configuration.

    Each side is one or more sweeps (repeats) of one build; sweeps without points (failed runs)
    are left out here and judged by the verdict. `prior` is the run-to-run variance of the
    matched summary learned from history, used when the runs at hand are too few.
    """
    base = [s for s in baseline if s.points]
    cand = [s for s in candidate if s.points]
    if not base or not cand:
        raise ValueError("each side needs at least one sweep with points")
    config = base[0].config
    if any(s.config != config for s in [*base, *cand]):
        raise ValueError("a comparison is of one configuration")
    fb = [frontier_of([s]) for s in base]
    fc = [frontier_of([s]) for s in cand]

    def run_estimate(values_b: list[float], values_c: list[float], use_prior: bool) -> Estimate:
        return ratio_of_logs(values_b, values_c, confidence, prior if use_prior else None)

    span = shared_range([*fb, *fc])
    notes = []
    matched = matched_by_concurrency(base, cand, confidence, prior) if span else None
    if span is None:
        notes.append("the runs share no interactivity range: no matched-throughput ratio")
    elif matched is None:
        matched = run_estimate(
            [matched_summary(f, span) for f in fb], [matched_summary(f, span) for f in fc], True
        )
    in_range = [t for t in targets if span and span[0] <= t <= span[1]]
    base_frontier, cand_frontier = frontier_of(base, prices), frontier_of(cand, prices)
    return Comparison(
        config=config,
        baseline=base[0].build,
        candidate=cand[0].build,
        baseline_frontier=base_frontier,
        candidate_frontier=cand_frontier,
        overlap=span,
        matched=matched,
        peak=run_estimate(
            [np.log(f.peak_tput_per_gpu) for f in fb],
            [np.log(f.peak_tput_per_gpu) for f in fc],
            False,
        ),
        reach=run_estimate(
            [np.log(f.points[-1].interactivity) for f in fb],
            [np.log(f.points[-1].interactivity) for f in fc],
            False,
        ),
        targets={
            t: run_estimate([_log_at(f, t) for f in fb], [_log_at(f, t) for f in fc], False)
            for t in in_range
        },
        costs=tuple(cost_changes(base_frontier, cand_frontier, in_range, prices)),
        notes=tuple(notes),
    )
