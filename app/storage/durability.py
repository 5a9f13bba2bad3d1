"""How an SQLite file survives a server killed in the middle of a write: WAL, and synchronous=FULL.

With the write-ahead log, a transaction is either wholly in the file or not at all when the
process dies at any instruction (SIGKILL, OOM, a crash); readers never block the writer.
synchronous=FULL syncs the log at every commit, so a commit that was answered is kept through a
power cut too, not only through a killed process (NORMAL would keep the file consistent but could
lose the last commits). docs/reliability.md states both; tests/test_crashes.py kills servers to show it.
"""

from __future__ import annotations

# Set on every connection by app/storage/engines.py, beside the busy timeout.
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL")
