"""Ordered, recorded schema migrations.

A new database gets the current schema from `app.storage.schema` in one step and
records every migration as applied. An existing database runs, in order, the
migrations it has not recorded. To change the schema: change `app.storage.schema`, then
append a migration here that brings an older database to the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.storage.schema import metadata, schema_migrations


@dataclass(frozen=True)
class Migration:
    id: int
    name: str
    apply: Callable[[Connection], None]


def _initial(connection: Connection) -> None:
    """The first schema: apps and their versions (created from app.storage.schema)."""


def _accounts(connection: Connection) -> None:
    """Users, their sessions, sign-in links and API tokens, share links, the instance secret,
    and an owner for every app. Apps made before stay ownerless until the first user claims them.

    The tables are spelled out here, not taken from app.storage.schema, so that this step
    always creates the same thing whatever later migrations change.
    """
    md = sa.MetaData()
    # Stand-ins so the foreign keys below resolve; they are not created.
    sa.Table("apps", md, sa.Column("id", sa.String(32), primary_key=True))
    users = sa.Table(
        "users",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    tables = [
        users,
        sa.Table(
            "sessions",
            md,
            sa.Column("id_hash", sa.String(64), primary_key=True),
            sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        ),
        sa.Table(
            "signin_links",
            md,
            sa.Column("token_hash", sa.String(64), primary_key=True),
            sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        ),
        sa.Table(
            "api_tokens",
            md,
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
            sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        ),
        sa.Table(
            "shares",
            md,
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("token", sa.String(64), nullable=False, unique=True),
            sa.Column("app_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
            sa.Column("version_number", sa.Integer, nullable=True),
            sa.Column("show_author", sa.Boolean, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        ),
        sa.Table(
            "instance_secrets",
            md,
            sa.Column("name", sa.String(64), primary_key=True),
            sa.Column("value", sa.String(200), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        ),
    ]
    md.create_all(connection, tables=tables)
    connection.execute(sa.text("ALTER TABLE apps ADD COLUMN owner_id VARCHAR(32) REFERENCES users (id) ON DELETE CASCADE"))
    connection.execute(sa.text("ALTER TABLE apps ADD COLUMN remixed_from_app_id VARCHAR(32)"))
    connection.execute(sa.text("ALTER TABLE apps ADD COLUMN remixed_from_title VARCHAR(200)"))
    connection.execute(sa.text("CREATE INDEX ix_apps_owner_id ON apps (owner_id)"))


def _version_provenance(connection: Connection) -> None:
    """What made each version: its kind, how the answer became a page, edits, continuations, fixes, selections.

    The columns are spelled out here, not taken from app.storage.schema, so that this step
    always adds the same thing whatever later migrations change.
    """
    added = sa.Table(
        "versions",
        sa.MetaData(),
        sa.Column("kind", sa.String(16), nullable=False, server_default="follow_up"),
        sa.Column("path", sa.String(24), nullable=True),
        sa.Column("edit_count", sa.Integer, nullable=True),
        sa.Column("edit_error", sa.Text, nullable=True),
        sa.Column("continuations", sa.Integer, nullable=False, server_default="0"),
        sa.Column("runtime_errors", sa.JSON, nullable=True),
        sa.Column("automatic", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("selection", sa.JSON, nullable=True),
    )
    for column in added.columns:
        _add_column(connection, "versions", column)
    old = sa.table("versions", sa.column("kind"), sa.column("path"), sa.column("model"), sa.column("parent_number"), sa.column("html"))
    made_here = old.c.model.not_in(("import", "remix"))
    connection.execute(old.update().where(old.c.model == "import").values(kind="import"))
    connection.execute(old.update().where(old.c.model == "remix").values(kind="remix"))
    connection.execute(old.update().where(made_here, old.c.parent_number.is_(None)).values(kind="create"))
    # Before edit blocks, every model's answer was a whole page.
    connection.execute(old.update().where(made_here, old.c.html.is_not(None)).values(path="page"))


def _generation_leases(connection: Connection) -> None:
    """Leases of queued generations: which worker runs each and until when (spelled out, as above)."""
    md = sa.MetaData()
    sa.Table("versions", md, sa.Column("id", sa.String(32), primary_key=True))
    sa.Table(
        "generation_leases",
        md,
        sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    ).create(connection)


def _titles_by_hand(connection: Connection) -> None:
    """Whether an app's owner named it: then the page's <title> no longer renames it."""
    column = sa.Column("title_by_hand", sa.Boolean, nullable=False, server_default=sa.false())
    sa.Table("apps", sa.MetaData(), column)
    _add_column(connection, "apps", column)


def _app_data(connection: Connection) -> None:
    """What apps keep in localStorage, per app and person (app.appdata). Spelled out, as in _accounts."""
    md = sa.MetaData()
    sa.Table("apps", md, sa.Column("id", sa.String(32), primary_key=True))
    sa.Table("users", md, sa.Column("id", sa.String(32), primary_key=True))
    table = sa.Table(
        "app_data",
        md,
        sa.Column("app_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("chars", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    table.create(connection)


def _checks(connection: Connection) -> None:
    """The browser check of each version (its status, problems and thumbnail), eval runs, and
    which apps an eval run made.

    Spelled out here, not taken from app.storage.schema, so that this step always creates the same thing.
    """
    md = sa.MetaData()
    sa.Table("versions", md, sa.Column("id", sa.String(32), primary_key=True))  # a stand-in for the foreign key; not created
    table = sa.Table(
        "checks",
        md,
        sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("problems", sa.JSON, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("screenshot", sa.LargeBinary, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index("ix_checks_status", "status"),
    )
    sa.Table("users", md, sa.Column("id", sa.String(32), primary_key=True))  # a stand-in too
    runs = sa.Table(
        "evals",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("suite_name", sa.String(200), nullable=False),
        sa.Column("suite", sa.JSON, nullable=False),
        sa.Column("models", sa.JSON, nullable=False),
        sa.Column("repeat", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("done", sa.Integer, nullable=False),
        sa.Column("results", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    md.create_all(connection, tables=[table, runs])
    connection.execute(sa.text("ALTER TABLE apps ADD COLUMN eval_id VARCHAR(32)"))
    connection.execute(sa.text("CREATE INDEX ix_apps_eval_id ON apps (eval_id)"))


def _arena(connection: Connection) -> None:
    """A purpose for every app (all existing ones are the person's own) and the arena's matches.

    Spelled out here, not taken from app.storage.schema, so that this step always does the same.
    """
    purpose = sa.Column("purpose", sa.String(16), nullable=False, server_default="own")
    _add_column(connection, "apps", purpose)
    md = sa.MetaData()
    # Stand-ins so the foreign keys below resolve; they are not created.
    sa.Table("users", md, sa.Column("id", sa.String(32), primary_key=True))
    sa.Table("apps", md, sa.Column("id", sa.String(32), primary_key=True))
    matches = sa.Table(
        "arena_matches",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("app_a_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="SET NULL"), nullable=True),
        sa.Column("app_b_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="SET NULL"), nullable=True),
        sa.Column("model_a", sa.String(200), nullable=False),
        sa.Column("model_b", sa.String(200), nullable=False),
        sa.Column("vote", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=True),
    )
    md.create_all(connection, tables=[matches])


def _eval_purpose(connection: Connection) -> None:
    """An eval run's apps say so in their purpose, as arena sides do: the person's list shows "own"
    apps only, and keeping an eval's app is a change of purpose."""
    connection.execute(sa.text("UPDATE apps SET purpose = 'eval' WHERE eval_id IS NOT NULL AND purpose = 'own'"))


def _version_files(connection: Connection) -> None:
    """The files an imported folder or zip brings with its page, and which version's files each
    version serves. Older versions are pages alone (`files_from` NULL). Spelled out, as above."""
    _add_column(connection, "versions", sa.Column("files_from", sa.String(32), nullable=True))
    md = sa.MetaData()
    sa.Table("versions", md, sa.Column("id", sa.String(32), primary_key=True))  # a stand-in for the foreign key; not created
    sa.Table(
        "version_files",
        md,
        sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("path", sa.String(500), primary_key=True),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    ).create(connection)


def _add_column(connection: Connection, table: str, column: sa.Column[Any]) -> None:
    """`ALTER TABLE … ADD` the column as this database spells its type and default."""
    connection.execute(sa.text(f"ALTER TABLE {table} ADD {sa.schema.CreateColumn(column).compile(dialect=connection.dialect)}"))

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "apps and versions", _initial),
    Migration(2, "users, sessions, API tokens, share links and app owners", _accounts),
    Migration(3, "how each version was made", _version_provenance),
    Migration(4, "leases of queued generations", _generation_leases),
    Migration(5, "titles set by hand", _titles_by_hand),
    Migration(6, "what apps keep in localStorage", _app_data),
    Migration(7, "browser checks of versions, and evals", _checks),
    Migration(8, "app purposes and arena matches", _arena),
    Migration(9, "eval runs' apps have the purpose eval", _eval_purpose),
    Migration(10, "files imported with a page", _version_files),
)


