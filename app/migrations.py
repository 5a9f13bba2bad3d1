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

from app.schema import metadata, schema_migrations


@dataclass(frozen=True)
class Migration:
    id: int
    name: str
    apply: Callable[[Connection], None]


def _initial(connection: Connection) -> None:
    """The first schema: apps and their versions (created from app.schema)."""


def _accounts(connection: Connection) -> None:
    """Users, their sessions, sign-in links and API tokens, share links, the instance secret,
    and an owner for every app. Apps made before stay ownerless until the first user claims them.

    The tables are spelled out here, not taken from app.schema, so that this step
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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "apps and versions", _initial),
    Migration(2, "users, sessions, API tokens, share links and app owners", _accounts),
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
