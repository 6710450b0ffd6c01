"""The store's one error type, shared by its modules."""

from __future__ import annotations

from bot.errors import ParetobotError


class StoreError(ParetobotError, RuntimeError):
    """The database cannot be used as asked (wrong schema version, a conflicting point...)."""
