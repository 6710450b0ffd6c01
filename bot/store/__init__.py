"""The only code that talks to the database: append-only results through SQLAlchemy Core.

SQLite file by default (`paretobot.db`), any SQLAlchemy URL through PARETOBOT_DB. Each result
file is stored in one transaction or not at all; the same bytes are stored once (sha256); a point
that would replace a stored one is refused, never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.ingest import ParsedFile
from bot.model import SWEEP_FAILED, SWEEP_OK, Build, ConfigKey, Point, Sweep, as_utc, utc_now
from bot.store import migrate
from bot.store.engine import WRITE_TRIES, make_engine, writing
from bot.store.errors import StoreError, StoreUnavailable, first_line
from bot.store.provenance import store_provenance
from bot.store.runs import (
    Added,
    PointCopy,
    ensure_run,
    exclude_run,
    include_run,
    load_runs,
    point_copies,
    record_copy,
)
from bot.store.schema import (
    DEFAULT_URL,
    SCHEMA_VERSION,
    builds_table,
    configs_table,
    dispatches_table,
    failures_table,
    files_table,
    metadata,
    points_table,
    quarantine_table,
    run_stats_table,
    runs_table,
    sweeps_table,
)


@dataclass(frozen=True)
class Quarantined:
    path: str
    sha256: str | None
    reason: str
    at: datetime


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("PARETOBOT_DB") or DEFAULT_URL


def open_store(url: str | None = None) -> Engine:
    """Connect, create the schema on first use, migrate an older schema in place, and refuse a
    database of a newer (or unknown) schema version. A store that cannot be opened (corrupt,
    unwritable, unreachable, an empty file where a store was) is one StoreUnavailable line."""
    url = database_url(url)
    try:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        raise StoreError(f"not a database URL: {url!r:.80}") from None
    try:
        path = _sqlite_file(url)
        if path is not None:
            _new_sqlite_store(path, shown)
        return _prepare(make_engine(url), shown)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise StoreUnavailable(
            f"cannot open the store {shown}: {first_line(exc)} (`paretobot store check` says more)"
        ) from None


def _sqlite_file(url: str) -> Path | None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _new_sqlite_store(path: Path, shown: str) -> None:
    """A store that does not exist yet is built beside it and linked into place whole, so that no
    process ever sees it as an empty file: SQLite creates a 0-byte file on connect, which another
    process starting at the same moment could not tell from a store truncated to nothing. An
    empty file is therefore always refused: taken for a new database, it would silently start a
    fresh store where one was."""
    if path.is_file() and path.stat().st_size == 0:
        raise StoreUnavailable(
            f"the store {shown} is an empty file (0 bytes), not a paretobot store; remove it to "
            "start a new store there"
        )
    if path.exists():
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.new")
    try:
        engine = make_engine(f"sqlite:///{tmp}")
        _prepare(engine, shown)
        engine.dispose()
        with contextlib.suppress(FileExistsError):  # another process linked its store first
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


SCHEMA_LOCK = 0x7061726574  # PostgreSQL advisory lock: one process creates or migrates at a time


def _prepare(engine: Engine, shown: str = "") -> Engine:
    """Schema creation and migration, one process at a time: concurrent first uses of a new
    store raced to create the same tables ('table meta already exists')."""
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        version = migrate.stored_version(conn)
        if version is None:  # a new store: the current schema, at the newest revision
            metadata.create_all(conn)
            migrate.stamp(conn)
            migrate.set_version(conn)
            return engine
        if version == SCHEMA_VERSION and migrate.revision(conn) == migrate.HEAD:
            return engine  # the common case, without loading Alembic
        refused = migrate.unusable(conn)
        if refused:
            raise StoreError(f"the store {shown}: {refused}")
        migrate.upgrade(conn)
        migrate.set_version(conn)
    return engine


def _get_or_insert(
    conn: Connection, table: sa.Table, values: dict[str, Any], key: tuple[str, ...] = ()
) -> int:
    """The id of the row with these values (matched on `key` columns, or all), inserted if new."""
    where = sa.and_(*(table.c[k] == values[k] for k in key or values))
    found = conn.execute(sa.select(table.c.id).where(where)).scalar()
    if found is not None:
        return found
    return conn.execute(table.insert().values(**values)).inserted_primary_key[0]


def _config_values(config: ConfigKey) -> dict[str, Any]:
    values = {f.name: getattr(config, f.name) for f in fields(ConfigKey)}
    return {"canonical": config.canonical, "slug": config.slug, **values}


def _point_values(point: Point) -> dict[str, Any]:
    return {f.name: getattr(point, f.name) for f in fields(Point)}


def _sweep_id(conn: Connection, sweep: Sweep) -> tuple[int, bool]:
    """The sweep's row id, and whether it was stored before this file."""
    config_id = _get_or_insert(conn, configs_table, _config_values(sweep.config), ("canonical",))
    build_id = _get_or_insert(
        conn, builds_table, {f.name: getattr(sweep.build, f.name) for f in fields(Build)}
    )
    key = {"config_id": config_id, "build_id": build_id, "run_id": sweep.run_id}
    key["repeat"] = sweep.repeat
    found = conn.execute(
        sa.select(sweeps_table.c.id).where(
            sa.and_(*(sweeps_table.c[k] == v for k, v in key.items()))
        )
    ).scalar()
    if found is not None:
        return found, True
    row = key | {"status": sweep.status, "cause": sweep.cause, "started_at": sweep.started_at}
    return conn.execute(sweeps_table.insert().values(**row)).inserted_primary_key[0], False


