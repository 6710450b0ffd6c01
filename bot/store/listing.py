"""What is stored, counted by the database: one row per configuration and one per build, for
`paretobot configs` and `paretobot builds`. `load_sweeps` reads every point to answer this; on a
fleet's store that is seconds (benchmarks/listing.py), while these counts are one GROUP BY each."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.model import SWEEP_FAILED, Build, ConfigKey, as_utc
from bot.store.schema import (
    builds_table,
    configs_table,
    failures_table,
    points_table,
    runs_table,
    sweeps_table,
)


@dataclass(frozen=True)
class Tally:
    """What the store holds of one configuration or one build, over the runs analysis sees
    (excluded runs are counted apart, as `load_sweeps` leaves them out)."""

    builds: int  # distinct builds (of a build's own tally: 1)
    configurations: int  # distinct configurations (of a configuration's own tally: 1)
    runs: int
    sweeps: int
    points: int
    failed_sweeps: int  # sweeps with a failure record or that failed as a whole
    first_run: datetime | None  # the date of the run (else of the sweep) stored first and last
    last_run: datetime | None
    first_sweep: int  # the oldest and newest sweep's ids: storage order ("the latest build"
    last_sweep: int  # is the one stored most recently)


def _row_to(cls: type, row: Any) -> Any:
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


def _kept(query: sa.Select, excluded: bool = False) -> sa.Select:
    """Only sweeps of runs analysis sees (or, `excluded`, only those of excluded runs)."""
    r, s = runs_table, sweeps_table
    query = query.outerjoin(r, r.c.run_id == s.c.run_id)
    if excluded:
        return query.where(r.c.excluded == sa.true())
    return query.where(sa.or_(r.c.excluded.is_(None), r.c.excluded == sa.false()))


def _tallies(
    conn: Connection, by: sa.Column, config_ids: list[int] | None
) -> tuple[dict[int, Tally], dict[int, int]]:
    """Per value of `by` (a sweep's config_id or build_id): its tally, and its excluded runs."""
    s, p, f, r = sweeps_table, points_table, failures_table, runs_table

    def scoped(query: sa.Select) -> sa.Select:
        return query if config_ids is None else query.where(s.c.config_id.in_(config_ids))

    when = sa.func.coalesce(r.c.started_at, s.c.started_at)
    main = conn.execute(
        scoped(
            _kept(
                sa.select(
                    by,
                    sa.func.count(sa.distinct(s.c.build_id)),
                    sa.func.count(sa.distinct(s.c.config_id)),
                    sa.func.count(sa.distinct(s.c.run_id)),
                    sa.func.count(),
                    sa.func.min(when),
                    sa.func.max(when),
                    sa.func.min(s.c.id),
                    sa.func.max(s.c.id),
                ).select_from(s)
            )
        ).group_by(by)
    ).all()
    points = dict(
        conn.execute(
            scoped(_kept(sa.select(by, sa.func.count(p.c.id)).select_from(p.join(s))))
            .group_by(by)
        ).all()
    )  # fmt: skip
    failed_ids = sa.select(f.c.sweep_id)
    failed = dict(
        conn.execute(
            scoped(
                _kept(
                    sa.select(by, sa.func.count(sa.distinct(s.c.id)))
                    .select_from(s)
                    .where(sa.or_(s.c.status == SWEEP_FAILED, s.c.id.in_(failed_ids)))
                )
            ).group_by(by)
        ).all()
    )
    excluded = dict(
        conn.execute(
            scoped(
                _kept(
                    sa.select(by, sa.func.count(sa.distinct(s.c.run_id))).select_from(s),
                    excluded=True,
                )
            ).group_by(by)
        ).all()
    )
    tallies = {
        key: Tally(
            builds=n_builds,
            configurations=n_configs,
            runs=n_runs,
            sweeps=n_sweeps,
            points=points.get(key, 0),
            failed_sweeps=failed.get(key, 0),
            first_run=as_utc(first) if first else None,
            last_run=as_utc(last) if last else None,
            first_sweep=first_sweep,
            last_sweep=last_sweep,
        )
        for key, n_builds, n_configs, n_runs, n_sweeps, first, last, first_sweep, last_sweep in main
    }
    return tallies, excluded


def stored_configs(engine: Engine) -> list[tuple[int, ConfigKey]]:
    """Every configuration row (id, key), whether or not a run analysis sees measured it."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(configs_table).order_by(configs_table.c.id)).all()
    return [(row.id, _row_to(ConfigKey, row)) for row in rows]


def stored_builds(engine: Engine) -> list[tuple[int, Build]]:
    """Every build row (id, build), in the order first stored."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(builds_table).order_by(builds_table.c.id)).all()
    return [(row.id, _row_to(Build, row)) for row in rows]


def config_tallies(
    engine: Engine, config_ids: list[int] | None = None
) -> tuple[dict[int, Tally], dict[int, int], dict[int, int]]:
    """Per configuration id (all, or those given): its tally, its excluded runs, and the build
    id of its most recently stored sweep (its latest build)."""
    s = sweeps_table
    with engine.connect() as conn:
        tallies, excluded = _tallies(conn, s.c.config_id, config_ids)
        newest = [t.last_sweep for t in tallies.values()]
        # one IN list per 500 ids, so that no database's limit on bound values is reached
        latest: dict[int, int] = {}
        for start in range(0, len(newest), 500):
            chunk = newest[start : start + 500]
            query = sa.select(s.c.config_id, s.c.build_id).where(s.c.id.in_(chunk))
            latest.update((c, b) for c, b in conn.execute(query))
    return tallies, excluded, latest


def build_tallies(
    engine: Engine, config_ids: list[int] | None = None
) -> tuple[dict[int, Tally], dict[int, int]]:
    """Per build id: its tally over all configurations (or over those given), its excluded
    runs."""
    with engine.connect() as conn:
        return _tallies(conn, sweeps_table.c.build_id, config_ids)
