"""Runs and their triage state: when a run happened, whether it is excluded, what it copied."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.ingest import ParsedFile
from bot.model import Build, ConfigKey, JobStats, Point, Run, as_utc, utc_now
from bot.store.engine import writing
from bot.store.errors import StoreError
from bot.store.provenance import load_provenance
from bot.store.schema import (
    builds_table,
    configs_table,
    copies_table,
    files_table,
    points_table,
    run_stats_table,
    runs_table,
    sweeps_table,
)


@dataclass(frozen=True)
class PointCopy:
    """A point identical in every value to a stored point of its configuration."""

    config: str  # slug
    concurrency: int
    of_path: str
    of_run_id: str


@dataclass(frozen=True)
class Added:
    """What storing a file did: "stored", "duplicate" (these bytes, this run, before) or "copy"
    (these bytes, or every one of its points, stored before under another run or file)."""

    status: str
    copy_of: str = ""
    copy_run: str = ""
    excluded_now: bool = False  # this file created its run, excluded (a faulty folder)
    point_copies: tuple[PointCopy, ...] = ()

    def __bool__(self) -> bool:
        return self.status == "stored"


def ensure_run(conn: Connection, parsed: ParsedFile) -> bool:
    """The run's row, created on its first file (excluded if its folder marks it faulty). True
    when this call created it excluded."""
    r = runs_table
    # a file of several runs (paretobot's own export): each other run gets its row too, dated by
    # its sweeps, so `paretobot runs` lists it and `runs exclude` can name it
    others = {s.run_id: s.started_at for s in parsed.sweeps if s.run_id != parsed.run_id}
    for run_id, started in others.items():
        if conn.execute(sa.select(r.c.run_id).where(r.c.run_id == run_id)).first() is None:
            conn.execute(
                r.insert().values(
                    run_id=run_id,
                    started_at=started,
                    date_source="export" if started else "",
                    updated_at=utc_now(),
                )
            )
    row = conn.execute(sa.select(r).where(r.c.run_id == parsed.run_id)).first()
    run = parsed.run
    started, source = (run.started_at, run.date_source) if run else (None, "")
    if row is None:
        conn.execute(
            r.insert().values(
                run_id=parsed.run_id,
                started_at=started,
                date_source=source,
                excluded=bool(parsed.faulty),
                exclude_reason=parsed.faulty,
                updated_at=utc_now(),
            )
        )
        return bool(parsed.faulty)
    if row.started_at is None and started is not None:
        conn.execute(
            r.update()
            .where(r.c.run_id == parsed.run_id)
            .values(started_at=started, date_source=source)
        )
    return False


def _values(point: Point) -> tuple:
    return tuple(getattr(point, f.name) for f in fields(Point))


IN_CHUNK = 500  # concurrencies per IN list: SQLite limits the parameters of one statement


def point_copies(conn: Connection, parsed: ParsedFile) -> dict[tuple[int, int], PointCopy]:
    """The file's points that repeat, value for value, a stored point of the same configuration
    and build from another run, or from the same run and repeat (where it would otherwise clash);
    the same numbers given as another build or another repeat are what the user says they are.
    Keyed by (index of the sweep in the file, concurrency): a sweep of 100k points hashes in
    time proportional to its points, once per lookup would be quadratic."""
    found: dict[tuple[int, int], PointCopy] = {}
    p, s, f, c, b = points_table, sweeps_table, files_table, configs_table, builds_table
    for index, sweep in enumerate(parsed.sweeps):
        if not sweep.points:
            continue
        stored = defaultdict(list)
        concurrencies = sorted({pt.concurrency for pt in sweep.points})
        for at in range(0, len(concurrencies), IN_CHUNK):
            rows = conn.execute(
                sa.select(
                    p, f.c.path.label("of_path"), s.c.run_id.label("of_run"),
                    s.c.repeat.label("rep"),
                )
                .join(s, s.c.id == p.c.sweep_id)
                .join(c, c.c.id == s.c.config_id)
                .join(f, f.c.id == p.c.file_id)
                .join(b, b.c.id == s.c.build_id)
                .where(c.c.canonical == sweep.config.canonical)
                .where(*(b.c[k.name] == getattr(sweep.build, k.name) for k in fields(Build)))
                .where(p.c.concurrency.in_(concurrencies[at : at + IN_CHUNK]))
            ).all()  # fmt: skip
            for row in rows:
                stored[row.concurrency].append(row)
        for point in sweep.points:
            mine = _values(point)
            for row in stored[point.concurrency]:
                if row.of_run == sweep.run_id and row.rep != sweep.repeat:
                    continue  # a repeat the user named as such is the user's claim
                if tuple(getattr(row, fl.name) for fl in fields(Point)) == mine:
                    found[(index, point.concurrency)] = PointCopy(
                        sweep.config.slug, point.concurrency, row.of_path, row.of_run
                    )
                    break
    return found


def record_copy(
    conn: Connection,
    parsed: ParsedFile,
    of_path: str,
    of_run: str,
    excluded_now: bool,
    copies: dict[tuple[int, int], PointCopy] | None = None,
    *,
    whole: bool = True,
) -> Added:
    """Record a copied file (whole) or the copied points of a stored file."""
    cp = copies_table
    if whole:
        seen = conn.execute(
            sa.select(cp.c.id).where(
                cp.c.sha256 == parsed.sha256, cp.c.run_id == parsed.run_id, cp.c.kind == "file"
            )
        ).first()
        if seen is not None:
            return Added("duplicate", excluded_now=excluded_now)
    now = utc_now()
    rows = [
        {
            "sha256": parsed.sha256, "path": str(parsed.path), "run_id": parsed.run_id,
            "kind": "point", "config": c.config, "concurrency": c.concurrency,
            "of_path": c.of_path, "of_run_id": c.of_run_id, "at": now,
        }
        for c in (copies or {}).values()
    ]  # fmt: skip
    if whole:
        rows.append(
            {
                "sha256": parsed.sha256, "path": str(parsed.path), "run_id": parsed.run_id,
                "kind": "file", "config": None, "concurrency": None,
                "of_path": of_path, "of_run_id": of_run, "at": now,
            }
        )  # fmt: skip
    conn.execute(cp.insert(), rows)
    return Added("copy", of_path, of_run, excluded_now, tuple((copies or {}).values()))


def _measured(conn: Connection) -> dict[str, list[tuple[ConfigKey, Build]]]:
    """Each run's (configuration, build) pairs, in the order they were first stored."""
    s, c, b = sweeps_table, configs_table, builds_table
    rows = conn.execute(
        sa.select(
            s.c.run_id,
            *(c.c[f.name].label("c_" + f.name) for f in fields(ConfigKey)),
            *(b.c[f.name] for f in fields(Build)),
        )
        .join(c, c.c.id == s.c.config_id)
        .join(b, b.c.id == s.c.build_id)
        .order_by(s.c.id)
    ).all()
    found: dict[str, list[tuple[ConfigKey, Build]]] = defaultdict(list)
    for row in rows:
        config = ConfigKey(**{f.name: getattr(row, "c_" + f.name) for f in fields(ConfigKey)})
        pair = (config, Build(**{f.name: getattr(row, f.name) for f in fields(Build)}))
        if pair not in found[row.run_id]:
            found[row.run_id].append(pair)
    return found