def _refuse_replacing(conn: Connection, sweep_id: int, sweep: Sweep) -> None:
    stored = conn.execute(
        sa.select(points_table.c.concurrency, files_table.c.path)
        .join(files_table, files_table.c.id == points_table.c.file_id)
        .where(points_table.c.sweep_id == sweep_id)
    ).all()
    taken = {row.concurrency: row.path for row in stored}
    for point in sweep.points:
        if point.concurrency in taken:
            raise StoreError(
                f"run '{sweep.run_id}' repeat {sweep.repeat} already has concurrency "
                f"{point.concurrency} (from {taken[point.concurrency]}); results are append-only: "
                "give this file its own --run-id or --repeat"
            )


def _stored_file(conn: Connection, parsed: ParsedFile) -> Any:
    f = files_table
    return conn.execute(
        sa.select(f.c.id, f.c.path, f.c.run_id).where(
            f.c.sha256 == parsed.sha256, f.c.identity == parsed.identity
        )
    ).first()


def add_file(engine: Engine, parsed: ParsedFile) -> Added:
    """Store a parsed file in one transaction. The same bytes stored before under the same run
    are a duplicate; under another run, a copy (recorded, never counted as a new measurement).
    Points identical in every value to stored points of their configuration are copies too.
    What the database refuses of this file is a StoreError (the file's); the database failing
    is StoreUnavailable."""
    refused: sa.exc.SQLAlchemyError | None = None
    for attempt in range(WRITE_TRIES):
        try:
            return _add_file(engine, parsed)
        except sa.exc.IntegrityError as exc:
            # another process stored the same configuration, build, run or file between this
            # transaction's look and its insert: run it again, it now finds theirs. A conflict
            # within the file itself repeats every time and is the file's.
            refused = exc
            time.sleep(0.01 * (attempt + 1))
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(f"the store failed: {first_line(exc)}") from None
        except sa.exc.SQLAlchemyError as exc:  # DataError...: this file's values
            raise StoreError(f"the store refused it: {first_line(exc)}") from None
    assert refused is not None
    raise StoreError(f"the store refused it: {first_line(refused)}")


