"""Progress of a run-job invocation: which point, which repeat, elapsed, and an estimate of what
is left (the mean of the client runs so far times the runs left, plus server starts left)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from statistics import fmean
from typing import TextIO


def fmt_duration(seconds: float | None) -> str:
    """'42s', '3m05s', '1h02m'; '?' when unknown."""
    if seconds is None:
        return "?"
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def estimate_left(
    point_seconds: list[float],
    points_left: int,
    start_seconds: list[float],
    starts_left: int,
) -> float | None:
    """Seconds left: mean point time x points left + mean server start x starts left.
    None until there is a measurement for each kind of step still ahead."""
    if points_left < 0 or starts_left < 0:
        raise ValueError("nothing can be negative work")
    total = 0.0
    if points_left:
        if not point_seconds:
            return None
        total += fmean(point_seconds) * points_left
    if starts_left:
        if not start_seconds:
            return None
        total += fmean(start_seconds) * starts_left
    return total


@dataclass
class Progress:
    """Counts of a whole invocation: every job's points (repeats x concurrencies) and servers."""

    points_total: int
    starts_total: int
    out: TextIO = field(default_factory=lambda: sys.stderr)
    began: float = field(default_factory=time.monotonic)
    point_seconds: list[float] = field(default_factory=list)
    start_seconds: list[float] = field(default_factory=list)
    points_done: int = 0
    points_dropped: int = 0
    starts_done: int = 0

    @property
    def points_left(self) -> int:
        return max(0, self.points_total - self.points_done - self.points_dropped)

    @property
    def starts_left(self) -> int:
        return max(0, self.starts_total - self.starts_done)

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def left(self) -> float | None:
        return estimate_left(
            self.point_seconds, self.points_left, self.start_seconds, self.starts_left
        )

    def status(self) -> str:
        return f"elapsed {fmt_duration(self.elapsed())}, about {fmt_duration(self.left())} left"

    def say(self, text: str) -> None:
        print(f"paretobot: {text}", file=self.out, flush=True)

    def server_started(self, seconds: float | None) -> None:
        """A server start is over (healthy or not); its time counts when it got healthy."""
        self.starts_done += 1
        if seconds is not None:
            self.start_seconds.append(seconds)

    def point_begins(self, name: str, repeat: int, repeats: int, conc: int, prompts: int) -> None:
        number = self.points_done + self.points_dropped + 1
        self.say(
            f"[{number}/{self.points_total}] {name} r{repeat} (repeat {repeat + 1} of {repeats}) "
            f"c{conc} ({prompts} prompts) | {self.status()}"
        )

    def point_done(self, seconds: float, outcome: str) -> None:
        self.points_done += 1
        self.point_seconds.append(seconds)
        self.say(f"  {outcome} in {fmt_duration(seconds)} | {self.status()}")

    def drop(self, points: int) -> None:
        """Points that will not run (their configuration failed)."""
        self.points_dropped += points
