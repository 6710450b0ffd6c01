"""The database schema: one table per kind of fact, columns generated from the model's types."""

from __future__ import annotations

from dataclasses import fields

import sqlalchemy as sa

from bot.model import Build, ConfigKey, Point

SCHEMA_VERSION = 6  # 2: runs, copies, files.run_id/identity, "trace" slugs; 3: provenance;
# 4: provenance's requested, reported and installed commits; 5: configurations keyed by their
# fields (`canonical`), not by the slug; 6: detected changes and their triage (`changes`,
# `change_events`). From 5 on, bot/store/migrations (Alembic) holds the steps;
# the meta row still says the version so that an older paretobot refuses a newer store.
DEFAULT_URL = "sqlite:///paretobot.db"

_SQL_TYPES = {int: sa.Integer, float: sa.Float, str: sa.String, bool: sa.Boolean}


def _columns(cls: type, *, nullable: bool) -> list[sa.Column]:
    """One column per dataclass field, so the schema cannot drift from the model."""
    out = []
    for field in fields(cls):
        base = field.type.split(" | ")[0] if isinstance(field.type, str) else field.type
        sql_type = _SQL_TYPES[{"int": int, "float": float, "str": str, "bool": bool}[base]]
        out.append(sa.Column(field.name, sql_type, nullable=nullable or " | None" in field.type))
    return out


