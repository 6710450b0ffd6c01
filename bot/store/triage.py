"""Detected changes and their triage state: the rows behind `paretobot changes`, `ack`, `ignore`,
`note`, and what alerting and pruning ask of them. The decisions (what is new, what a later
comparison fixes) are bot/app/triage.py's; this module reads and writes rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.model import Build, Change, ChangeEvent, ConfigKey, as_utc, utc_now
from bot.store.schema import change_events_table, changes_table

_BUILD_FIELDS = [f.name for f in fields(Build)]
_CONFIG_FIELDS = [f.name for f in fields(ConfigKey)]


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)  # SQLite hands datetimes back naive


def _build_text(build: Build) -> str:
    return json.dumps(asdict(build), sort_keys=True)


def _build_of(text: str) -> Build:
    raw = json.loads(text)
    return Build(**{k: raw[k] for k in _BUILD_FIELDS if k in raw})


def _config_of(canonical: str) -> ConfigKey:
    return ConfigKey(*json.loads(canonical))


def _change(row: Any) -> Change:
    return Change(
        key=row.key,
        source=row.source,
        config=_config_of(row.config),
        baseline=_build_of(row.baseline),
        candidate=_build_of(row.candidate),
        kind=row.kind,
        sentence=row.sentence,
        state=row.state,
        first_seen=as_utc(row.first_seen),
        last_seen=as_utc(row.last_seen),
        updated_at=as_utc(row.updated_at),
        effect=row.effect,
        low=row.low,
        high=row.high,
        runs=tuple(json.loads(row.runs or "[]")),
        reason=row.reason,
        actor=row.actor,
        expires_at=_utc(row.expires_at),
        fixed_by=row.fixed_by,
        pull=row.pull,
        comment_url=row.comment_url,
        alerted_at=_utc(row.alerted_at),
    )


def values_of(change: Change) -> dict[str, Any]:
    """A change as its row's values."""
    return {
        "key": change.key,
        "source": change.source,
        "config": change.config.canonical,
        "slug": change.config.slug,
        "baseline": _build_text(change.baseline),
        "candidate": _build_text(change.candidate),
        "kind": change.kind,
        "sentence": change.sentence,
        "effect": change.effect,
        "low": change.low,
        "high": change.high,
        "runs": json.dumps(list(change.runs)),
        "state": change.state,
        "reason": change.reason,
        "actor": change.actor,
        "expires_at": change.expires_at,
        "fixed_by": change.fixed_by,
        "pull": change.pull,
        "comment_url": change.comment_url,
        "first_seen": change.first_seen,
        "last_seen": change.last_seen,
        "alerted_at": change.alerted_at,
        "updated_at": change.updated_at,
    }


def get(conn: Connection, key: str) -> Change | None:
    row = conn.execute(sa.select(changes_table).where(changes_table.c.key == key)).first()
    return None if row is None else _change(row)


def of_config(conn: Connection, canonical: str) -> list[Change]:
    t = changes_table
    rows = conn.execute(sa.select(t).where(t.c.config == canonical).order_by(t.c.first_seen))
    return [_change(r) for r in rows]


def insert(conn: Connection, change: Change) -> None:
    conn.execute(changes_table.insert().values(values_of(change)))


def update(conn: Connection, key: str, **values: Any) -> None:
    """Set columns of one change (Change field names; builds and configs are not changed here)."""
    if "runs" in values:
        values["runs"] = json.dumps(list(values["runs"]))
    conn.execute(changes_table.update().where(changes_table.c.key == key).values(**values))


def add_event(conn: Connection, key: str, action: str, actor: str = "", text: str = "") -> None:
    conn.execute(
        change_events_table.insert().values(
            key=key, at=utc_now(), action=action, actor=actor, text=text
        )
    )


def load_changes(
    engine: Engine, *, states: Sequence[str] = (), keys: Iterable[str] | None = None
) -> list[Change]:
    """Changes, oldest first; only those in `states` and with `keys` when given."""
    t = changes_table
    query = sa.select(t).order_by(t.c.first_seen, t.c.key)
    if states:
        query = query.where(t.c.state.in_(list(states)))
    if keys is not None:
        query = query.where(t.c.key.in_(list(keys)))
    with engine.connect() as conn:
        return [_change(r) for r in conn.execute(query)]


def find(engine: Engine, ident: str) -> list[Change]:
    """Changes named by their key, or by the start of their id (the key's hash)."""
    t = changes_table
    ident = ident.strip()
    with engine.connect() as conn:
        exact = conn.execute(sa.select(t).where(t.c.key == ident)).first()
        if exact is not None:
            return [_change(exact)]
        escaped = ident.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = conn.execute(sa.select(t).where(t.c.key.like(f"%@{escaped}%", escape="\\")))
        return [c for c in map(_change, rows) if c.id.startswith(ident.lower())]


def events(engine: Engine, key: str) -> list[ChangeEvent]:
    e = change_events_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(e).where(e.c.key == key).order_by(e.c.at, e.c.id))
        return [ChangeEvent(as_utc(r.at), r.action, r.actor, r.text) for r in rows]


def referenced_builds(engine: Engine) -> set[Build]:
    """Every build a change names (retention keeps their results)."""
    t = changes_table
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.baseline, t.c.candidate)).all()
    return {_build_of(text) for row in rows for text in row}


def referenced_runs(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(changes_table.c.runs)).scalars().all()
    return {run for text in rows for run in json.loads(text or "[]")}
