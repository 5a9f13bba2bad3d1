"""How an SQLite file survives a server killed in the middle of a write: WAL, and synchronous=FULL.

With the write-ahead log, a transaction is either wholly in the file or not at all when the
process dies at any instruction (SIGKILL, OOM, a crash); readers never block the writer.
synchronous=FULL syncs the log at every commit, so a commit that was answered is kept through a
power cut too, not only through a killed process (NORMAL would keep the file consistent but could
lose the last commits). docs/reliability.md states both; tests/test_crashes.py kills servers to show it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL")


def make_durable(engine: AsyncEngine) -> None:
    """Set the pragmas above on every connection an SQLite engine opens; other databases are left alone."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(pragma)
        cursor.close()
