"""The engine and its write transactions: what lets several processes share one store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")
SQLITE_BUSY_S = 120.0  # how long a writer waits for another process's write to end


def make_engine(url: str) -> Engine:
    """The engine; for SQLite, transactions that write start with BEGIN IMMEDIATE (see
    `writing`): pysqlite's own deferred BEGIN lets two processes read, then both try to write,
    and one fails at once with 'database is locked' (waiting could not resolve it)."""
    if sa.engine.make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_S})

    @sa.event.listens_for(engine, "connect")
    def _own_begin(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event emits BEGIN itself

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("paretobot_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock at its start, so
    concurrent writers queue (up to SQLITE_BUSY_S) instead of failing; elsewhere a plain one."""
    with engine.connect() as conn:
        conn.execution_options(paretobot_write=True)
        with conn.begin():
            yield conn


WRITE_TRIES = 5  # a write that met another process's insert runs again, this many times in all


def write_retrying(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`work` in a write transaction, run again (from the start, in a new transaction) when it
    met a row another process inserted between its look and its own insert: on PostgreSQL two
    transactions can both find nothing and both insert; the second then finds the first's."""
    for attempt in range(WRITE_TRIES):
        try:
            with writing(engine) as conn:
                return work(conn)
        except sa.exc.IntegrityError:
            if attempt == WRITE_TRIES - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")
