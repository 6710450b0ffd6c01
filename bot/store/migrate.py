"""Schema migrations: a store of an older version is brought up to this one when it is opened.

From schema version 5 on, each step is an Alembic revision in bot/store/migrations/versions/
(`upgrade` runs them). The steps below (versions 1 to 4) predate Alembic; its first revision,
"0004", runs them for a store that has no Alembic revision yet:

Version 1 -> 2: `files` gains `run_id` and `identity` (same bytes may be two failure records of two
configurations, so sha256 alone is no longer unique); new tables `runs` and `copies` (created by
`create_all`); columns added to the model since (e.g. a point's `interactivity_source`); slugs of
trace-replay configurations spell their lengths `trace` instead of `0x0`.
Version 2 -> 3: the `provenance` table (a run's CI link, runner, host, job and build).
Version 3 -> 4: provenance's requested, reported and installed commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.model import ConfigKey
from bot.store.schema import (
    SCHEMA_VERSION,
    configs_table,
    failures_table,
    files_table,
    meta_table,
    metadata,
    points_table,
    provenance_table,
    run_stats_table,
    runs_table,
    sweeps_table,
)


def _add_missing_columns(conn: Connection) -> None:
    inspector = sa.inspect(conn)
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            sql_type = column.type.compile(dialect=conn.dialect)
            default = ""
            if column.server_default is not None:
                value = column.server_default.arg
                default = (
                    f" DEFAULT {value.compile(dialect=conn.dialect)}"
                    if isinstance(value, sa.sql.ClauseElement)
                    else f" DEFAULT '{value}'"
                )
                default += " NOT NULL"
            conn.execute(
                sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {sql_type}{default}')
            )


def rebuild_sqlite_table(
    conn: Connection, table: sa.Table, sources: Mapping[str, str] | None = None
) -> None:
    """SQLite cannot drop a constraint: the table is made again as `table` says and its rows
    copied (`sources`: column -> SQL expression over the old table, default every column of
    `table` by name). Other tables' references to it stay (legacy_alter_table), ids too."""
    old = f"{table.name}_old"
    sources = sources or {c.name: f'"{c.name}"' for c in table.columns}
    conn.exec_driver_sql("PRAGMA legacy_alter_table=ON")
    conn.exec_driver_sql(f"ALTER TABLE {table.name} RENAME TO {old}")
    for index in sa.inspect(conn).get_indexes(old):  # index names are the database's, not a table's
        conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{index["name"]}"')
    table.create(conn)
    columns = ", ".join(f'"{name}"' for name in sources)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({columns}) SELECT {', '.join(sources.values())} FROM {old}"
    )
    conn.exec_driver_sql(f"DROP TABLE {old}")
    conn.exec_driver_sql("PRAGMA legacy_alter_table=OFF")