def _add_file(engine: Engine, parsed: ParsedFile) -> Added:
    with writing(engine) as conn:
        if parsed.provenance is not None:  # a runner record: facts about its run, no results
            return Added(store_provenance(conn, parsed))
        excluded_now = ensure_run(conn, parsed)
        same = _stored_file(conn, parsed)
        if same is not None:
            if same.run_id in (None, parsed.run_id):
                return Added("duplicate", excluded_now=excluded_now)
            return record_copy(conn, parsed, same.path, same.run_id, excluded_now)
        copies = point_copies(conn, parsed)
        kept = [s.with_points(tuple(p for p in s.points if (i, p.concurrency) not in copies))
                for i, s in enumerate(parsed.sweeps)]  # fmt: skip
        if copies and not any(s.points for s in kept) and not parsed.failed_points:
            first = next(iter(copies.values()))
            return record_copy(conn, parsed, first.of_path, first.of_run_id, excluded_now, copies)
        file_id = conn.execute(
            files_table.insert().values(
                sha256=parsed.sha256,
                path=str(parsed.path),
                format=parsed.format,
                ingested_at=utc_now(),
                run_id=parsed.run_id,
                identity=parsed.identity,
            )
        ).inserted_primary_key[0]
        sweep_ids: dict[tuple, int] = {}
        for sweep in kept:
            sweep_id, existed = _sweep_id(conn, sweep)
            sweep_ids[(sweep.config, sweep.build, sweep.run_id, sweep.repeat)] = sweep_id
            if parsed.failure is not None:
                conn.execute(
                    failures_table.insert().values(
                        sweep_id=sweep_id,
                        file_id=file_id,
                        cause=parsed.failure.cause,
                        concurrency=parsed.failure.concurrency,
                        message=parsed.failure.message,
                        log_tail=parsed.failure.log_tail,
                    )
                )
            if existed:  # a new sweep has no points yet: nothing to replace
                _refuse_replacing(conn, sweep_id, sweep)
            if not sweep.points:  # a failure record: no points to store
                continue
            conn.execute(
                points_table.insert(),
                [
                    {"sweep_id": sweep_id, "file_id": file_id, **_point_values(p)}
                    for p in sweep.points
                ],
            )
        for down in parsed.failed_points:
            conn.execute(
                failures_table.insert().values(
                    sweep_id=sweep_ids[(down.config, down.build, down.run_id, down.repeat)],
                    file_id=file_id,
                    cause=down.cause,
                    concurrency=down.concurrency,
                    message=down.message,
                    log_tail="",
                )
            )
        for stat in parsed.run_stats:
            conn.execute(
                run_stats_table.insert().values(
                    file_id=file_id,
                    run_id=parsed.run_id,
                    hardware=stat.hardware,
                    succeeded=stat.succeeded,
                    total=stat.total,
                )
            )
        if copies:
            record_copy(conn, parsed, "", "", excluded_now, copies, whole=False)
    return Added("stored", excluded_now=excluded_now, point_copies=tuple(copies.values()))


def quarantine(engine: Engine, path: str, sha256: str | None, reason: str) -> None:
    with writing(engine) as conn:
        conn.execute(
            quarantine_table.insert().values(path=path, sha256=sha256, reason=reason, at=utc_now())
        )


def quarantined(engine: Engine) -> list[Quarantined]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(quarantine_table).order_by(quarantine_table.c.id)).all()
    return [Quarantined(r.path, r.sha256, r.reason, r.at) for r in rows]


def _row_to(cls: type, row: Any, prefix: str = "") -> Any:
    return cls(**{f.name: getattr(row, prefix + f.name) for f in fields(cls)})


