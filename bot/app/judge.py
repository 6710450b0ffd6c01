"""Questions over stored results: the frontiers of a build, the verdicts between two builds, each
configuration's history. Selection errors are the user's (a name that matches nothing)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine

from bot import store
from bot.analysis import select
from bot.analysis.frontier import frontier_of
from bot.analysis.history import History, history
from bot.analysis.verdict import Verdict, judge
from bot.config import load_policy, load_prices
from bot.model import VERDICT_KINDS, ConfigKey, Frontier, Run, Sweep


def grouped(engine: Engine, config: str | None = None) -> dict[ConfigKey, list[Sweep]]:
    """The stored sweeps by configuration; an error when none (match)."""
    sweeps = store.load_sweeps(engine, config_pattern=config)
    if not sweeps:
        where = f" matching '{config}'" if config else ""
        raise select.SelectionError(
            f"no results stored{where}; load some with `paretobot ingest PATH`"
        )
    return select.by_config(sweeps)


def runs_by_id(engine: Engine) -> dict[str, Run]:
    """Every run's record (health, exclusion), for marking the runs a result comes from."""
    return {r.run_id: r for r in store.load_runs(engine)}


def frontiers(
    engine: Engine, config: str | None = None, build: str | None = None
) -> list[Frontier]:
    """Each configuration's frontier of `build` (default: its latest stored build)."""
    prices = load_prices()
    found = []
    for sweeps in grouped(engine, config).values():
        if build:
            chosen = select.pick(sweeps, build)
        else:
            chosen = select.of_build(sweeps, select.latest_build(sweeps))
        chosen = [s for s in chosen if s.points]
        if chosen:
            found.append(frontier_of(chosen, prices))
    if not found:
        raise select.SelectionError(f"no stored sweep matches build '{build}'")
    return found


def verdicts(
    engine: Engine, baseline: str, candidate: str, config: str | None = None
) -> list[Verdict]:
    """One verdict per configuration measured on both builds, with the noise of its other builds."""
    policy, prices = load_policy(), load_prices()
    found = []
    for sweeps in grouped(engine, config).values():
        base, cand = select.pick(sweeps, baseline), select.pick(sweeps, candidate)
        if base and cand:
            found.append(judge(base, cand, policy, history=sweeps, prices=prices))
    if not found:
        raise select.SelectionError(
            f"no configuration has results for both '{baseline}' and '{candidate}' "
            "(a build is named by version, image tag or commit prefix; a run by run:ID)"
        )
    return found


def histories(engine: Engine, config: str | None = None, by: str = "build") -> list[History]:
    policy = load_policy()
    return [history(sweeps, policy, by=by) for sweeps in grouped(engine, config).values()]


def counts(found: Sequence[Verdict]) -> dict[str, int]:
    """How many verdicts of each kind (every kind of the vocabulary, zeros included)."""
    return {kind: sum(v.kind == kind for v in found) for kind in VERDICT_KINDS}
