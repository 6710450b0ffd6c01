"""Questions over stored results: the frontiers of a build, the verdicts between two builds, each
configuration's history. Selection errors are the user's (a name that matches nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy.engine import Engine

from bot import store
from bot.analysis import select
from bot.analysis.frontier import frontier_of
from bot.analysis.history import History, history
from bot.analysis.suspect import SuspectPoint
from bot.analysis.verdict import Verdict, judge, trusted
from bot.app import listing
from bot.config import AnalysisPolicy, PriceTable, load_policy, load_prices
from bot.model import ConfigKey, Frontier, Run, Sweep


def grouped(engine: Engine, config: str | None = None) -> dict[ConfigKey, list[Sweep]]:
    """The stored sweeps by configuration; an error when none (match)."""
    sweeps = store.load_sweeps(engine, config_pattern=config)
    if not sweeps:
        where = f" matching '{config}'" if config else ""
        hint = listing.config_hint(engine, config) if config else ""
        raise select.SelectionError(
            f"no results stored{where}" + (hint or "; load some with `paretobot ingest PATH`")
        )
    return select.by_config(sweeps)


def runs_by_id(engine: Engine) -> dict[str, Run]:
    """Every run's record (health, exclusion), for marking the runs a result comes from."""
    return {r.run_id: r for r in store.load_runs(engine)}


def frontiers(
    engine: Engine, config: str | None = None, build: str | None = None
) -> list[tuple[Frontier, list[SuspectPoint]]]:
    """Each configuration's frontier of `build` (default: its latest stored build), without the
    points whose interactivity cannot be trusted (bot/analysis/suspect.py), and those points."""
    prices, policy = load_prices(), load_policy()
    found, distrusted = [], 0
    for key, sweeps in grouped(engine, config).items():
        if build:
            chosen = select.pick(sweeps, build)
        else:
            chosen = select.of_build(sweeps, select.latest_build(sweeps))
        kept, suspect = trusted(chosen, policy.for_config(key))
        if kept:
            found.append((frontier_of(kept, prices), suspect))
        elif suspect:
            distrusted += 1
    if not found and distrusted:
        raise select.SelectionError(
            f"every point of the {'chosen' if build else 'latest'} build of {distrusted} "
            "configuration(s) is suspect (its file's own figures contradict its interactivity): "
            "no frontier to draw (docs/formats.md says which figures are checked)"
        )
    if not found:
        raise select.SelectionError(
            f"no stored sweep matches build '{build}'"
            + (listing.build_hint(engine, [build], config) if build else "")
        )
    return found


def same_hosts(
    base: list[Sweep], cand: list[Sweep], runs: Mapping[str, Run]
) -> tuple[list[Sweep], list[Sweep], str]:
    """Runs matched by the host they ran on. Two machines of one model can differ as much as the
    changes worth catching (one 128-token request: 1.2 s on one H200 host, 1.7-2.6 s on another),
    so when both sides have two or more runs on hosts they share, only those are compared; when
    they share none, the comparison says so. Runs of unknown host are kept as they are."""

    def host(s: Sweep) -> str:
        run = runs.get(s.run_id)
        return run.host if run is not None and run.host else ""

    base_hosts, cand_hosts = {host(s) for s in base} - {""}, {host(s) for s in cand} - {""}
    if not base_hosts or not cand_hosts or base_hosts == cand_hosts == {next(iter(base_hosts))}:
        return base, cand, ""
    shared = base_hosts & cand_hosts
    if not shared:
        return (
            base,
            cand,
            (
                f"baseline and candidate ran on different hosts ({', '.join(sorted(base_hosts))} "
                f"vs {', '.join(sorted(cand_hosts))}): differences between machines are in this "
                "comparison"
            ),
        )
    on_base = [s for s in base if host(s) in shared]
    on_cand = [s for s in cand if host(s) in shared]
    if len({s.run_id for s in on_base}) < 2 or len({s.run_id for s in on_cand}) < 2:
        return base, cand, ""
    left = len({s.run_id for s in base + cand}) - len({s.run_id for s in on_base + on_cand})
    note = (
        f"compared on the hosts both sides ran on ({', '.join(sorted(shared))}); "
        f"{left} run(s) on other hosts left out"
    )
    return on_base, on_cand, note if left else ""


def verdict_between(
    base: list[Sweep],
    cand: list[Sweep],
    history: list[Sweep],
    policy: AnalysisPolicy,
    prices: PriceTable | None,
    runs: Mapping[str, Run],
) -> Verdict:
    """The verdict `paretobot compare` gives between two builds' sweeps of one configuration
    (`history`: all its sweeps, for the noise of other builds): runs matched by host first."""
    base, cand, note = same_hosts(base, cand, runs)
    v = judge(base, cand, policy, history=history, prices=prices)
    if note and v.comparison is not None:
        c = v.comparison
        v = replace(v, comparison=replace(c, notes=(*c.notes, note)))
    return v


def verdicts(
    engine: Engine,
    baseline: str,
    candidate: str,
    config: str | None = None,
    runs: Mapping[str, Run] | None = None,
) -> list[Verdict]:
    """One verdict per configuration measured on both builds, with the noise of its other builds;
    runs matched by host where the store knows it (`same_hosts`). `runs`: the run records, when
    the caller has read them already (it shows them beside the verdicts)."""
    policy, prices = load_policy(), load_prices()
    runs = runs_by_id(engine) if runs is None else runs
    found = []
    for key, sweeps in grouped(engine, config).items():
        base, cand = select.pick(sweeps, baseline), select.pick(sweeps, candidate)
        if base and cand:
            found.append(verdict_between(base, cand, sweeps, policy.for_config(key), prices, runs))
    if not found:
        raise select.SelectionError(
            f"no configuration has results for both '{baseline}' and '{candidate}' "
            "(a build is named by version, image tag or commit prefix; a run by run:ID)"
            + (
                listing.build_hint(engine, [baseline, candidate], config)
                or "; `paretobot builds --config PATTERN` lists the builds of configurations"
            )
        )
    return found


def histories(engine: Engine, config: str | None = None, by: str = "build") -> list[History]:
    policy = load_policy()
    return [
        history(sweeps, policy.for_config(key), by=by)
        for key, sweeps in grouped(engine, config).items()
    ]
