"""Alembic's entry point: migrations run on the connection paretobot passes in (inside its
schema lock and transaction, bot/store/__init__.py `_prepare`), or, for `alembic` commands a
contributor runs, on the store PARETOBOT_DB names."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from bot.store.schema import DEFAULT_URL, metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic -c bot/store/migrations/alembic.ini ...` by hand
    engine = sa.create_engine(os.environ.get("PARETOBOT_DB") or DEFAULT_URL)
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():  # joins the caller's transaction
        context.run_migrations()
