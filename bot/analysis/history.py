"""One configuration over all its builds: a summary value per build, and where it changed.

A build's value is the geometric-mean throughput per GPU over the interactivity range that every
measured build reaches (the same range for all, so values are comparable), averaged over its runs
in log space. If the builds share no range, the peak throughput per GPU is used instead, and said.
A build whose runs all failed is a missing value: it neither breaks the series nor shifts indices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.analysis.changepoints import ChangePoint, detect
from bot.analysis.compare import matched_summary, shared_range
from bot.analysis.frontier import frontier_of
from bot.analysis.verdict import usable
from bot.config import AnalysisPolicy
from bot.model import Build, ConfigKey, Frontier, Sweep


@dataclass(frozen=True)
class BuildValue:
    build: Build
    value: float | None  # None: no valid point in any run of this build
    runs: int
    causes: tuple[str, ...] = ()  # why runs failed, when they did


@dataclass(frozen=True)
class History:
    config: ConfigKey
    builds: tuple[BuildValue, ...]  # in the order they were first stored
    measure: str
    changes: tuple[ChangePoint, ...]  # indices into `builds`


def _builds_in_order(sweeps: Sequence[Sweep]) -> dict[Build, list[Sweep]]:
    ordered: dict[Build, list[Sweep]] = {}
    for sweep in sweeps:
        ordered.setdefault(sweep.build, []).append(sweep)
    return ordered


def _value(frontiers: list[Frontier], span: tuple[float, float] | None) -> float:
    if span is None:
        return math.exp(np.mean([np.log(f.peak_tput_per_gpu or math.nan) for f in frontiers]))
    return math.exp(np.mean([matched_summary(f, span) for f in frontiers]))


def history(sweeps: Sequence[Sweep], policy: AnalysisPolicy) -> History:
    """The series of one configuration's builds and its change points."""
    if not sweeps:
        raise ValueError("no sweeps")
    by_build = _builds_in_order(sweeps)
    frontiers = {
        build: [frontier_of([s]) for s in (usable(s, policy) for s in runs) if s.points]
        for build, runs in by_build.items()
    }
    span = shared_range([f for fs in frontiers.values() for f in fs])
    values = [
        BuildValue(
            build=build,
            value=_value(frontiers[build], span) if frontiers[build] else None,
            runs=len(runs),
            causes=tuple(sorted({s.cause for s in runs if s.cause})),
        )
        for build, runs in by_build.items()
    ]
    settings = policy.changepoints
    changes = detect(
        [v.value for v in values],
        alpha=settings.alpha,
        min_size=settings.min_size,
        min_effect=policy.min_effect,
    )
    measure = (
        f"geo-mean tok/s/GPU over {span[0]:.3g}-{span[1]:.3g} tok/s/user"
        if span
        else "peak tok/s/GPU (the builds share no interactivity range)"
    )
    return History(sweeps[0].config, tuple(values), measure, tuple(changes))
