"""Retention's rows: how old each run is, and the one way results leave the store (`delete_runs`,
called by `paretobot prune` for runs nothing refers to). The store is append-only otherwise."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.model import Build, ConfigKey, as_utc
from bot.store.engine import writing
from bot.store.schema import (
    copies_table,
    failures_table,
    files_table,
    points_table,
    provenance_table,
    run_stats_table,
    runs_table,
    sweeps_table,
)

_CHUNK = 500  # ids per IN (...) list: SQLite's bound-parameter limit is far above, not unbounded


def run_times(engine: Engine) -> dict[str, datetime | None]:
    """Each run's time: when it started, else when its first file was stored (a run whose
    files give no date is as old as our knowledge of it)."""
    r, f = runs_table, files_table
    with engine.connect() as conn:
        started = {row.run_id: row.started_at for row in conn.execute(sa.select(r))}
        stored = conn.execute(
            sa.select(f.c.run_id, sa.func.min(f.c.ingested_at)).group_by(f.c.run_id)
        ).all()
    first = {run_id: at for run_id, at in stored if run_id is not None}
    out = {}
    for run_id in started.keys() | first.keys():
        at = started.get(run_id) or first.get(run_id)
        out[run_id] = None if at is None else as_utc(at)
    return out


def measured(
    engine: Engine,
) -> tuple[dict[str, set[tuple[ConfigKey, Build]]], dict[ConfigKey, Build]]:
    """What each run measured (configuration, build), and each configuration's latest build (of
    its most recently stored sweep, as `select.latest_build`), excluded runs included: read from
    the sweeps alone, not their points."""
    from bot.store.listing import stored_builds, stored_configs

    configs, builds = dict(stored_configs(engine)), dict(stored_builds(engine))
    s = sweeps_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(s.c.run_id, s.c.config_id, s.c.build_id).order_by(s.c.id))
        by_run: dict[str, set[tuple[ConfigKey, Build]]] = defaultdict(set)
        latest: dict[ConfigKey, Build] = {}
        for run_id, config_id, build_id in rows:
            pair = configs[config_id], builds[build_id]
            by_run[run_id].add(pair)
            latest[pair[0]] = pair[1]
    return by_run, latest


def _chunks(ids: list) -> list[list]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def _count(conn: Connection, table: sa.Table, column: sa.Column, ids: list) -> int:
    return sum(
        conn.execute(sa.select(sa.func.count()).select_from(table).where(column.in_(c))).scalar()
        or 0
        for c in _chunks(ids)
    )


def delete_runs(engine: Engine, run_ids: Collection[str], *, dry_run: bool) -> dict[str, int]:
    """Every row of these runs (points, failure records, sweeps, job stats, runner records,
    copies, files, the run) in one transaction: all or nothing. Returns the rows per table; with
    `dry_run`, the rows it would delete, and nothing is deleted."""
    ids = sorted(run_ids)
    counts = dict.fromkeys(
        ("runs", "files", "sweeps", "points", "failures", "run_stats", "provenance", "copies"), 0
    )
    if not ids:
        return counts
    s, p, fl = sweeps_table, points_table, failures_table
    with writing(engine) as conn:
        sweep_ids = [
            row.id
            for c in _chunks(ids)
            for row in conn.execute(sa.select(s.c.id).where(s.c.run_id.in_(c)))
        ]
        counts["points"] = _count(conn, p, p.c.sweep_id, sweep_ids)
        counts["failures"] = _count(conn, fl, fl.c.sweep_id, sweep_ids)
        counts["sweeps"] = len(sweep_ids)
        for name, table in (
            ("run_stats", run_stats_table),
            ("provenance", provenance_table),
            ("copies", copies_table),
            ("files", files_table),
            ("runs", runs_table),
        ):
            counts[name] = _count(conn, table, table.c.run_id, ids)
        if dry_run:
            conn.rollback()
            return counts
        for c in _chunks(sweep_ids):
            conn.execute(p.delete().where(p.c.sweep_id.in_(c)))
            conn.execute(fl.delete().where(fl.c.sweep_id.in_(c)))
            conn.execute(s.delete().where(s.c.id.in_(c)))
        for table in (run_stats_table, provenance_table, copies_table, runs_table):
            for c in _chunks(ids):
                conn.execute(table.delete().where(table.c.run_id.in_(c)))
        f = files_table
        used = sa.union(  # a file some kept row still names stays (none should; never dangling)
            sa.select(p.c.file_id), sa.select(fl.c.file_id), sa.select(run_stats_table.c.file_id)
        )
        for c in _chunks(ids):
            conn.execute(f.delete().where(f.c.run_id.in_(c) & f.c.id.not_in(used)))
    return counts
