"""Ordered, recorded schema migrations.

A new database gets the current schema from `app.schema` in one step and
records every migration as applied. An existing database runs, in order, the
migrations it has not recorded. To change the schema: change `app.schema`, then
append a migration here that brings an older database to the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.schema import metadata, schema_migrations, versions


@dataclass(frozen=True)
class Migration:
    id: int
    name: str
    apply: Callable[[Connection], None]


def _initial(connection: Connection) -> None:
    """The first schema: apps and their versions (created from app.schema)."""


def _version_provenance(connection: Connection) -> None:
    """What made each version: its kind, how the answer became a page, edits, continuations, fixes, selections."""
    for name in ("kind", "path", "edit_count", "edit_error", "continuations", "runtime_errors", "automatic", "selection"):
        connection.execute(sa.text(f"ALTER TABLE versions ADD {sa.schema.CreateColumn(versions.c[name]).compile(dialect=connection.dialect)}"))
    old = sa.table("versions", sa.column("kind"), sa.column("path"), sa.column("model"), sa.column("parent_number"), sa.column("html"))
    connection.execute(old.update().where(old.c.model == "import").values(kind="import"))
    connection.execute(old.update().where(old.c.model != "import", old.c.parent_number.is_(None)).values(kind="create"))
    # Before edit blocks, every model's answer was a whole page.
    connection.execute(old.update().where(old.c.model != "import", old.c.html.is_not(None)).values(path="page"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "apps and versions", _initial),
    Migration(2, "how each version was made", _version_provenance),
)


def migrate(connection: Connection) -> list[int]:
    """Bring the database to the current schema; returns the migrations applied now."""
    inspector = sa.inspect(connection)
    now = datetime.now(UTC)
    if not inspector.has_table("schema_migrations"):
        metadata.create_all(connection)
        connection.execute(schema_migrations.insert(), [{"id": m.id, "name": m.name, "applied_at": now} for m in MIGRATIONS])
        return [m.id for m in MIGRATIONS]
    done = set(connection.scalars(sa.select(schema_migrations.c.id)))
    applied = []
    for migration in MIGRATIONS:
        if migration.id in done:
            continue
        migration.apply(connection)
        connection.execute(schema_migrations.insert().values(id=migration.id, name=migration.name, applied_at=now))
        applied.append(migration.id)
    return applied
