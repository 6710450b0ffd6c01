"""Frontier against frontier for one configuration, only where both builds were measured.

Each run's frontier is interpolated between its own measured points (linear in log-log) and never
extrapolated. The overlap is the interactivity range that every run of both sides reaches. On 64
log-spaced levels across it, each side's curve is the geometric mean of its runs' frontiers:
- the headline (`matched`) is the mean log ratio of the two curves over the overlap, i.e. the
  ratio of the geometric-mean throughput per GPU each side delivers across the shared range;
- each named target (20, 35, 50 tok/s/user) is the same ratio at one level, and `profile` gives
  it at 16 levels along the overlap;
- peak throughput and interactivity reach are compared run against run.
Every estimate carries the two values its ratio is made of, so a report row can never disagree
with its own columns, and the headline is the average of the very curve the rows sample.

Intervals come from the variation between runs, never from concurrencies treated as independent
observations: every run is reduced to one number per estimate (its mean log throughput over the
overlap, its log throughput at a target, its log peak), and the sides' means get a pooled t
interval with n_b + n_c - 2 degrees of freedom, pooled with the noise history of other builds
when one is given (`stats.with_prior`). A run-level effect (a slower node) is therefore part of
the interval, as it should be. `benchmarks/coverage.py` measures the coverage this achieves.

Frontiers can cross: better at low interactivity, worse at high. Where the pointwise intervals
show the candidate surely ahead on one part of the overlap and surely behind on another, both
regions are reported (`regions`) and the verdict says `mixed` instead of averaging them away.
Points whose interactivity is suspect (bot/analysis/suspect.py) are left out and listed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.analysis.economics import cost_per_million_tokens, tokens_per_mw
from bot.analysis.frontier import GRID, frontier_of, grid, is_range, log_curves, shared_range
from bot.analysis.noise import NoiseModel, noise_model
from bot.analysis.stats import Estimate, ratio_of_logs, ratios_of_logs
from bot.analysis.suspect import SuspectPoint, without_suspect
from bot.config import AnalysisPolicy, PriceTable
from bot.model import Build, ConfigKey, Frontier, Sweep

PROFILE = 16  # of them, reported in `profile`
MIN_REGION = GRID // 16  # consecutive levels (1/16 of the overlap) that make a region


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
class Level:
    """Throughput per GPU of both sides at one interactivity level, with the change's interval."""

    interactivity: float
    estimate: Estimate


@dataclass(frozen=True)
class Region:
    """A stretch of the overlap where one side is ahead by at least min_effect, with the
    pointwise interval (at `confidence`) excluding no change all along it."""

    low: float  # tok/s/user
    high: float
    ahead: str  # "candidate" | "baseline"
    ratio: float  # geometric-mean candidate/baseline over the stretch


@dataclass(frozen=True)
class Comparison:
    config: ConfigKey
    baseline: Build
    candidate: Build
    baseline_frontier: Frontier  # all baseline runs pooled (for plots)
    candidate_frontier: Frontier
    overlap: tuple[float, float] | None  # interactivity range every run of both sides reaches
    matched: Estimate | None  # geometric-mean throughput/GPU over the overlap
    peak: Estimate
    reach: Estimate
    targets: dict[float, Estimate]
    profile: tuple[Level, ...] = ()
    regions: tuple[Region, ...] = ()  # where one side is surely ahead
    suspect: tuple[SuspectPoint, ...] = ()  # left out of every estimate
    noise: NoiseModel | None = None  # learned from other builds, when history was given
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

    @property
    def crossing(self) -> bool:
        """The frontiers cross: each side is surely ahead somewhere in the overlap."""
        return len({r.ahead for r in self.regions}) == 2


def _regions(levels: np.ndarray, along: list[Estimate], policy: AnalysisPolicy) -> list[Region]:
    """Stretches of at least MIN_REGION levels where one side is materially ahead and the
    pointwise interval excludes no change. The interval's level, not the stricter verdict_alpha:
    a region only qualifies a verdict (mixed needs one each way, which chance alone rarely
    gives), it is never a verdict by itself."""
    least = math.log1p(policy.min_effect)

    def side(e: Estimate) -> str:
        sure = e.p_value is not None and e.p_value < 1 - policy.confidence
        if not sure or abs(math.log(e.ratio)) < least:
            return ""
        return "candidate" if e.ratio > 1 else "baseline"

    sides = [side(e) for e in along]
    regions, start = [], 0
    for k in range(1, len(sides) + 1):
        if k == len(sides) or sides[k] != sides[start]:
            if sides[start] and k - start >= MIN_REGION:
                logs = [math.log(e.ratio) for e in along[start:k]]
                regions.append(
                    Region(
                        float(levels[start]),
                        float(levels[k - 1]),
                        sides[start],
                        math.exp(sum(logs) / len(logs)),
                    )
                )
            start = k
    return regions


def _unsure_crossing(levels: np.ndarray, along: list[Estimate], least: float) -> str | None:
    """With no spread to test (one run a side), still say when the curves seem to cross."""
    logs = np.log([e.ratio for e in along])
    up, down = levels[logs >= least], levels[logs <= -least]
    if len(up) < MIN_REGION or len(down) < MIN_REGION:
        return None
    return (
        f"the frontiers seem to cross (candidate ahead near {up[0]:.3g}-{up[-1]:.3g} tok/s/user, "
        f"behind near {down[0]:.3g}-{down[-1]:.3g}); one run a side cannot say whether that is "
        "noise"
    )


