"""`paretobot store check`: what is wrong with a store, read without changing it.

Opening a store for work creates, migrates and writes it; a check must not. SQLite is opened
read-only (a missing file is reported, not created), PostgreSQL in a transaction that is rolled
back. Each finding is one line a maintainer can act on; an error means paretobot cannot use the
store as it is, a warning that it can but something in it deserves a look.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.model import Point
from bot.store import migrate
from bot.store.errors import first_line
from bot.store.schema import SCHEMA_VERSION, metadata

OK, WARNING, ERROR = "ok", "warning", "error"
SQLITE_HEADER = b"SQLite format 3\x00"
# a point's numbers: a non-finite one was stored by a version that did not refuse it (an
# interactivity of Inf from a TPOT of 1e-320) and would turn a comparison into inf
_NUMBERS = tuple(f.name for f in fields(Point) if str(f.type).startswith("float"))
# rows that must point at a row of another table: (table, column, referenced table)
_REFERENCES = (
    ("points", "sweep_id", "sweeps"),
    ("points", "file_id", "files"),
    ("failures", "sweep_id", "sweeps"),
    ("failures", "file_id", "files"),
    ("sweeps", "config_id", "configs"),
    ("sweeps", "build_id", "builds"),
    ("run_stats", "file_id", "files"),
)


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warning | error
    topic: str  # what was checked: file, schema, integrity, references, values, contents, access
    text: str


def check_store(url: str) -> list[Finding]:
    """Every finding about the store at `url`, in the order they were checked. Nothing in the
    store is created or changed."""
    parsed = sa.engine.make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    findings: list[Finding] = []
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:"):
            return [Finding(ERROR, "file", f"{shown} is an in-memory database: nothing to check")]
        problem = _sqlite_file(Path(path))
        if problem is not None:
            return [problem]
        findings.append(_sqlite_access(Path(path)))
        engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    else:
        engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            findings += _checks(conn)
            if conn.in_transaction():
                conn.rollback()
    except sa.exc.SQLAlchemyError as exc:  # an SQLite file with a right header: damaged
        topic = "integrity" if parsed.get_backend_name() == "sqlite" else "access"
        findings.append(Finding(ERROR, topic, f"cannot read {shown}: {first_line(exc)}"))
    finally:
        engine.dispose()
    return findings


def _sqlite_file(path: Path) -> Finding | None:
    if not path.exists():
        return Finding(ERROR, "file", f"no store at {path} (a first `paretobot ingest` makes one)")
    if not path.is_file():
        return Finding(ERROR, "file", f"{path} is not a file")
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        return Finding(ERROR, "file", f"cannot read {path}: {exc.strerror or exc}")
    if not head:
        return Finding(ERROR, "file", f"{path} is empty (0 bytes): not a store")
    if head != SQLITE_HEADER:
        return Finding(ERROR, "file", f"{path} is not an SQLite database (its header is wrong)")
    return None


def _sqlite_access(path: Path) -> Finding:
    """Writers need the file and its folder (SQLite writes a journal beside it)."""
    if not os.access(path, os.W_OK):
        return Finding(ERROR, "access", f"{path} is read-only: ingest cannot write to it")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return Finding(
            ERROR, "access", f"the folder of {path} is read-only: SQLite cannot write its journal"
        )
    return Finding(OK, "access", "the file and its folder are writable")


def _checks(conn: Connection) -> list[Finding]:
    findings = []
    if conn.dialect.name == "sqlite":
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check").all()]
        if rows != ["ok"]:
            shown = "; ".join(str(r) for r in rows[:3])
            return [Finding(ERROR, "integrity", f"the database file is damaged: {shown}")]
        findings.append(Finding(OK, "integrity", "SQLite's quick_check found nothing wrong"))
    schema = _schema(conn)
    findings += schema
    if any(f.level == ERROR for f in schema):
        return findings
    findings += _references(conn)
    findings += _values(conn)
    findings.append(_contents(conn))
    return findings


def _schema(conn: Connection) -> list[Finding]:
    inspector = sa.inspect(conn)
    if not inspector.has_table("meta"):
        tables = inspector.get_table_names()
        if not tables:
            return [Finding(ERROR, "schema", "an empty database, not yet a paretobot store")]
        return [Finding(ERROR, "schema", f"not a paretobot store: no meta table ({len(tables)} "
                        "other tables)")]  # fmt: skip
    version = migrate.stored_version(conn)
    revision = migrate.revision(conn)
    if version is None:
        return [Finding(ERROR, "schema", "the meta table states no schema version")]
    refused = migrate.unusable(conn)  # what open_store would refuse it for
    if refused:
        return [Finding(ERROR, "schema", refused)]
    known = migrate.known_revisions()
    if version < SCHEMA_VERSION or revision != migrate.HEAD:
        steps = known[known.index(revision) + 1 :] if revision else known
        return [Finding(WARNING, "schema", f"schema version {version} (revision "
                        f"{revision or 'none: made before Alembic'}); the next paretobot command "
                        f"that opens it migrates it in place ({', '.join(steps)})")]  # fmt: skip
    findings = [Finding(OK, "schema", f"schema version {version}, revision {revision}")]
    missing = []
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            missing.append(table.name)
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in present]
    if missing:
        findings.append(Finding(ERROR, "schema", f"missing from the schema: {', '.join(missing)}"))
    return findings


def _count(conn: Connection, sql: str) -> int:
    return int(conn.execute(sa.text(sql)).scalar() or 0)


def _references(conn: Connection) -> list[Finding]:
    broken = []
    for table, column, target in _REFERENCES:
        n = _count(
            conn,
            f"SELECT count(*) FROM {table} t LEFT JOIN {target} r ON r.id = t.{column} "
            f"WHERE r.id IS NULL",
        )
        if n:
            broken.append(f"{n} {table} row(s) name a missing {target} row ({column})")
    if broken:
        return [Finding(ERROR, "references", "; ".join(broken))]
    return [Finding(OK, "references", "every row's references resolve")]


def _values(conn: Connection) -> list[Finding]:
    """Non-finite numbers, stored before ingest refused them."""
    bad = []
    for column in _NUMBERS:
        if conn.dialect.name == "postgresql":  # where NaN = NaN
            test = f"{column} IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)"
        else:  # SQLite stores NaN as NULL; an infinity is beyond the largest double
            test = f"{column} > 1.7976931348623157e308 OR {column} < -1.7976931348623157e308"
        n = _count(conn, f"SELECT count(*) FROM points WHERE {test}")
        if n:
            bad.append(f"{n} point(s) with a non-finite {column}")
    if bad:
        return [Finding(WARNING, "values", "; ".join(bad) + " (stored by an older paretobot; "
                        "exclude their runs with `paretobot runs exclude`)")]  # fmt: skip
    return [Finding(OK, "values", "every stored number is finite")]


def _contents(conn: Connection) -> Finding:
    counts: dict[str, Any] = {
        t: _count(conn, f"SELECT count(*) FROM {t}")
        for t in ("configs", "builds", "runs", "files", "sweeps", "points", "quarantine")
    }
    excluded = _count(conn, "SELECT count(*) FROM runs WHERE excluded")
    text = ", ".join(f"{n} {t}" for t, n in counts.items())
    return Finding(OK, "contents", f"{text}; {excluded} run(s) excluded")
