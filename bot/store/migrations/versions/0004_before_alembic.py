"""Stores made before Alembic (schema versions 1-4, the `meta` row says which) brought to version 4
by the in-place steps they were written with (bot/store/migrate.py `LEGACY`).

Revision ID: 0004
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bot.store.migrate import upgrade_legacy

    upgrade_legacy(op.get_bind())
