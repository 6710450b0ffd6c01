"""Configurations keyed by their fields (`configs.canonical`), not by the slug; failure records'
identities spelled the same way.

The slug joins fields with '/', which a model name may hold itself: 'org/m' + 'fp8' and 'org' +
'm/fp8' spelled one slug, and their results were stored as one configuration. Rows stored before
keep their ids; each gets its canonical key, the slug stays as the shown name (no longer unique).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from dataclasses import fields

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bot.ingest import failure_identity
    from bot.model import Build, ConfigKey
    from bot.store.migrate import rebuild_sqlite_table
    from bot.store.schema import (
        builds_table,
        configs_table,
        failures_table,
        files_table,
        sweeps_table,
    )

    conn = op.get_bind()
    c = configs_table
    present = {col["name"] for col in sa.inspect(conn).get_columns("configs")}
    if "canonical" not in present:
        op.add_column(
            "configs", sa.Column("canonical", sa.String, nullable=False, server_default="")
        )
    names = [f.name for f in fields(ConfigKey)]
    keys = {}
    for row in conn.execute(sa.select(c.c.id, *(c.c[n] for n in names))).all():
        config = ConfigKey(**{n: getattr(row, n) for n in names})
        keys[row.id] = config
        conn.execute(c.update().where(c.c.id == row.id).values(canonical=config.canonical))
    if conn.dialect.name == "sqlite":  # the slug's unique constraint cannot be dropped
        rebuild_sqlite_table(conn, configs_table)
    else:
        inspector = sa.inspect(conn)
        uniques = inspector.get_unique_constraints("configs")
        for unique in uniques:
            if unique["column_names"] == ["slug"]:
                op.drop_constraint(unique["name"], "configs", type_="unique")
        if not any(u["column_names"] == ["canonical"] for u in uniques):
            op.create_unique_constraint("uq_configs_canonical", "configs", ["canonical"])
        if not any(i["column_names"] == ["slug"] for i in inspector.get_indexes("configs")):
            op.create_index("ix_configs_slug", "configs", ["slug"])
    # failure records named their sweeps by slug and build label; now by every field
    f, fl, s, b = files_table, failures_table, sweeps_table, builds_table
    rows = conn.execute(
        sa.select(f.c.id, s.c.config_id, s.c.repeat, *(b.c[x.name] for x in fields(Build)))
        .join(fl, fl.c.file_id == f.c.id)
        .join(s, s.c.id == fl.c.sweep_id)
        .join(b, b.c.id == s.c.build_id)
        .where(f.c.identity != "", ~f.c.identity.startswith("provenance of run"))
        .order_by(f.c.id, s.c.id)
    ).all()
    sweeps: dict[int, list] = {}
    for row in rows:
        build = Build(**{x.name: getattr(row, x.name) for x in fields(Build)})
        item = (keys[row.config_id], build, row.repeat)
        if item not in sweeps.setdefault(row.id, []):
            sweeps[row.id].append(item)
    for file_id, items in sweeps.items():
        conn.execute(f.update().where(f.c.id == file_id).values(identity=failure_identity(items)))
