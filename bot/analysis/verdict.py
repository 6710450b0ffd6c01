"""What a change between two builds of one configuration is: one word and the sentence behind it.

regression / improvement: "no change" is rejected (p < verdict_alpha, stricter than the reported
interval) and the effect is at least the minimum that matters. no-change: the interval sits inside
the equivalence margin, or the change is sure but smaller than the minimum. inconclusive: neither
(too few runs, too much noise).
mixed: the frontiers cross (each side surely ahead on part of the overlap), or two of the
sure estimates (matched, a target, peak) point in opposite directions: an average would hide it.
unlock / breakage: the configuration failed on one side and works on the other. partial: some
concurrencies fail on the candidate that worked on the baseline, and nothing worse was found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.analysis.compare import Comparison, NothingTrusted, compare
from bot.analysis.noise import NoiseModel
from bot.analysis.stats import Estimate
from bot.analysis.suspect import SuspectPoint, without_suspect
from bot.config import AnalysisPolicy, PriceTable
from bot.model import (
    BREAKAGE,
    BUILD_UNVERIFIED,
    IMPROVEMENT,
    INCONCLUSIVE,
    MIXED,
    NO_CHANGE,
    PARTIAL,
    REGRESSION,
    UNLOCK,
    VERDICT_KINDS,
    Build,
    ConfigKey,
    Point,
    Sweep,
)

KINDS = VERDICT_KINDS  # the vocabulary lives in bot/model; this is its name where verdicts are made


@dataclass(frozen=True)
class Verdict:
    config: ConfigKey
    baseline: Build
    candidate: Build
    kind: str
    reason: str  # one sentence a person can act on
    comparison: Comparison | None = None
    failed_concurrencies: tuple[int, ...] = ()  # fail on the candidate, worked on the baseline
    repeats_needed: int | None = None  # per side, to see min_effect, from the noise model

    @property
    def noise(self) -> NoiseModel | None:
        """The noise learned from other builds of the configuration (when history was given)."""
        return self.comparison.noise if self.comparison else None


def _point_failed(point: Point, policy: AnalysisPolicy) -> bool:
    done, failed = point.completed or 0, point.failed or 0
    return done + failed > 0 and failed / (done + failed) > policy.max_failed_fraction


def usable(sweep: Sweep, policy: AnalysisPolicy) -> Sweep:
    """The sweep without points whose request failures make them meaningless."""
    return sweep.with_points(tuple(p for p in sweep.points if not _point_failed(p, policy)))


def trusted(
    sweeps: Sequence[Sweep], policy: AnalysisPolicy
) -> tuple[list[Sweep], list[SuspectPoint]]:
    """The sweeps as a frontier is drawn from them: without points whose requests failed
    (`usable`) or whose interactivity cannot be trusted (bot/analysis/suspect.py), and without
    sweeps left empty; plus the suspect points left out."""
    kept, suspect = without_suspect(
        [u for u in (usable(s, policy) for s in sweeps) if u.points], policy.suspect_rise
    )
    return [s for s in kept if s.points], suspect


def _failed_concurrencies(sweeps: Sequence[Sweep], policy: AnalysisPolicy) -> set[int]:
    failed = {p.concurrency for s in sweeps for p in s.points if _point_failed(p, policy)}
    failed |= {c for s in sweeps for c in s.failed_at}  # where a crash or hang ended a sweep
    worked = {p.concurrency for s in sweeps for p in s.points if not _point_failed(p, policy)}
    return failed - worked


def percent(ratio: float) -> str:
    """A ratio as a change people read: +5.0%, -12.3%; beyond tenfold as x-times (x1.2e+03)."""
    if ratio >= 10:
        return f"x{ratio:.3g}"
    return f"{(ratio - 1) * 100:+.1f}%"


def p_text(p: float) -> str:
    """A p-value as people should read it: two digits, and no false precision below 1e-4."""
    return "p<0.0001" if p < 1e-4 else f"p={p:.2g}"


def describe(estimate: Estimate, what: str, confidence: float) -> str:
    text = f"{what} {percent(estimate.ratio)}"
    if estimate.has_interval:
        assert estimate.low is not None and estimate.high is not None
        assert estimate.p_value is not None
        text += (
            f" ({confidence:.0%} CI {percent(estimate.low)}..{percent(estimate.high)}, "
            f"{p_text(estimate.p_value)}, {estimate.n_baseline} vs {estimate.n_candidate} runs)"
        )
    else:
        text += f" ({estimate.n_baseline} vs {estimate.n_candidate} runs, no interval)"
    return text


def classify(estimate: Estimate, policy: AnalysisPolicy) -> str:
    if not estimate.has_interval:
        return INCONCLUSIVE
    assert estimate.low is not None and estimate.high is not None
    sure = estimate.p_value is not None and estimate.p_value < policy.verdict_alpha
    if sure and abs(math.log(estimate.ratio)) >= math.log1p(policy.min_effect):
        return REGRESSION if estimate.ratio < 1 else IMPROVEMENT
    margin = 1 + policy.equivalence
    if sure or (estimate.low >= 1 / margin and estimate.high <= margin):
        return NO_CHANGE
    return INCONCLUSIVE


def _sure(e: Estimate, policy: AnalysisPolicy) -> int:
    """+1 / -1 when the estimate is a material change up / down whose interval excludes no
    change; 0 otherwise. (The interval's level: this only qualifies a verdict as mixed.)"""
    if e.p_value is None or e.p_value >= 1 - policy.confidence:
        return 0
    if abs(math.log(e.ratio)) < math.log1p(policy.min_effect):
        return 0
    return 1 if e.ratio > 1 else -1


def _span(low: float, high: float) -> str:
    return f"{low:.3g}-{high:.3g} tok/s/user"


def mixed_reason(c: Comparison, policy: AnalysisPolicy) -> str | None:
    """Why this comparison has no single direction, or None when it has one."""
    if c.crossing:
        ahead = [r for r in c.regions if r.ahead == "candidate"]
        behind = [r for r in c.regions if r.ahead == "baseline"]
        return (
            "the frontiers cross: the candidate is ahead at "
            + ", ".join(f"{_span(r.low, r.high)} ({percent(r.ratio)})" for r in ahead)
            + " and behind at "
            + ", ".join(f"{_span(r.low, r.high)} ({percent(r.ratio)})" for r in behind)
        )
    named = [(f"{t:.3g} tok/s/user", e) for t, e in c.targets.items()]
    named += [("peak throughput", c.peak)]
    if c.matched is not None:
        named.insert(0, ("matched interactivity", c.matched))
    up = [(n, e) for n, e in named if _sure(e, policy) > 0]
    down = [(n, e) for n, e in named if _sure(e, policy) < 0]
    if not up or not down:
        return None
    return (
        "the candidate is ahead at "
        + ", ".join(f"{n} ({percent(e.ratio)})" for n, e in up)
        + " but behind at "
        + ", ".join(f"{n} ({percent(e.ratio)})" for n, e in down)
    )


def judge(
    baseline: Sequence[Sweep],
    candidate: Sequence[Sweep],
    policy: AnalysisPolicy,
    *,
    history: Sequence[Sweep] = (),
    prices: PriceTable | None = None,
) -> Verdict:
    """The verdict on one configuration. `history` is every stored sweep of it (any build): the
    noise of builds other than these two stands in for runs the comparison lacks."""
    if not baseline or not candidate:
        raise ValueError("each side needs at least one sweep (ok or failed)")
    who = (baseline[0].config, baseline[0].build, candidate[0].build)
    sides = (("baseline", baseline), ("candidate", candidate))
    unverified = [n for n, runs in sides if all(s.cause == BUILD_UNVERIFIED for s in runs)]
    if unverified:
        why = "could not be installed or verified (build-unverified): nothing of it was measured"
        return Verdict(*who, INCONCLUSIVE, f"the {' and '.join(unverified)} build {why}")
    baseline = [s for s in baseline if s.cause != BUILD_UNVERIFIED]
    candidate = [s for s in candidate if s.cause != BUILD_UNVERIFIED]
    base = [usable(s, policy) for s in baseline]
    cand = [usable(s, policy) for s in candidate]
    base_ok, cand_ok = any(s.points for s in base), any(s.points for s in cand)
    causes = sorted({s.cause for s in [*baseline, *candidate] if s.cause})
    cause = f" (cause: {', '.join(causes)})" if causes else ""
    if not base_ok and not cand_ok:
        return Verdict(*who, INCONCLUSIVE, f"no valid point on either build{cause}")
    if not base_ok:
        return Verdict(*who, UNLOCK, f"failed on the baseline{cause}, runs on the candidate")
    if not cand_ok:
        return Verdict(*who, BREAKAGE, f"ran on the baseline, fails on the candidate{cause}")
    try:
        comparison = compare(base, cand, policy=policy, history=history, prices=prices)
    except NothingTrusted as exc:  # points measured, none of one side to be believed
        return Verdict(*who, INCONCLUSIVE, str(exc))
    # estimates the configuration's policy leaves out can neither lead nor make it mixed
    if "matched" not in policy.metrics:  # the crossing regions are along the matched profile
        comparison = replace(comparison, matched=None, regions=())
    if "targets" not in policy.metrics:
        comparison = replace(comparison, targets={})
    noise = comparison.noise
    headline = comparison.headline
    if comparison.matched is not None and comparison.overlap is not None:
        what = f"throughput/GPU at matched interactivity over {_span(*comparison.overlap)}"
    else:
        what = "peak throughput/GPU"
    kind = classify(headline, policy)
    reason = describe(headline, what, policy.confidence)
    crossing = mixed_reason(comparison, policy)
    if crossing:
        kind, reason = MIXED, f"{crossing}; on average {reason}"
    newly_failed = tuple(
        sorted(_failed_concurrencies(candidate, policy) - _failed_concurrencies(baseline, policy))
    )
    if newly_failed and kind in (NO_CHANGE, IMPROVEMENT, INCONCLUSIVE, MIXED):
        kind = PARTIAL
    if newly_failed:
        reason += f"; concurrency {', '.join(map(str, newly_failed))} now fails"
    needed = noise.repeats_for(policy.min_effect, policy.confidence) if noise else None
    if kind == INCONCLUSIVE and needed:
        reason += (
            f"; history says {needed} runs per side would show a {policy.min_effect:.0%} change"
        )
    return Verdict(*who, kind, reason, comparison, newly_failed, needed)
