"""Points whose interactivity cannot be trusted, and sweeps without them.

Three signs, each a sentence in reports: the file's own figures contradict each other (ingest sets
`Point.suspect`, e.g. a mean per-request interactivity above its own 90th percentile); the users
together would receive tokens far faster than the server produced them (interactivity x
concurrency above BURST times the output throughput: the tokens were not streamed but arrived in
a burst, so TPOT measured the burst, not decoding; seen on a starved CPU server, where a median
TPOT of 0.003 ms made 370,000 tok/s/user from 997 tok/s in all); or a point's interactivity rises
with concurrency by more than `rise` over the point below it (more users served concurrently
cannot make each one faster; such a point sits where the frontier is not, and one of them is
enough to make two frontiers seem to cross). Of the two, the higher-concurrency point is left
out, unless the run's repeats show the lower one is the odd one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.model import Point, Sweep

# Users decode only part of the time (queueing, prefill), so interactivity x concurrency is above
# the output rate: about 1x at concurrency 1, a few times with long prompts or think time. A
# factor of 20 leaves that room and still catches bursts, which are off by hundreds.
BURST = 20.0


@dataclass(frozen=True)
class SuspectPoint:
    run_id: str
    build: str  # label
    concurrency: int
    interactivity: float
    reason: str


def _peer_median(peers: Sequence[Sweep], concurrency: int) -> float | None:
    """The median interactivity of the repeats' points at this concurrency (None: none)."""
    values = sorted(
        p.interactivity for s in peers for p in s.points if p.concurrency == concurrency
    )
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else math.sqrt(values[mid - 1] * values[mid])


def _lower_is_out_of_line(low: Point, high: Point, peers: Sequence[Sweep], rise: float) -> bool:
    """Of two points whose interactivity rises with concurrency, whether the lower-concurrency
    one is the odd one: off its repeats' median by more than `rise`, and by more than the higher
    one is. On a real H200, concurrency 1 with few requests came out slow in one repeat of three
    (33.5 tok/s/user against 51 and 66) and concurrency 16 was in line: leaving out the higher
    point, as without repeats, bent that run's frontier into a false -86% between identical
    settings. A rise every repeat shows (vLLM on a CPU: concurrency 2 faster per user than 1)
    is no outlier: the higher point goes, in every run alike, so their frontiers stay alike."""
    low_median = _peer_median(peers, low.concurrency)
    high_median = _peer_median(peers, high.concurrency)
    if low_median is None or high_median is None:
        return False
    low_off = abs(math.log(low.interactivity / low_median))
    high_off = abs(math.log(high.interactivity / high_median))
    return low_off > math.log1p(rise) and low_off > high_off


def suspect_points(sweep: Sweep, rise: float, peers: Sequence[Sweep] = ()) -> dict[int, str]:
    """Concurrency -> why its point is suspect, for one sweep. `peers`: other runs of the same
    configuration (its repeats, else other builds'), which say which of two contradicting
    points is out of line."""
    found: dict[int, str] = {}
    previous = None  # the last trusted point at a lower concurrency
    for point in sorted(sweep.points, key=lambda p: p.concurrency):
        if point.suspect:
            found[point.concurrency] = point.suspect
            continue
        burst = _burst(point, sweep.config.decode_gpus or sweep.config.gpus)
        if burst:
            found[point.concurrency] = burst
            continue
        if previous is not None and point.interactivity > previous.interactivity * (1 + rise):
            if _lower_is_out_of_line(previous, point, peers, rise):
                median = _peer_median(peers, previous.concurrency)
                found[previous.concurrency] = (
                    f"interactivity {previous.interactivity:.3g} tok/s/user at concurrency "
                    f"{previous.concurrency} is below {point.interactivity:.3g} at concurrency "
                    f"{point.concurrency}, and out of line with its repeats ({median:.3g} "
                    "there): it falls short of a higher concurrency"
                )
                previous = point
                continue
            found[point.concurrency] = (
                f"interactivity {point.interactivity:.3g} tok/s/user at concurrency "
                f"{point.concurrency} is above {previous.interactivity:.3g} at concurrency "
                f"{previous.concurrency}: it rises with concurrency"
            )
            continue
        previous = point
    return found


def _burst(point: Point, gpus: int) -> str:
    """Why the point's tokens must have arrived in bursts, or ""."""
    if not point.output_tput_per_gpu or not gpus:
        return ""
    produced = point.output_tput_per_gpu * gpus
    received = point.interactivity * point.concurrency
    if received <= BURST * produced:
        return ""
    return (
        f"interactivity {point.interactivity:.3g} tok/s/user x {point.concurrency} users is "
        f"{received / produced:.0f}x the {produced:.3g} tok/s produced: tokens arrived in bursts, "
        "so TPOT does not measure decoding"
    )


def without_suspect(sweeps: Sequence[Sweep], rise: float) -> tuple[list[Sweep], list[SuspectPoint]]:
    """The sweeps without their suspect points, and the points left out."""
    kept, flagged = [], []
    for sweep in sweeps:
        # its repeats; a run with none is held against the configuration's other builds' runs
        # (a build's change moves both points alike, the odd point stays odd)
        others = [s for s in sweeps if s is not sweep and s.config == sweep.config]
        peers = [s for s in others if s.build == sweep.build] or others
        bad = suspect_points(sweep, rise, peers)
        kept.append(sweep.with_points(tuple(p for p in sweep.points if p.concurrency not in bad)))
        flagged += [
            SuspectPoint(
                sweep.run_id, sweep.build.label, p.concurrency, p.interactivity, bad[p.concurrency]
            )
            for p in sweep.points
            if p.concurrency in bad
        ]
    return kept, flagged