def _files_unique_on_sha256_and_identity(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        names = ("id", "sha256", "path", "format", "ingested_at")
        rebuild_sqlite_table(conn, files_table, {**{n: n for n in names}, "identity": "''"})
        return
    _add_missing_columns(conn)
    for unique in sa.inspect(conn).get_unique_constraints("files"):
        if unique["column_names"] == ["sha256"]:
            conn.execute(sa.text(f'ALTER TABLE files DROP CONSTRAINT "{unique["name"]}"'))
    conn.execute(
        sa.text(
            "ALTER TABLE files ADD CONSTRAINT uq_files_sha256_identity UNIQUE (sha256, identity)"
        )
    )
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_files_sha256 ON files (sha256)"))


def _trace_slugs(conn: Connection) -> None:
    c = configs_table
    rows = conn.execute(sa.select(c).where(c.c.isl == 0, c.c.osl == 0)).all()
    for row in rows:
        config = ConfigKey(**{f.name: getattr(row, f.name) for f in fields(ConfigKey)})
        conn.execute(c.update().where(c.c.id == row.id).values(slug=config.slug))


def _file_runs(conn: Connection) -> None:
    """Each stored file's run, from the sweeps its points or failures joined, or its run_stats."""
    f, s = files_table, sweeps_table
    for holder in (points_table, failures_table):
        pairs = conn.execute(
            sa.select(holder.c.file_id, s.c.run_id).join(s, s.c.id == holder.c.sweep_id).distinct()
        ).all()
        for file_id, run_id in pairs:
            conn.execute(f.update().where(f.c.id == file_id).values(run_id=run_id))
    for file_id, run_id in conn.execute(
        sa.select(run_stats_table.c.file_id, run_stats_table.c.run_id).distinct()
    ).all():
        conn.execute(f.update().where(f.c.id == file_id).values(run_id=run_id))
    known = set(conn.execute(sa.select(runs_table.c.run_id)).scalars())
    for run_id in sorted(set(conn.execute(sa.select(f.c.run_id).distinct()).scalars()) - known):
        if run_id is not None:
            conn.execute(runs_table.insert().values(run_id=run_id, date_source=""))
    for run_id in sorted(set(conn.execute(sa.select(s.c.run_id).distinct()).scalars()) - known):
        if not conn.execute(
            sa.select(runs_table.c.run_id).where(runs_table.c.run_id == run_id)
        ).first():
            conn.execute(runs_table.insert().values(run_id=run_id, date_source=""))


def migrate_1_to_2(conn: Connection) -> None:
    _files_unique_on_sha256_and_identity(conn)
    _add_missing_columns(conn)
    _trace_slugs(conn)
    _file_runs(conn)


def migrate_2_to_3(conn: Connection) -> None:
    """Version 2 -> 3: the `provenance` table (a run's runner record); nothing stored changes, and
    runner records left out before (ingest skipped paretobot-run.json) go in when re-ingested."""
    provenance_table.create(conn, checkfirst=True)
    _add_missing_columns(conn)


def migrate_3_to_4(conn: Connection) -> None:
    """Version 3 -> 4: provenance keeps the requested, reported and installed commits (empty for
    the records stored before)."""
    _add_missing_columns(conn)


LEGACY = {1: migrate_1_to_2, 2: migrate_2_to_3, 3: migrate_3_to_4}  # version N to N + 1
HEAD = "0006"  # the newest revision in migrations/versions (a test checks it is Alembic's head)
LEGACY_VERSION = 4  # the schema version revision 0004 leaves


def stored_version(conn: Connection) -> int | None:
    """The schema version the store's meta row states (None: no meta table or row)."""
    if not sa.inspect(conn).has_table("meta"):
        return None
    found = conn.execute(
        sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")
    ).scalar()
    return None if found is None else int(found)


def set_version(conn: Connection) -> None:
    """The meta row an older paretobot reads to refuse this store (it knows no Alembic)."""
    m = meta_table
    if stored_version(conn) is None:
        conn.execute(m.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
    else:
        conn.execute(
            m.update().where(m.c.key == "schema_version").values(value=str(SCHEMA_VERSION))
        )


def unusable(conn: Connection) -> str | None:
    """Why this paretobot can neither use nor migrate the store (one made by a newer one, or of
    a version it never knew), else None. `open_store` refuses with it, `store check` reports it."""
    version, found = stored_version(conn), revision(conn)
    if version is not None and version > SCHEMA_VERSION:
        return (
            f"schema version {version} is newer than this paretobot reads ({SCHEMA_VERSION}): "
            "upgrade paretobot"
        )
    if found is not None and found != HEAD and found not in known_revisions():
        return f"migration revision {found} is unknown to this paretobot (made by a newer one?)"
    if version is not None and version < LEGACY_VERSION and version not in LEGACY:
        return f"unknown schema version {version}"
    return None


def revision(conn: Connection) -> str | None:
    """The store's Alembic revision, None before its first (a store made before Alembic)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_legacy(conn: Connection) -> None:
    """Alembic revision 0004: a store of version 1-4 brought to version 4 in place."""
    metadata.create_all(conn, tables=[t for t in metadata.sorted_tables if t.name != "configs"])
    version = stored_version(conn) or LEGACY_VERSION
    while version < LEGACY_VERSION:
        LEGACY[version](conn)
        version += 1


def _config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.attributes["connection"] = conn
    return config


def upgrade(conn: Connection) -> None:
    """Every Alembic revision the store lacks, on this connection and in its transaction."""
    from alembic import command

    command.upgrade(_config(conn), "head")


def stamp(conn: Connection) -> None:
    """A store just created from the current schema is at the newest revision."""
    from alembic import command

    command.stamp(_config(conn), "head")


def known_revisions() -> list[str]:
    """Every revision this paretobot has, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(Path(__file__).with_name("migrations")))
    return [r.revision for r in reversed(list(script.walk_revisions()))]
