"""Which stored sweeps a question is about: a build or run selector, the latest build per config."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bot.errors import ParetobotError
from bot.model import Build, ConfigKey, Sweep

RUN_PREFIX = "run:"


class SelectionError(ParetobotError, ValueError):
    """A selector that cannot name one thing."""


def matches(sweep: Sweep, selector: str) -> bool:
    """`run:ID` selects a run; anything else a build (version, image or tag, commit prefix)."""
    if selector.startswith(RUN_PREFIX):
        return sweep.run_id == selector[len(RUN_PREFIX) :]
    return sweep.build.matches(selector)


def by_config(sweeps: Sequence[Sweep]) -> dict[ConfigKey, list[Sweep]]:
    grouped: dict[ConfigKey, list[Sweep]] = defaultdict(list)
    for sweep in sweeps:
        grouped[sweep.config].append(sweep)
    return dict(grouped)


def latest_build(sweeps: Sequence[Sweep]) -> Build:
    """The build of the most recently stored sweep (sweeps come in storage order)."""
    return sweeps[-1].build


def of_build(sweeps: Sequence[Sweep], build: Build) -> list[Sweep]:
    return [s for s in sweeps if s.build == build]


def pick(sweeps: Sequence[Sweep], selector: str) -> list[Sweep]:
    """Sweeps matching the selector; refuses a selector that names two different builds."""
    chosen = [s for s in sweeps if matches(s, selector)]
    builds = {s.build for s in chosen}
    if len(builds) > 1:
        labels = ", ".join(sorted(b.label for b in builds))
        raise SelectionError(
            f"'{selector}' matches more than one build ({labels}); be more specific"
        )
    return chosen
