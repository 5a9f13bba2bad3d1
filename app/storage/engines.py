"""The database engine: SQLite through one writer (WAL, a busy timeout), PostgreSQL with a pool sized for many streams.

SQLite allows one writer at a time. Left to itself, every writing transaction takes its turn in
SQLite's busy handler, and one that waits longer than the timeout (easy when the event loop is
busy relaying hundreds of streams and a transaction holds the lock across an `await`) fails with
`database is locked`. So this process queues its own writers on an asyncio lock, in order, before
they touch the file: SQLite never sees two of ours at once, and its busy timeout is left for
other processes on the same file (the `toolsmith` command while the server runs). In WAL mode
readers never wait for the writer, nor the writer for readers; durability.py says why each
commit is synced (`synchronous=FULL`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.storage.durability import PRAGMAS

BUSY_TIMEOUT_MS = 30_000
# Requests wait for a pooled connection instead of failing: under a burst, every one is served in turn.
POOL_TIMEOUT = 120.0
SQLITE_PRAGMAS = (*PRAGMAS, f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


class SQLiteEngine(AsyncEngine):
    """An AsyncEngine whose writing transactions (`begin()`) run one at a time, in the order they asked."""

    def __init__(self, sync_engine: Any) -> None:
        super().__init__(sync_engine)
        self._writer = asyncio.Lock()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with self._writer, super().begin() as conn:
            # IMMEDIATE takes the write lock now, so a transaction that reads before it writes
            # cannot find, at its first write, that another process wrote in between.
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling would BEGIN (deferred) by itself; ours says when:
    # `SQLiteEngine.begin` for writes, none for reads (each statement sees the latest commit).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def engine_for(database_url: str | URL) -> AsyncEngine:
    """An async engine; an SQLite file's folder is created when missing."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        # Each stream holds a connection only for a moment, but hundreds may ask at once.
        return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=POOL_TIMEOUT)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, pool_timeout=POOL_TIMEOUT, pool_reset_on_return=None) if url.database not in (None, "", ":memory:") else create_async_engine(url)
    event.listen(engine.sync_engine, "connect", _on_connect)
    return SQLiteEngine(engine.sync_engine)
