"""Detected changes and their triage: `changes` (one row per change, its latest evidence and its
state) and `change_events` (what happened to it, in order).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bot.store.schema import change_events_table, changes_table

    conn = op.get_bind()
    # revision 0004 creates every table of the current schema on a store made before Alembic,
    # so these may exist already
    changes_table.create(conn, checkfirst=True)
    change_events_table.create(conn, checkfirst=True)