metadata = sa.MetaData()
meta_table = sa.Table(
    "meta", metadata, sa.Column("key", sa.String, primary_key=True), sa.Column("value", sa.String)
)
files_table = sa.Table(
    "files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("path", sa.String, nullable=False),
    sa.Column("format", sa.String, nullable=False),
    sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("run_id", sa.String),  # the run it was stored under
    # What besides the bytes makes the file itself (a failure.json's configuration), else "".
    sa.Column("identity", sa.String, nullable=False, server_default=""),
    sa.UniqueConstraint("sha256", "identity", name="uq_files_sha256_identity"),
)
runs_table = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String, primary_key=True),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("date_source", sa.String, nullable=False, server_default=""),
    sa.Column("excluded", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("exclude_reason", sa.String, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
# A run's provenance, from the runner's paretobot-run.json: one row per run, kept apart from
# `runs` so that it reads the same whether it was ingested before or after the run's results.
provenance_table = sa.Table(
    "provenance",
    metadata,
    sa.Column("run_id", sa.String, primary_key=True),
    sa.Column("url", sa.String, nullable=False, server_default=""),
    sa.Column("artifact", sa.String, nullable=False, server_default=""),
    sa.Column("runner", sa.String, nullable=False, server_default=""),
    sa.Column("host", sa.String, nullable=False, server_default=""),
    sa.Column("job", sa.Text, nullable=False, server_default=""),  # the job as JSON
    # what the runner says it ran; NULL when it never learned a version
    *(sa.Column(f"build_{f.name}", sa.String) for f in fields(Build)),
    sa.Column("gpus", sa.Text, nullable=False, server_default="[]"),  # JSON list of names
    # the commit the job asked for, the framework's version string named, verify found installed
    *(
        sa.Column(f"{k}_commit", sa.String, nullable=False, server_default="")
        for k in ("requested", "reported", "installed")
    ),
    sa.Column("status", sa.String, nullable=False, server_default=""),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("sha256", sa.String(64), nullable=False),  # of the record it was read from
    sa.Column("path", sa.String, nullable=False),
    sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
)
copies_table = sa.Table(
    "copies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("path", sa.String, nullable=False),
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False),  # "file" | "point"
    sa.Column("config", sa.String),  # point copies: the configuration's slug (shown, not a key)
    sa.Column("concurrency", sa.Integer),
    sa.Column("of_path", sa.String, nullable=False),
    sa.Column("of_run_id", sa.String, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
configs_table = sa.Table(
    "configs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # the key: every field, so that two configurations never share a row (ConfigKey.canonical)
    sa.Column("canonical", sa.String, nullable=False, server_default=""),
    sa.Column("slug", sa.String, nullable=False, index=True),  # how it is shown and matched
    *_columns(ConfigKey, nullable=False),
    sa.UniqueConstraint("canonical", name="uq_configs_canonical"),
)
builds_table = sa.Table(
    "builds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    *_columns(Build, nullable=False),
    sa.UniqueConstraint("framework", "version", "commit", "image", "image_digest"),
)
sweeps_table = sa.Table(
    "sweeps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("config_id", sa.ForeignKey("configs.id"), nullable=False),
    sa.Column("build_id", sa.ForeignKey("builds.id"), nullable=False),
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("repeat", sa.Integer, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("cause", sa.String, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("config_id", "build_id", "run_id", "repeat"),
)
points_table = sa.Table(
    "points",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sweep_id", sa.ForeignKey("sweeps.id"), nullable=False, index=True),
    sa.Column("file_id", sa.ForeignKey("files.id"), nullable=False),
    *_columns(Point, nullable=True),
    sa.UniqueConstraint("sweep_id", "concurrency"),
)
run_stats_table = sa.Table(
    "run_stats",
    metadata,
    sa.Column("file_id", sa.ForeignKey("files.id"), nullable=False),
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("hardware", sa.String, nullable=False),
    sa.Column("succeeded", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
)
failures_table = sa.Table(
    "failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sweep_id", sa.ForeignKey("sweeps.id"), nullable=False, index=True),
    sa.Column("file_id", sa.ForeignKey("files.id"), nullable=False),
    sa.Column("cause", sa.String, nullable=False),
    sa.Column("concurrency", sa.Integer),
    sa.Column("message", sa.String, nullable=False),
    sa.Column("log_tail", sa.String, nullable=False),
)
quarantine_table = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("path", sa.String, nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)


events_table = sa.Table(
    "events",
    metadata,
    sa.Column("upstream", sa.String, primary_key=True),
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("title", sa.String, nullable=False),
    sa.Column("jobs", sa.Integer, nullable=False),
    sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
)
cursors_table = sa.Table(
    "cursors",
    metadata,
    sa.Column("upstream", sa.String, primary_key=True),
    sa.Column("kind", sa.String, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
dispatches_table = sa.Table(
    "dispatches",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("upstream", sa.String, nullable=False),
    sa.Column("event", sa.String, nullable=False),
    sa.Column("jobs", sa.Integer, nullable=False),
    sa.Column("state", sa.String, nullable=False),  # pending -> sent
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
)
bisections_table = sa.Table(
    "bisections",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # the Bisection as JSON: the controller's memory
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

changes_table = sa.Table(
    # every change paretobot detected (a verdict between two builds, a change point in a history)
    # with its triage state; the evidence columns are the latest detection's
    "changes",
    metadata,
    sa.Column("key", sa.String, primary_key=True),  # bot.report.comment.change_key: the comment's
    sa.Column("source", sa.String, nullable=False),  # "verdict" | "changepoint"
    sa.Column("config", sa.String, nullable=False, index=True),  # ConfigKey.canonical
    sa.Column("slug", sa.String, nullable=False),
    sa.Column("baseline", sa.Text, nullable=False),  # the Build as JSON
    sa.Column("candidate", sa.Text, nullable=False),
    sa.Column("kind", sa.String, nullable=False),  # a verdict kind (bot.model.CHANGE_KINDS)
    sa.Column("sentence", sa.Text, nullable=False),
    sa.Column("effect", sa.Float),  # ratio - 1 of the headline estimate, where there is one
    sa.Column("low", sa.Float),
    sa.Column("high", sa.Float),
    sa.Column("runs", sa.Text, nullable=False, server_default="[]"),  # run ids, JSON
    sa.Column("state", sa.String, nullable=False),  # bot.model.CHANGE_STATES
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String, nullable=False, server_default=""),
    sa.Column("expires_at", sa.DateTime(timezone=True)),  # an ignore that lapses
    sa.Column("fixed_by", sa.String, nullable=False, server_default=""),  # a change key
    sa.Column("pull", sa.String, nullable=False, server_default=""),  # attributed PR's link
    sa.Column("comment_url", sa.String, nullable=False, server_default=""),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("alerted_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
change_events_table = sa.Table(
    # what happened to a change, in order: detected, acknowledged, ignored, noted, fixed, ...
    "change_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.ForeignKey("changes.key"), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("actor", sa.String, nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False, server_default=""),
)
