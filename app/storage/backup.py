"""A whole instance to one file and back: SQLite's online backup API (PostgreSQL: pg_dump, docs/reliability.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from app.errors import BadRequest

PG_DUMP_HELP = (
    "This database is not an SQLite file. For PostgreSQL, back it up with `pg_dump --format=custom --file=PATH DBNAME` "
    "and restore it into an empty database with `pg_restore --no-owner --dbname=DBNAME PATH` (docs/reliability.md)."
)


def sqlite_file(database_url: str) -> Path:
    """The SQLite file a database URL names; BadRequest for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BadRequest(PG_DUMP_HELP)
    if not url.database or url.database == ":memory:":
        raise BadRequest("This database lives in memory only: there is nothing to back up.")
    return Path(url.database)


def _copy(source: Path, target: Path) -> None:
    # The backup API copies a consistent snapshot page by page while others keep writing: no need to stop the server.
    src, dst = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def backup(database_url: str, path: Path) -> int:
    """Everything in the instance's database, to `path` (a new SQLite file); returns its size in bytes."""
    source = sqlite_file(database_url)
    if not source.exists():
        raise BadRequest(f"There is no database at {source} yet: start Toolsmith once, or check TOOLSMITH_DATABASE_URL.")
    if path.exists():
        raise BadRequest(f"{path} exists already: name a new file, so no backup is overwritten.")
    path.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, path)
    single = sqlite3.connect(path)
    try:
        single.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, without -wal beside it
    finally:
        single.close()
    return path.stat().st_size


def restore(database_url: str, path: Path) -> None:
    """The instance's database replaced by the backup at `path`. Stop Toolsmith first: its runs would write on."""
    target = sqlite_file(database_url)
    if not path.is_file():
        raise BadRequest(f"{path} is not a file: give the file `toolsmith backup` wrote.")
    candidate = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in candidate.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ok = candidate.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        raise BadRequest(f"{path} is not an SQLite file: give the file `toolsmith backup` wrote.") from None
    finally:
        candidate.close()
    if not {"apps", "versions", "users", "schema_migrations"} <= tables or not ok:
        raise BadRequest(f"{path} is not a Toolsmith backup (or it is damaged): give the file `toolsmith backup` wrote.")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(path, target)
