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

from bot.analysis.verdict import usable
from bot.attribution.evidence import culprit_posterior, pooled, run_values
from bot.config import AnalysisPolicy
from bot.model import SWEEP_OK, Sweep

GOOD, BAD, UNCLEAR = "good", "bad", "unclear"
RUNNING, FOUND = "running", "found"
UNCLEAR_AFTER_BUDGET = "unclear"  # a probe's own budget (max_probe_runs) spent, still unclear
OUT_OF_BUDGET = "out-of-budget"  # the bisection's budget cannot pay for the next runs
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


def default_budget(commits: int, per_probe: int = 5, ends: int = 10) -> int:
    """Runs a bisection may spend unless told: `per_probe` runs for each of the ceil(log2 N)
    probes a noise-free search needs, and `ends` for re-measuring the two ends."""
    return expected_runs(commits, per_probe) + ends


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


MIN_LEVEL_RUNS = 6  # runs each side's level rests on before a culprit is named
MOVE_ON = 0.95  # a probe this sure is left for the next; the culprit itself needs `confidence`


def decide_performance(
    b: Bisection,
    by_index: Mapping[int, Sequence[Sweep]],
    policy: AnalysisPolicy,
    prior: tuple[float, float] | None = None,
    batch: int = 2,
) -> tuple[Bisection, Decision]:
    """Where the step is, given every run so far (`culprit_posterior`), and what to measure
    next. The bounds follow the posterior (a probe that later evidence contradicts is measured
    again); the next probe is the commit whose side is most uncertain within them; the culprit
    is named once its own posterior reaches `confidence`."""
    assert b.probe is not None
    values = run_values(by_index, policy)
    good = [x for i, v in values.items() if i <= b.good for x in v]
    bad = [x for i, v in values.items() if i >= b.bad for x in v]
    var, _ = pooled(values, prior)
    if len(values.get(0, [])) < 2 or len(values.get(len(b.commits) - 1, [])) < 2 or var is None:
        ends = (0, len(b.commits) - 1)
        asks = {i: 2 - len(values.get(i, [])) for i in ends if len(values.get(i, [])) < 2}
        return b, Decision(UNCLEAR, "an end has fewer than 2 working runs", asks)
    mg, mb = sum(good) / len(good), sum(bad) / len(bad)
    # the step's direction is the ends' (the change the bisection was started for), not the
    # current bounds': an end measured low by chance would otherwise pull the bounds next to
    # it, flip the direction and then confirm itself
    first, last = values[0], values[len(b.commits) - 1]
    post = culprit_posterior(
        values, len(b.commits), var, sum(last) / len(last) - sum(first) / len(first)
    )
    cum = [sum(post[: i + 1]) for i in range(len(b.commits))]
    stated = (
        f"levels from {len(good)} and {len(bad)} runs, change {math.expm1(mb - mg):+.1%}, "
        f"run noise {math.sqrt(var):.1%}"
    )
    p = b.probe
    if p not in values or not values[p]:
        return b, Decision(UNCLEAR, f"no working run of probe {p} yet", {p: b.repeats})
    side = cum[p]
    if side >= MOVE_ON or side <= 1 - MOVE_ON:
        word = "candidate" if side >= MOVE_ON else "baseline"
        b = say(b, f"probe {p} is like the {word} (P(like the candidate) = {side:.4f} from "
                f"{len(values[p])} runs; {stated})")  # fmt: skip
    top = max(range(len(post)), key=post.__getitem__)
    if post[top] >= b.confidence:
        # a level resting on few runs can be off by chance and make every probe look like the
        # other side, and so can the few runs of the commit next to the step (a probe read on
        # one side is not measured again): before naming the culprit, each side's level rests
        # on MIN_LEVEL_RUNS and the two commits the step lies between on one run more than a
        # probe's first runs
        asks: dict[int, int] = {}
        words = []
        for side, near, level in (
            ("baseline", max(i for i in values if i < top and values[i]),
             sum(len(v) for i, v in values.items() if i < top)),
            ("candidate", min(i for i in values if i >= top and values[i]),
             sum(len(v) for i, v in values.items() if i >= top)),
        ):  # fmt: skip
            more = max(b.repeats + 1 - len(values[near]), MIN_LEVEL_RUNS - level, 0)
            if more:
                asks[near] = more
                words.append(f"{more} more at index {near}, the {side} side of the step "
                             f"({len(values[near])} runs there, {level} on that side)")  # fmt: skip
        if not asks:
            b = replace(b, good=top - 1, bad=top, probe=None)
            return _next(b), Decision(FOUND, f"P = {post[top]:.4f}")
        return b, Decision(UNCLEAR, f"{b.commits[top][:12]} looks like the culprit (P = "
                           f"{post[top]:.4f}); to confirm, {'; '.join(words)}", asks)  # fmt: skip
    lo = max(i for i in range(len(cum)) if cum[i] <= 1 - MOVE_ON)
    hi = min(i for i in range(len(cum)) if cum[i] >= MOVE_ON)
    nxt = min(range(lo, hi + 1), key=lambda i: (abs(cum[i] - 0.5), -len(values.get(i, []))))
    b = replace(b, good=lo, bad=hi)
    if nxt != p:
        guided = _guided_probe(b)
        nxt = guided if guided is not None and guided not in values else nxt
        why = "the ranking's likeliest candidate" if nxt == guided else (
            f"the commit whose side is least clear (P(like the candidate) = {cum[nxt]:.2f})"
        )  # fmt: skip
        b = replace(b, probe=nxt, probe_spent=0, guided=b.guided + (nxt == guided))
        b = say(b, f"probe {nxt} ({b.commits[nxt][:12]}): {why}")
        have = len(values.get(nxt, []))
        if have == 0:
            return b, Decision(UNCLEAR, f"no working run of probe {nxt} yet", {nxt: b.repeats})
    have = len(values[b.probe])
    asks: dict[int, int] = {}
    # the far level is what the probe is told apart from: when it rests on fewer runs than the
    # probe, a run there decides more than another run of the probe
    side = cum[b.probe]
    far, runs = (b.good, len(good)) if side >= 0.5 else (b.bad, len(bad))
    if runs < have + 1 and far != b.probe:
        asks[far] = 1
    asks[b.probe] = batch - len(asks)
    names = {b.good: "the baseline end", b.bad: "the candidate end", b.probe: "the probe"}
    where = ", ".join(f"{k} more at {names[i]}" for i, k in asks.items())
    why = (
        f"probe {b.probe} is not clear yet (P(like the candidate) = {side:.4f} from {have} "
        f"runs; the culprit's best guess {b.commits[top][:12]} at P = {post[top]:.3f}; "
        f"{stated}): {where}"
    )
    return b, Decision(UNCLEAR, why, asks)


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
