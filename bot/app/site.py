"""The dashboard: each configuration's results, verdicts, histories and triaged changes gathered
from the store (`gather_config`, configurations side by side in processes) and written as a
static site by bot/report/site.py.

Comparisons are computed here, at build time, by the same code as `paretobot compare`
(bot/app/judge.verdict_between), for the pairs of builds people pick (`compare_pairs`). The page
does not estimate anything itself: a second implementation of the statistics in JavaScript
would be a second contract to keep equal to the first, and would give a different interval the
first time the two drifted apart.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.analysis.frontier import band, frontier_of
from bot.analysis.history import BY_BUILD, BY_DATE, history
from bot.analysis.verdict import trusted
from bot.app import triage
from bot.app.digest import build_times
from bot.app.judge import grouped, runs_by_id, verdict_between
from bot.config import AnalysisPolicy, PriceTable, load_policy, load_prices
from bot.model import Build, Change, ConfigKey, Run, Sweep, utc_now
from bot.report.site import BuildSeen, ConfigPage, SiteFacts, SiteWriter

# Estimates are made older build as baseline, newer as candidate (as changes are read): every
# such pair among a configuration's 6 newest builds, and each older build against the next and
# the newest. 30 builds: 63 pairs, a few milliseconds each.
PAIRED_BUILDS = 6
STALE_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class Built:
    folder: Path
    configs: int
    pages: int
    pairs: int
    seconds: float


def compare_pairs(n: int, paired: int = PAIRED_BUILDS) -> list[tuple[int, int]]:
    """The (baseline, candidate) build indices (oldest first) compared for a configuration of
    `n` builds: older baseline, newer candidate."""
    recent = range(max(0, n - paired), n)
    pairs = {(a, b) for a in recent for b in recent if a < b}
    for a in range(n - 1):
        pairs |= {(a, a + 1), (a, n - 1)}
    return sorted(pairs)


def gather_config(
    config: ConfigKey,
    group: Sequence[Sweep],
    policy: AnalysisPolicy,
    prices: PriceTable | None,
    runs: Mapping[str, Run],
    changes: Sequence[Change] = (),
    paired: int = PAIRED_BUILDS,
) -> ConfigPage:
    """One configuration's page: its builds in order, frontiers, bands, verdicts, histories."""
    of_build: dict[Build, list[Sweep]] = {}
    for s in group:
        of_build.setdefault(s.build, []).append(s)
    seen = []
    for build, first in build_times(group):
        times = [s.started_at for s in of_build[build] if s.started_at is not None]
        ids = tuple(dict.fromkeys(s.run_id for s in of_build[build]))
        seen.append(BuildSeen(build, first, max(times) if times else None, ids))
    frontiers, bands = {}, {}
    for i, b in enumerate(seen):
        kept, _ = trusted(of_build[b.build], policy)
        if kept:
            frontiers[i] = frontier_of(kept, prices)
            by_run: dict[str, list[Sweep]] = {}
            for s in kept:
                by_run.setdefault(s.run_id, []).append(s)
            bands[i] = band([frontier_of(ss) for ss in by_run.values()])
    verdicts = {}
    for a, b in compare_pairs(len(seen), paired):
        base, cand = of_build[seen[a].build], of_build[seen[b].build]
        verdicts[a, b] = verdict_between(base, cand, list(group), policy, prices, runs)
    known = {s.run_id for s in group}
    return ConfigPage(
        config=config,
        builds=tuple(seen),
        sweeps=tuple(group),
        policy=policy,
        frontiers=frontiers,
        bands=bands,
        verdicts=verdicts,
        histories=(history(group, policy, by=BY_BUILD), history(group, policy, by=BY_DATE)),
        changes=tuple(changes),
        runs={r: runs[r] for r in known if r in runs},
    )


def build_site(
    engine: Engine,
    out: Path,
    *,
    config: str | None = None,
    title: str = "paretobot",
    stale_after: timedelta = STALE_AFTER,
    now: datetime | None = None,
    jobs: int | None = None,
) -> Built:
    """Write the site for every stored configuration (matching `config`) into `out`, with
    `jobs` processes (default: one per CPU) judging configurations side by side."""
    start = time.perf_counter()
    groups = grouped(engine, config)
    policy, prices, runs = load_policy(), load_prices(), runs_by_id(engine)
    by_config: dict[ConfigKey, list[Change]] = {}
    for c in triage.listing(engine):
        by_config.setdefault(c.config, []).append(c)
    times = [s.started_at for g in groups.values() for s in g if s.started_at is not None]
    facts = SiteFacts(
        title=title,
        generated=now or utc_now(),
        newest_run=max(times, default=None),
        stale_after=stale_after,
        changes=tuple(c for key, cs in by_config.items() if key in groups for c in cs),
        runs=runs,
    )
    writer = SiteWriter(out, facts)
    keys = list(groups)
    global _WORK
    _WORK = (writer, groups, keys, policy, prices, runs, by_config)
    # processes only where fork is how they start (Linux): elsewhere each would import and
    # receive everything again, for little gain on a small fleet
    workers = min(jobs or os.cpu_count() or 1, len(keys))
    try:
        if workers > 1 and sys.platform == "linux":
            done = _in_processes(len(keys), workers)
        else:
            done = [_one(i) for i in range(len(keys))]
        pages = writer.finish([row for row, _ in done])
    except BaseException:
        writer.abandon()
        raise
    finally:
        _WORK = None
    pairs = sum(n for _, n in done)
    return Built(out, len(groups), pages, pairs, time.perf_counter() - start)


# What the worker processes read: set before they are forked (copy-on-write, nothing pickled
# but an index), cleared after.
_WORK: Any = None


def _one(i: int) -> tuple[dict[str, Any], int]:
    """Configuration i judged and written: its overview row and how many pairs it compared."""
    writer, groups, keys, policy, prices, runs, by_config = _WORK
    key = keys[i]
    page = gather_config(
        key, groups[key], policy.for_config(key), prices, runs, by_config.get(key, [])
    )
    return writer.add(page), len(page.verdicts)


def _in_processes(n: int, workers: int) -> list[tuple[dict[str, Any], int]]:
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_one, range(n), chunksize=max(1, n // (workers * 8))))
