"""Retention as a use case: `paretobot prune` deletes the runs older than a date that nothing
refers to. Always kept: the runs an open bisection is measuring, and each configuration's latest
build (the baseline its next comparison needs); kept on request (`--keep`): release builds,
pinned baselines (upstreams.yaml `pinned:` rules, and `--pin`), and the runs of every recorded
change (its evidence, and both of its builds). A run of unknown date is never old."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from bot import store
from bot.errors import ParetobotError
from bot.model import Build, ConfigKey, same_commit
from bot.store import retention
from bot.store import triage as changes

KEEPS = ("releases", "baselines", "changes")
# a release's version: 0.32.0, v0.21.0, 0.11.0rc1, 2.4.post1: no dev, no local part, no commit
_RELEASE = re.compile(r"v?\d+(\.\d+)+((a|b|rc)\d+|\.post\d+)?", re.IGNORECASE)


class RetentionError(ParetobotError):
    """A prune asked in a way that could delete what it should not."""


@dataclass(frozen=True)
class Pruned:
    cutoff: datetime
    dry_run: bool
    deleted: list[str]  # run ids deleted (or, in a dry run, that would be)
    kept: dict[str, list[str]]  # why -> old run ids kept for it (a run is listed once)
    rows: dict[str, int]  # rows per table deleted (or that would be)


def is_release(build: Build) -> bool:
    return bool(_RELEASE.fullmatch(build.version.strip()))


def pinned_selectors() -> list[str]:
    """The builds upstreams.yaml pins as baselines (`pinned:BUILD` rules)."""
    from bot.config.upstreams import PINNED, load_upstreams

    rules = [
        rule
        for u in load_upstreams().upstreams
        for rule in (u.baseline.release, u.baseline.tag, u.baseline.pull)
    ]
    return [r.removeprefix(PINNED) for r in rules if r.startswith(PINNED)]


def _bisected(states: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(configuration slug, commits) of each open bisection's state."""
    found = []
    for text in states:
        try:
            state = json.loads(text)
            found.append((str(state["config_slug"]), tuple(map(str, state["commits"]))))
        except (ValueError, KeyError, TypeError):
            raise RetentionError(
                "an open bisection's state cannot be read, so what it measures is unknown: "
                "nothing pruned"
            ) from None
    return found


def prune(
    engine: Engine,
    *,
    older_than: datetime,
    keep: Sequence[str] = KEEPS,
    pins: Sequence[str] = (),
    dry_run: bool = False,
) -> Pruned:
    unknown = [k for k in keep if k not in KEEPS]
    if unknown:
        raise RetentionError(f"--keep: '{unknown[0]}' is not one of {', '.join(KEEPS)}")
    times = retention.run_times(engine)
    old = {run for run, at in times.items() if at is not None and at < older_than}
    by_run, latest = retention.measured(engine)

    def runs_where(test: Callable[[ConfigKey, Build], bool]) -> set[str]:
        return {r for r in old if any(test(c, b) for c, b in by_run[r])}

    reasons: list[tuple[str, set[str]]] = []
    bisections = _bisected(store.load_bisections(engine, status="running").values())
    reasons.append(
        (
            "an open bisection measures them",
            runs_where(
                lambda c, b: any(
                    c.slug == slug and any(same_commit(b.commit, x) for x in commits)
                    for slug, commits in bisections
                )
            ),
        )
    )
    reasons.append(
        ("their configuration's latest build", runs_where(lambda c, b: latest.get(c) == b))
    )
    if "changes" in keep:
        recorded = changes.load_changes(engine)
        named = {(ch.config, b) for ch in recorded for b in (ch.baseline, ch.candidate)}
        evidence = {run for ch in recorded for run in ch.runs}
        reasons.append(
            (
                "a recorded change refers to them",
                runs_where(lambda c, b: (c, b) in named) | (old & evidence),
            )
        )
    if "baselines" in keep or pins:
        selectors = [*pins, *(pinned_selectors() if "baselines" in keep else [])]
        reasons.append(
            (
                "a pinned baseline",
                runs_where(lambda c, b: any(b.matches(sel) for sel in selectors)),
            )
        )
    if "releases" in keep:
        reasons.append(("a release build", runs_where(lambda c, b: is_release(b))))
    kept: dict[str, list[str]] = {}
    seen: set[str] = set()
    for why, runs in reasons:
        mine = sorted(runs - seen)
        seen |= runs
        if mine:
            kept[why] = mine
    doomed = sorted(old - seen)
    rows = retention.delete_runs(engine, doomed, dry_run=dry_run)
    return Pruned(older_than, dry_run, doomed, kept, rows)