def _recorded_by_name(connection: Connection) -> set[str]:
    """The names of the migrations the database has recorded, each row moved to its migration's
    id of today. A migration is known by its name; its id is its place in the order, and that
    has changed once: "how each version was made" was 2 until the accounts came before it.
    Moved highest first, so that no two rows ever hold the same id."""
    recorded: dict[str, int] = {row.name: row.id for row in connection.execute(sa.select(schema_migrations.c.name, schema_migrations.c.id))}
    for migration in sorted(MIGRATIONS, key=lambda m: m.id, reverse=True):
        if recorded.get(migration.name, migration.id) != migration.id:
            connection.execute(schema_migrations.update().where(schema_migrations.c.name == migration.name).values(id=migration.id))
    return set(recorded)


def migrate(connection: Connection) -> list[int]:
    """Bring the database to the current schema; returns the migrations applied now."""
    inspector = sa.inspect(connection)
    now = datetime.now(UTC)
    if not inspector.has_table("schema_migrations"):
        metadata.create_all(connection)
        connection.execute(schema_migrations.insert(), [{"id": m.id, "name": m.name, "applied_at": now} for m in MIGRATIONS])
        return [m.id for m in MIGRATIONS]
    done = _recorded_by_name(connection)
    applied = []
    for migration in MIGRATIONS:
        if migration.name in done:
            continue
        migration.apply(connection)
        connection.execute(schema_migrations.insert().values(id=migration.id, name=migration.name, applied_at=now))
        applied.append(migration.id)
    return applied