def load_runs(engine: Engine) -> list[Run]:
    """Every run, oldest first (undated last), with its job health, copies, what it measured and
    its provenance (where a runner record was ingested)."""
    r, rs, cp = runs_table, run_stats_table, copies_table
    with engine.connect() as conn:
        measured = _measured(conn)
        provenance = load_provenance(conn)
        rows = conn.execute(sa.select(r)).all()
        stats = conn.execute(
            sa.select(
                rs.c.run_id, rs.c.hardware, sa.func.sum(rs.c.succeeded), sa.func.sum(rs.c.total)
            )
            .group_by(rs.c.run_id, rs.c.hardware)
            .order_by(rs.c.run_id, rs.c.hardware)
        ).all()
        copies = conn.execute(
            sa.select(cp.c.run_id, cp.c.path).where(cp.c.kind == "file").order_by(cp.c.id)
        ).all()
    jobs: dict[str, list[JobStats]] = defaultdict(list)
    for run_id, hardware, succeeded, total in stats:
        if total:
            jobs[run_id].append(JobStats(hardware, int(succeeded), int(total)))
    copied: dict[str, list[str]] = defaultdict(list)
    for run_id, path in copies:
        copied[run_id].append(path)
    runs = [
        Run(
            run_id=row.run_id,
            started_at=as_utc(row.started_at) if row.started_at else None,
            date_source=row.date_source,
            excluded=bool(row.excluded),
            exclude_reason=row.exclude_reason,
            jobs=tuple(jobs[row.run_id]),
            copies=tuple(dict.fromkeys(copied[row.run_id])),
            measured=tuple(measured[row.run_id]),
            **provenance.get(row.run_id, {}),
        )
        for row in rows
    ]
    return sorted(runs, key=lambda x: (x.started_at is None, x.started_at or 0, x.run_id))


def _set_excluded(engine: Engine, run_id: str, excluded: bool, reason: str) -> None:
    r = runs_table
    with writing(engine) as conn:
        done = conn.execute(
            r.update()
            .where(r.c.run_id == run_id)
            .values(excluded=excluded, exclude_reason=reason, updated_at=utc_now())
        )
        if done.rowcount == 0:
            raise StoreError(f"no run '{run_id}' is stored; `paretobot runs` lists them")


def exclude_run(engine: Engine, run_id: str, reason: str) -> None:
    """Leave a run out of every analysis (its data stays stored)."""
    if not reason.strip():
        raise StoreError("give a reason for excluding a run")
    _set_excluded(engine, run_id, True, reason.strip())


def include_run(engine: Engine, run_id: str) -> None:
    """Take an excluded run back into analysis."""
    _set_excluded(engine, run_id, False, "")
