"""The store's one error type, shared by its modules."""

from __future__ import annotations

from bot.errors import ParetobotError


class StoreError(ParetobotError, RuntimeError):
    """The database cannot be used as asked (wrong schema version, a conflicting point...)."""


class StoreUnavailable(StoreError):
    """The database itself failed (corrupt, unwritable, gone): no file after this one can be
    stored either, so the whole call stops with this one line."""


def first_line(exc: BaseException) -> str:
    """A driver's error in one line, without SQLAlchemy's statement and parameters dump."""
    orig = getattr(exc, "orig", None) or exc
    text = " ".join(str(orig).split("\n")[0].split())
    return text[:300] or type(orig).__name__