def cost_changes(
    targets: dict[float, Estimate], hardware: str, prices: PriceTable | None
) -> list[CostChange]:
    """Cost per million tokens and tokens per MW of both builds at the target levels, from the
    very throughputs the target rows report."""
    cost = prices.cost_for(hardware) if prices else None
    if cost is None:
        return []
    rows = []
    for level, e in targets.items():
        assert e.baseline is not None and e.candidate is not None
        for tier, usd in cost.usd_per_gpu_hour.items():
            rows.append(
                CostChange(
                    interactivity=level,
                    tier=tier,
                    baseline_usd_per_mtok=cost_per_million_tokens(usd, e.baseline),
                    candidate_usd_per_mtok=cost_per_million_tokens(usd, e.candidate),
                    baseline_tokens_per_mw=tokens_per_mw(e.baseline, cost.kw_all_in),
                    candidate_tokens_per_mw=tokens_per_mw(e.candidate, cost.kw_all_in),
                )
            )
    return rows


def compare(
    baseline: Sequence[Sweep],
    candidate: Sequence[Sweep],
    *,
    policy: AnalysisPolicy | None = None,
    history: Sequence[Sweep] = (),
    prices: PriceTable | None = None,
) -> Comparison:
    """Compare the candidate's frontier with the baseline's for one configuration.

    Each side is one or more sweeps (runs) of one build; sweeps without points (failed runs)
    are left out here and judged by the verdict. `history` is every stored sweep of the
    configuration: the run-to-run noise of builds other than these two, over this overlap,
    joins the headline's interval when the runs at hand are few.
    """
    policy = policy or AnalysisPolicy()
    base_in = [s for s in baseline if s.points]
    cand_in = [s for s in candidate if s.points]
    if not base_in or not cand_in:
        raise ValueError("each side needs at least one sweep with points")
    config = base_in[0].config
    if any(s.config != config for s in [*base_in, *cand_in]):
        raise ValueError("a comparison is of one configuration")
    (base, cand), suspect = _trusted(base_in, cand_in, policy.suspect_rise)
    if not base or not cand:
        sides = [n for n, kept in (("baseline", base), ("candidate", cand)) if not kept]
        raise NothingTrusted(
            f"every point of the {' and '.join(sides)} is suspect ({len(suspect)} in all, e.g. "
            f"{suspect[0].reason}): nothing to compare"
        )
    fb = [frontier_of([s]) for s in base]
    fc = [frontier_of([s]) for s in cand]
    confidence = policy.confidence

    def runs(values_b: list[float], values_c: list[float]) -> Estimate:
        return ratio_of_logs(values_b, values_c, confidence)

    span = shared_range([*fb, *fc])
    noise = None
    if history:
        ends = {base[0].build, cand[0].build}  # never their own noise: that would be circular
        noise = noise_model(history, policy, exclude=ends, span=span if is_range(span) else None)
    notes = []
    matched, profile, regions, targets = None, (), [], {}
    if span is None:
        notes.append("the runs share no interactivity range: compared at peak throughput only")
    elif not is_range(span):
        notes.append(
            f"the runs share only one interactivity level ({span[0]:.3g} tok/s/user): "
            "compared at peak throughput only"
        )
        span = None
    else:
        levels = grid(span)
        lb, lc = log_curves(fb, levels), log_curves(fc, levels)
        prior = noise.prior() if noise else None
        matched = ratio_of_logs(lb.mean(axis=1), lc.mean(axis=1), confidence, prior)
        along = ratios_of_logs(lb, lc, confidence)
        regions = _regions(levels, along, policy)
        picks = np.linspace(0, GRID - 1, PROFILE).round().astype(int)
        profile = tuple(Level(float(levels[k]), along[k]) for k in picks)
        if len(fb) + len(fc) <= 2:  # no spread to test the regions with
            unsure = _unsure_crossing(levels, along, math.log1p(policy.min_effect))
            if unsure:
                notes.append(unsure)
        at = np.array([t for t in policy.targets if span[0] <= t <= span[1]])
        if len(at):
            found = ratios_of_logs(log_curves(fb, at), log_curves(fc, at), confidence)
            targets = dict(zip(at.tolist(), found, strict=True))
    if suspect:
        notes.append(
            f"{len(suspect)} point(s) with suspect interactivity left out (listed under suspect)"
        )
    return Comparison(
        config=config,
        baseline=base[0].build,
        candidate=cand[0].build,
        baseline_frontier=frontier_of(base, prices),
        candidate_frontier=frontier_of(cand, prices),
        overlap=span,
        matched=matched,
        peak=runs([_log_peak(f) for f in fb], [_log_peak(f) for f in fc]),
        reach=runs(
            [math.log(f.points[-1].interactivity) for f in fb],
            [math.log(f.points[-1].interactivity) for f in fc],
        ),
        targets=targets,
        profile=profile,
        regions=tuple(regions),
        suspect=tuple(suspect),
        noise=noise,
        costs=tuple(cost_changes(targets, config.hardware, prices)),
        notes=tuple(notes),
    )


def _log_peak(frontier: Frontier) -> float:
    return math.log(max(p.tput_per_gpu for p in frontier.points))


class NothingTrusted(ValueError):
    """Every point of a side is suspect (bot/analysis/suspect.py): no estimate can be made."""


def _trusted(
    base: list[Sweep], cand: list[Sweep], rise: float
) -> tuple[tuple[list[Sweep], list[Sweep]], list[SuspectPoint]]:
    # both sides at once: a side's lone run is judged against the other side's runs
    kept, flagged = without_suspect([*base, *cand], rise)
    kept_b, kept_c = kept[: len(base)], kept[len(base) :]
    keep = [s for s in kept_b if s.points], [s for s in kept_c if s.points]
    return keep, flagged
