"""Bisection: when ranking cannot name the culprit, measure commits between last good and first bad.

Pure state and decisions; the driver (bot/attribution/driver.py) dispatches the benchmarks and
feeds results back. A probe is classified by where it lands between the two ends: with the
change d = log(candidate / baseline) and the probe's m = log(probe / baseline), the probe is like
the baseline when m / d is surely below one half and like the candidate when surely above. When
the interval straddles one half, the probe is measured again (more repeats), within the budget.
Cost: about log2(N) probes for N commits, plus repeats where noise demands them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.analysis.compare import compare
from bot.analysis.verdict import usable
from bot.config import AnalysisPolicy
from bot.model import Sweep

GOOD, BAD, UNCLEAR = "good", "bad", "unclear"
RUNNING, FOUND, OUT_OF_BUDGET = "running", "found", "out-of-budget"


@dataclass(frozen=True)
class Bisection:
    key: str  # stable id: upstream, config, the two ends
    config_slug: str
    repo: str
    commits: tuple[str, ...]  # oldest first: [0] is the baseline's commit, [-1] the candidate's
    good: int  # latest index known to behave like the baseline
    bad: int  # earliest index known to behave like the candidate
    budget: int  # benchmark runs it may spend
    repeats: int  # runs per probe
    runs: int = 0  # runs spent so far
    probe: int | None = None  # index being measured
    tries: int = 0  # measurements of the current probe so far
    status: str = RUNNING

    @property
    def culprit(self) -> str | None:
        return self.commits[self.bad] if self.status == FOUND else None

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.runs)


def start(
    key: str, config_slug: str, repo: str, commits: Sequence[str], budget: int, repeats: int
) -> Bisection:
    if len(commits) < 2:
        raise ValueError("a bisection needs the baseline's and the candidate's commits")
    b = Bisection(key, config_slug, repo, tuple(commits), 0, len(commits) - 1, budget, repeats)
    return _settle(b)


def expected_runs(commits: int, repeats: int) -> int:
    """Runs a noise-free bisection of this many commits spends: ceil(log2(N - 1)) probes."""
    return max(0, math.ceil(math.log2(max(commits - 1, 1)))) * repeats


def _settle(b: Bisection) -> Bisection:
    """Decide what happens next: found, out of budget, or the next probe."""
    if b.bad - b.good <= 1:
        return replace(b, status=FOUND, probe=None)
    if b.remaining < b.repeats:
        return replace(b, status=OUT_OF_BUDGET, probe=None)
    if b.probe is None:
        return replace(b, probe=(b.good + b.bad) // 2, tries=0)
    return b


def dispatched(b: Bisection) -> Bisection:
    """The current probe's runs were sent."""
    return replace(b, runs=b.runs + b.repeats, tries=b.tries + 1)


def record(b: Bisection, outcome: str, max_tries: int = 3) -> Bisection:
    """The current probe measured like the baseline, like the candidate, or unclear."""
    if b.probe is None:
        raise ValueError("no probe is being measured")
    if outcome == GOOD:
        return _settle(replace(b, good=b.probe, probe=None, tries=0))
    if outcome == BAD:
        return _settle(replace(b, bad=b.probe, probe=None, tries=0))
    if b.tries >= max_tries:  # noise will not settle it: say so rather than guess
        return replace(b, status=OUT_OF_BUDGET, probe=None)
    return _settle(b)  # measure the same probe again


def classify(
    probe: Sequence[Sweep],
    baseline: Sequence[Sweep],
    candidate: Sequence[Sweep],
    policy: AnalysisPolicy,
) -> str:
    """Is the probe like the baseline, like the candidate, or not clear yet?"""
    probe = [usable(s, policy) for s in probe]
    baseline = [usable(s, policy) for s in baseline]
    candidate = [usable(s, policy) for s in candidate]
    probe_ok = any(s.points for s in probe)
    base_ok, cand_ok = any(s.points for s in baseline), any(s.points for s in candidate)
    if base_ok != cand_ok:  # an unlock or a breakage: working or not decides
        return GOOD if probe_ok == base_ok else BAD
    if not probe_ok:
        return UNCLEAR
    change = compare(baseline, candidate, policy=policy).headline
    moved = compare(baseline, probe, policy=policy).headline
    d = math.log(change.ratio)
    if d == 0 or moved.low is None or moved.high is None:
        return UNCLEAR
    # where the probe sits between the ends, as an interval: 0 = baseline, 1 = candidate
    ends = sorted((math.log(moved.low) / d, math.log(moved.high) / d))
    if ends[1] < 0.5:
        return GOOD
    if ends[0] > 0.5:
        return BAD
    return UNCLEAR
