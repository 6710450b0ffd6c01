"""The watcher's memory: handled events, cursors per upstream and event kind, and dispatches."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.model import as_utc, utc_now
from bot.store.engine import writing
from bot.store.schema import bisections_table, cursors_table, dispatches_table, events_table


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything here is UTC."""
    return None if value is None else as_utc(value)


def is_handled(engine: Engine, upstream: str, key: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(events_table.c.key).where(
                (events_table.c.upstream == upstream) & (events_table.c.key == key)
            )
        ).first()
    return found is not None


def cursor(engine: Engine, upstream: str, kind: str) -> datetime | None:
    """The time up to which every event of this kind from this upstream has been handled."""
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(cursors_table.c.at).where(
                (cursors_table.c.upstream == upstream) & (cursors_table.c.kind == kind)
            )
        ).scalar()
    return _utc(found)


def finish_event(
    engine: Engine, upstream: str, kind: str, key: str, at: datetime, title: str, jobs: int
) -> None:
    """Mark an event handled and move its cursor forward, in one transaction: a crash before this
    leaves the event to be handled again (its dispatches are idempotent), never lost."""
    with writing(engine) as conn:
        conn.execute(
            events_table.insert().values(
                upstream=upstream,
                key=key,
                at=at,
                title=title[:500],
                jobs=jobs,
                handled_at=utc_now(),
            )
        )
        where = (cursors_table.c.upstream == upstream) & (cursors_table.c.kind == kind)
        current = _utc(conn.execute(sa.select(cursors_table.c.at).where(where)).scalar())
        if current is None:
            conn.execute(cursors_table.insert().values(upstream=upstream, kind=kind, at=at))
        elif at > current:
            conn.execute(cursors_table.update().where(where).values(at=at))


def dispatch_state(engine: Engine, key: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(dispatches_table.c.state).where(dispatches_table.c.key == key)
        ).scalar()


def record_dispatch(engine: Engine, key: str, upstream: str, event: str, jobs: int) -> None:
    """Write down a dispatch before it is sent, so that a crash mid-send is found on rerun."""
    with writing(engine) as conn:
        conn.execute(
            dispatches_table.insert().values(
                key=key,
                upstream=upstream,
                event=event,
                jobs=jobs,
                state="pending",
                created_at=utc_now(),
            )
        )


def mark_sent(engine: Engine, key: str) -> None:
    with writing(engine) as conn:
        conn.execute(
            dispatches_table.update()
            .where(dispatches_table.c.key == key)
            .values(state="sent", sent_at=utc_now())
        )


def jobs_dispatched_since(engine: Engine, since: datetime) -> int:
    """Jobs in dispatches recorded since `since` (pending ones count: they may have run)."""
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(dispatches_table.c.jobs), 0)).where(
                dispatches_table.c.created_at >= since
            )
        ).scalar()
    return int(total or 0)


def save_bisection(engine: Engine, key: str, status: str, state: str) -> None:
    """The bisection's state after a step (its past probes are in the results and dispatches)."""
    with writing(engine) as conn:
        where = bisections_table.c.key == key
        values = {"status": status, "state": state, "updated_at": utc_now()}
        if conn.execute(sa.select(bisections_table.c.key).where(where)).first():
            conn.execute(bisections_table.update().where(where).values(**values))
        else:
            conn.execute(bisections_table.insert().values(key=key, **values))


def load_bisections(engine: Engine, status: str | None = None) -> dict[str, str]:
    """key -> state JSON, of every bisection (or those with this status)."""
    query = sa.select(bisections_table.c.key, bisections_table.c.state)
    if status is not None:
        query = query.where(bisections_table.c.status == status)
    with engine.connect() as conn:
        return {row.key: row.state for row in conn.execute(query)}


def earlier_events(engine: Engine, upstream: str, kind: str, before: datetime) -> list[str]:
    """Names of the events of this kind from this upstream handled with jobs dispatched, that
    happened before `before`, most recent first (a release's name is its tag): baselines."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(events_table.c.key, events_table.c.at)
            .where(
                (events_table.c.upstream == upstream)
                & events_table.c.key.startswith(f"{kind}:")
                & (events_table.c.jobs > 0)
            )
            .order_by(events_table.c.at.desc())
        ).all()
    return [r.key.split(":", 1)[1] for r in rows if _utc(r.at) < before]