def load_sweeps(
    engine: Engine,
    *,
    config_pattern: str | None = None,
    config: ConfigKey | None = None,
    include_excluded: bool = False,
) -> list[Sweep]:
    """Every stored sweep (in the order it was first stored), optionally of the configurations a
    pattern matches or of exactly one `config`. Sweeps of excluded runs (`paretobot runs
    exclude`) are left out unless asked for, so no frontier, comparison, history or noise
    estimate ever sees them."""
    c, b, s, p, r = configs_table, builds_table, sweeps_table, points_table, runs_table
    cols = [s.c.id.label("sweep_pk"), s.c.run_id, s.c.repeat, s.c.status, s.c.cause, s.c.started_at]
    cols += [c.c[f.name].label("c_" + f.name) for f in fields(ConfigKey)]
    cols += [b.c[f.name].label("b_" + f.name) for f in fields(Build)]
    query = sa.select(*cols).join(c, c.c.id == s.c.config_id).join(b, b.c.id == s.c.build_id)
    if not include_excluded:
        query = query.outerjoin(r, r.c.run_id == s.c.run_id).where(
            sa.or_(r.c.excluded.is_(None), r.c.excluded == sa.false())
        )
    points_query = sa.select(p).order_by(p.c.sweep_id, p.c.concurrency)
    failures_query = sa.select(failures_table).order_by(failures_table.c.id)
    with engine.connect() as conn:
        if config_pattern or config is not None:
            # the pattern is matched on the (few) configurations, and only their sweeps and
            # points are read, not every point in the store
            wanted = [
                row.id
                for row in conn.execute(sa.select(c)).all()
                if (config is None or row.canonical == config.canonical)
                and (not config_pattern or _row_to(ConfigKey, row).matches(config_pattern))
            ]
            if not wanted:
                return []
            query = query.where(s.c.config_id.in_(wanted))
            theirs = sa.select(s.c.id).where(s.c.config_id.in_(wanted))
            points_query = points_query.where(p.c.sweep_id.in_(theirs))
            failures_query = failures_query.where(failures_table.c.sweep_id.in_(theirs))
        sweep_rows = conn.execute(query.order_by(s.c.id)).all()
        point_rows = conn.execute(points_query).all()
        failure_rows = conn.execute(failures_query).all()
    points: dict[int, list[Point]] = defaultdict(list)
    for row in point_rows:
        points[row.sweep_id].append(_row_to(Point, row))
    failures: dict[int, list[Any]] = defaultdict(list)
    for row in failure_rows:  # a failure recorded after the points still fails the sweep
        failures[row.sweep_id].append(row)
    sweeps = []
    for row in sweep_rows:
        config = _row_to(ConfigKey, row, "c_")
        started = as_utc(row.started_at) if row.started_at else None
        failed = failures[row.sweep_pk]
        measured = tuple(points[row.sweep_pk])
        sweeps.append(
            Sweep(
                config=config,
                build=_row_to(Build, row, "b_"),
                run_id=row.run_id,
                points=measured,
                repeat=row.repeat,
                # failed concurrencies beside measured points leave the sweep ok (failed_at
                # lists them); a sweep with no point at all failed
                status=SWEEP_FAILED
                if not measured and (failed or row.status == SWEEP_FAILED)
                else SWEEP_OK,
                cause=", ".join(dict.fromkeys(f.cause for f in failed)) or row.cause,
                started_at=started,
                failed_at=tuple(sorted({f.concurrency for f in failed if f.concurrency})),
            )
        )
    return sweeps


def count_rows(engine: Engine, tables: Iterable[str] = ("files", "sweeps", "points")) -> dict:
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[t])).scalar()
            for t in tables
        }


# The watcher's memory lives beside the results, on the same engine; callers use `store.X`.
from bot.store.ledger import (  # noqa: E402
    cursor,
    dispatch_state,
    finish_event,
    is_handled,
    jobs_dispatched_since,
    load_bisections,
    mark_sent,
    record_dispatch,
    save_bisection,
)

__all__ = [
    "DEFAULT_URL",
    "SCHEMA_VERSION",
    "Added",
    "PointCopy",
    "Quarantined",
    "StoreError",
    "StoreUnavailable",
    "add_file",
    "count_rows",
    "cursor",
    "database_url",
    "dispatch_state",
    "dispatches_table",
    "exclude_run",
    "finish_event",
    "include_run",
    "is_handled",
    "jobs_dispatched_since",
    "load_bisections",
    "load_runs",
    "load_sweeps",
    "mark_sent",
    "open_store",
    "quarantine",
    "quarantined",
    "record_dispatch",
    "save_bisection",
]
