"""Bisection: when ranking cannot name the culprit, measure commits between last good and first bad.

Pure state and decisions; the driver (bot/attribution/driver.py) dispatches the runs and feeds
results back. Sequential and noise-adaptive, as Chromium's Pinpoint is: a probe gets a first
number of runs set by the configuration's noise, then more runs go wherever they decide most
(the probe, or an end whose level is not yet known well enough) until the probe's side is clear
at `confidence` or the budget is spent.

Performance changes: each run is reduced to one number (its mean log throughput over the range
every run involved reaches). The two levels are the runs of every commit already known to be on
each side (a step function is what bisection assumes); the noise is the pooled spread of runs of
one commit, moderated by the noise history. The probe's mean is scored against both levels, each
with its own uncertainty, and the posterior that the probe is like the candidate decides (a
sequential probability ratio test: it stops as soon as the evidence is enough).

Unlocks and breakages: a run's outcome is its failure signature (works, or the cause and where).
A run that works decides at once; a failure needs one confirming rerun with the same signature;
a failure that does not repeat is flaky and retried; a probe that fails in a way neither end does
is reported as such and ends the bisection.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.analysis.frontier import frontier_of, is_range, matched_summary, shared_range
from bot.analysis.verdict import usable
from bot.config import AnalysisPolicy
from bot.model import SWEEP_OK, Sweep

GOOD, BAD, UNCLEAR = "good", "bad", "unclear"
RUNNING, FOUND = "running", "found"
UNCLEAR_AFTER_BUDGET = "unclear"  # a probe's side stayed unclear though it got the most runs
OUT_OF_BUDGET = "out-of-budget"  # the budget cannot pay for the next runs
UNLIKE_ENDS = "unlike-ends"  # a probe failed in a way neither end does
NO_RESULTS = "no-results"  # a probe's results never arrived, even after one re-dispatch
DONE = (FOUND, UNCLEAR_AFTER_BUDGET, OUT_OF_BUDGET, UNLIKE_ENDS, NO_RESULTS)
PERFORMANCE, FAILURE = "performance", "failure"
WORKS = "works"


@dataclass(frozen=True)
class Pending:
    """Runs sent and not yet back: at which commit, how many, how many results it had before."""

    index: int
    runs: int
    before: int
    sent_at: str  # ISO time
    key: str  # the dispatch's idempotency key
    attempt: int = 0  # 1 once re-dispatched after a timeout


@dataclass(frozen=True)
class Bisection:
    key: str  # stable id: upstream, config, the two ends
    config_slug: str
    repo: str
    commits: tuple[str, ...]  # oldest first: [0] is the baseline's commit, [-1] the candidate's
    good: int  # latest index known to behave like the baseline
    bad: int  # earliest index known to behave like the candidate
    budget: int  # benchmark runs it may spend
    repeats: int  # first runs of a probe (set from the configuration's noise)
    runs: int = 0  # runs spent so far (probes and ends)
    probe: int | None = None  # index being measured
    status: str = RUNNING
    gpu_hours_per_run: float = 0.0  # the job's GPUs x its expected run time (0: unknown)
    gpu_hours_budget: float | None = None
    confidence: float = 0.99  # posterior a probe's side needs
    max_probe_runs: int = 16  # a probe still unclear after this many runs is left unclear
    timeout_hours: float = 12.0  # a dispatch without results for this long is sent again, once
    priority: tuple[int, ...] = ()  # likeliest culprit indices first (the ranking)
    guided: int = 0  # probes placed by the priority so far (at most MAX_GUIDED)
    pending: tuple[Pending, ...] = ()
    sent: int = 0  # dispatches so far: numbers each one's key
    probe_spent: int = 0  # runs sent for the current probe
    log: tuple[str, ...] = field(default=())  # every state change, in words

    @property
    def culprit(self) -> str | None:
        return self.commits[self.bad] if self.status == FOUND else None

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.runs)

    @property
    def gpu_hours(self) -> float:
        return self.runs * self.gpu_hours_per_run

    def affords(self, runs: int) -> bool:
        if self.runs + runs > self.budget:
            return False
        if self.gpu_hours_budget is not None and self.gpu_hours_per_run > 0:
            return (self.runs + runs) * self.gpu_hours_per_run <= self.gpu_hours_budget + 1e-9
        return True


MAX_GUIDED = 2  # priority probes cost at most this many probes over log2(N) in the worst case


def say(b: Bisection, why: str) -> Bisection:
    return replace(b, log=(*b.log, why))


def start(
    key: str,
    config_slug: str,
    repo: str,
    commits: Sequence[str],
    budget: int,
    repeats: int,
    **options,
) -> Bisection:
    """A new bisection of `commits` (oldest first), its first probe chosen."""
    if len(commits) < 2:
        raise ValueError("a bisection needs the baseline's and the candidate's commits")
    b = Bisection(key, config_slug, repo, tuple(commits), 0, len(commits) - 1, budget, repeats)
    b = replace(b, **options)
    hours = f", {b.gpu_hours_budget:g} GPU-hours" if b.gpu_hours_budget is not None else ""
    b = say(
        b,
        f"started: {len(commits) - 2} commits between the ends, budget {budget} runs{hours}, "
        f"{repeats} first runs per probe, confidence {b.confidence:g}",
    )
    return _next(b)


def expected_runs(commits: int, repeats: int) -> int:
    """Runs a noise-free bisection of this many commits spends: ceil(log2(N - 1)) probes."""
    return max(0, math.ceil(math.log2(max(commits - 1, 1)))) * repeats


def _guided_probe(b: Bisection) -> int | None:
    """A probe that tests the likeliest remaining candidate (its commit, then its parent)."""
    if b.guided >= MAX_GUIDED:
        return None
    for c in b.priority:
        if b.good < c < b.bad:
            return c
        if c == b.bad and b.good < c - 1:
            return c - 1
    return None


def _next(b: Bisection) -> Bisection:
    """Found, or the next probe."""
    if b.bad - b.good <= 1:
        return say(
            replace(b, status=FOUND, probe=None),
            f"found: {b.commits[b.bad][:12]} (index {b.bad}) is the first like the candidate, "
            f"{b.commits[b.good][:12]} before it is like the baseline; {b.runs} runs",
        )
    guided = _guided_probe(b)
    if guided is not None:
        return say(
            replace(b, probe=guided, guided=b.guided + 1, probe_spent=0),
            f"probe {guided} ({b.commits[guided][:12]}): the ranking's likeliest candidate",
        )
    mid = (b.good + b.bad) // 2
    return say(
        replace(b, probe=mid, probe_spent=0), f"probe {mid} ({b.commits[mid][:12]}): the midpoint"
    )


def record(b: Bisection, outcome: str, why: str = "") -> Bisection:
    """The current probe measured like the baseline (GOOD) or like the candidate (BAD)."""
    if b.probe is None:
        raise ValueError("no probe is being measured")
    p = b.probe
    if outcome == GOOD:
        b = say(replace(b, good=p, probe=None), f"probe {p} is like the baseline{why}")
    elif outcome == BAD:
        b = say(replace(b, bad=p, probe=None), f"probe {p} is like the candidate{why}")
    else:
        raise ValueError(f"record takes {GOOD} or {BAD}, not {outcome!r}")
    return _next(b)


def finish(b: Bisection, status: str, why: str) -> Bisection:
    return say(replace(b, status=status, probe=None, pending=()), f"{status}: {why}")


# ---- the evidence ---------------------------------------------------------------------------


def signature(sweep: Sweep, policy: AnalysisPolicy) -> str:
    """How a run ended: 'works', or its failure cause and where (OOM at 256 is not OOM at 64)."""
    kept = usable(sweep, policy)
    dropped = sorted({p.concurrency for p in sweep.points} - {p.concurrency for p in kept.points})
    where = sorted(set(sweep.failed_at) | set(dropped))
    at = f" at {','.join(map(str, where))}" if where else ""
    if sweep.status != SWEEP_OK:
        return f"{sweep.cause or 'failed'}{at}"
    if where or not kept.points:
        return f"failed requests{at}"
    return WORKS


def _majority(sigs: Sequence[str]) -> str | None:
    return Counter(sigs).most_common(1)[0][0] if sigs else None


def side_signatures(
    by_index: Mapping[int, Sequence[Sweep]], b: Bisection, policy: AnalysisPolicy
) -> tuple[str | None, str | None]:
    good = [signature(s, policy) for i, ss in by_index.items() if i <= b.good for s in ss]
    bad = [signature(s, policy) for i, ss in by_index.items() if i >= b.bad for s in ss]
    return _majority(good), _majority(bad)


def mode_of(by_index: Mapping[int, Sequence[Sweep]], b: Bisection, policy: AnalysisPolicy) -> str:
    good, bad = side_signatures(by_index, b, policy)
    return FAILURE if good is not None and bad is not None and good != bad else PERFORMANCE


@dataclass(frozen=True)
class Decision:
    outcome: str  # GOOD, BAD, UNCLEAR, or UNLIKE_ENDS
    why: str
    asks: dict[int, int] = field(default_factory=dict)  # commit index -> runs to add


def run_values(
    by_index: Mapping[int, Sequence[Sweep]], policy: AnalysisPolicy
) -> dict[int, list[float]]:
    """One number per working run: its mean log throughput over the range all these runs reach
    (log peak throughput where they share no range)."""
    runs = {i: [usable(s, policy) for s in ss] for i, ss in by_index.items()}
    runs = {i: [s for s in ss if s.status == SWEEP_OK and s.points] for i, ss in runs.items()}
    frontiers = {i: [frontier_of([s]) for s in ss] for i, ss in runs.items()}
    span = shared_range([f for fs in frontiers.values() for f in fs])
    if is_range(span):
        assert span is not None
        return {i: [matched_summary(f, span) for f in fs] for i, fs in frontiers.items()}
    return {
        i: [math.log(max(p.tput_per_gpu for p in f.points)) for f in fs]
        for i, fs in frontiers.items()
    }


def _pooled(values: Mapping[int, Sequence[float]], prior: tuple[float, float] | None):
    """Run-to-run variance within commits, moderated by the noise history (sd, df)."""
    ss = sum(sum((x - sum(v) / len(v)) ** 2 for x in v) for v in values.values() if len(v) > 1)
    df = sum(len(v) - 1 for v in values.values() if len(v) > 1)
    if prior is not None and prior[1] > 0:
        ss += prior[0] ** 2 * prior[1]
        df += prior[1]
    if df <= 0:
        return None, 0.0
    var = ss / df
    return var * (df / (df - 2) if df > 4 else 2.0), df  # a t's heavier tails, when df is small


def _log_normal(x: float, mean: float, var: float) -> float:
    return -0.5 * math.log(2 * math.pi * var) - (x - mean) ** 2 / (2 * var)


def first_repeats(sd: float | None, change: float, confidence: float, least: int = 2) -> int:
    """Runs a probe needs for its expected evidence to reach the confidence at this noise."""
    if sd is None or change == 0:
        return 3
    threshold = math.log(confidence / (1 - confidence))
    return max(least, min(10, math.ceil(2 * threshold * sd**2 / change**2)))


def decide_performance(
    b: Bisection,
    by_index: Mapping[int, Sequence[Sweep]],
    policy: AnalysisPolicy,
    prior: tuple[float, float] | None = None,
    batch: int = 2,
) -> Decision:
    """Which side the probe is on, or where more runs help most."""
    assert b.probe is not None
    values = run_values(by_index, policy)
    good = [x for i, v in values.items() if i <= b.good for x in v]
    bad = [x for i, v in values.items() if i >= b.bad for x in v]
    probe = values.get(b.probe, [])
    var, _ = _pooled(values, prior)
    if len(good) < 2 or len(bad) < 2 or var is None:
        asks = {i: 2 - len(s) for i, s in ((b.good, good), (b.bad, bad)) if len(s) < 2}
        return Decision(UNCLEAR, "an end has fewer than 2 working runs", asks or {b.probe: batch})
    mg, mb = sum(good) / len(good), sum(bad) / len(bad)
    sg2, sb2 = var / len(good), var / len(bad)
    if not probe:
        return Decision(UNCLEAR, "no working run of the probe yet", {b.probe: b.repeats})
    n = len(probe)
    mean = sum(probe) / n
    vg, vb = var / n + sg2, var / n + sb2
    llr = _log_normal(mean, mb, vb) - _log_normal(mean, mg, vg)
    p_bad = 1 / (1 + math.exp(-max(-700.0, min(700.0, llr))))
    stated = (
        f" (P(like the candidate) = {p_bad:.4f} from {n} runs; ends {len(good)} and "
        f"{len(bad)} runs, change {math.expm1(mb - mg):+.1%}, run noise {math.sqrt(var):.1%})"
    )
    if p_bad >= b.confidence:
        return Decision(BAD, stated)
    if p_bad <= 1 - b.confidence:
        return Decision(GOOD, stated)
    # where a run reduces the variance that matters most, weighted by how likely each side is
    asks: dict[int, int] = {}
    counts = {b.probe: n, b.good: len(good), b.bad: len(bad)}
    # the far side's level is what a probe is scored against: its uncertainty is what limits
    weights = {b.probe: 1.0, b.good: p_bad, b.bad: 1 - p_bad}
    for _ in range(batch):
        gain = {i: weights[i] / (counts[i] * (counts[i] + 1)) for i in counts}
        best = max(gain, key=lambda i: (gain[i], i == b.probe))
        counts[best] += 1
        asks[best] = asks.get(best, 0) + 1
    names = {b.good: "the baseline end", b.bad: "the candidate end", b.probe: "the probe"}
    where = ", ".join(f"{k} more at {names[i]}" for i, k in asks.items())
    return Decision(UNCLEAR, f"probe {b.probe} is not clear yet{stated}: {where}", asks)


def decide_failure(
    b: Bisection, by_index: Mapping[int, Sequence[Sweep]], policy: AnalysisPolicy
) -> Decision:
    """Unlock or breakage: which end's outcome the probe repeats."""
    assert b.probe is not None
    good, bad = side_signatures(by_index, b, policy)
    sigs = [signature(s, policy) for s in by_index.get(b.probe, [])]
    if not sigs:
        return Decision(UNCLEAR, "no run of the probe yet", {b.probe: 1})
    counts = Counter(sigs)
    decided = WORKS if WORKS in counts else None
    decided = decided or next((s for s, k in counts.items() if k >= 2), None)
    if decided is None:
        last = sigs[-1]
        flaky = " (an earlier failure did not repeat: flaky)" if len(counts) > 1 else ""
        return Decision(
            UNCLEAR, f"probe {b.probe} failed ({last}){flaky}: one confirming rerun", {b.probe: 1}
        )
    how = f" ({decided}" + (f", {counts[decided]} runs agree" if decided != WORKS else "") + ")"
    if len(counts) > 1 and decided == WORKS:
        how += "; its failures did not repeat (flaky)"
    if decided == good:
        return Decision(GOOD, how)
    if decided == bad:
        return Decision(BAD, how)
    return Decision(
        UNLIKE_ENDS,
        f"probe {b.probe} ({b.commits[b.probe][:12]}) {decided}, unlike the baseline end "
        f"({good}) and the candidate end ({bad})",
    )


def decide_any_failure(
    b: Bisection, by_index: Mapping[int, Sequence[Sweep]], policy: AnalysisPolicy
) -> Decision | None:
    """In a performance bisection, a probe that fails where both ends work."""
    assert b.probe is not None
    sigs = [signature(s, policy) for s in by_index.get(b.probe, [])]
    failed = [s for s in sigs if s != WORKS]
    if not failed:
        return None
    common = Counter(failed).most_common(1)[0]
    if common[1] >= 2:
        return Decision(
            UNLIKE_ENDS,
            f"probe {b.probe} ({b.commits[b.probe][:12]}) fails ({common[0]}, {common[1]} runs "
            "agree) where both ends work",
        )
    if len(failed) == len(sigs) or len(sigs) - len(failed) < 2:
        return Decision(UNCLEAR, f"probe {b.probe} failed once ({failed[0]}): rerun", {b.probe: 1})
    return None  # a flaky failure among enough working runs: use the working ones
