"""Users, their sessions, one-time sign-in links and API tokens; the instance secret. All their SQL.

Every secret a person holds (session id, sign-in link, API token) is stored only
as its SHA-256: they are long random strings, so a fast hash is enough, and a
copy of the database signs nobody in. Passwords get scrypt (`app.accounts.passwords`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.accounts.passwords import (
    check_new_password,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.errors import BadRequest, NotFound, Unauthorized
from app.storage import (
    api_tokens,
    apps,
    instance_secrets,
    iso,
    new_id,
    sessions,
    shares,
    signin_links,
    users,
    utc,
    versions,
)

SESSION_LIFETIME = timedelta(days=30)
SIGNIN_LINK_LIFETIME = timedelta(hours=1)
TOKEN_PREFIX = "tsk_"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_username(name: object) -> str:
    if not isinstance(name, str) or not _USERNAME.match(name.strip().lower()):
        raise BadRequest("A user name is 1 to 40 characters: letters, digits, and . _ - (not first).")
    return name.strip().lower()


@dataclass(frozen=True)
class UserRecord:
    id: str
    username: str
    display_name: str
    has_password: bool
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "has_password": self.has_password, "created_at": iso(self.created_at)}


@dataclass(frozen=True)
class TokenRecord:
    """An API token as listed: never its secret, which is shown once when it is made."""

    id: str
    user_id: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC)):
            return "expired"
        return "active"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state(),
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


def _user(row: sa.Row[Any]) -> UserRecord:
    return UserRecord(row.id, row.username, row.display_name, row.password_hash is not None, utc(row.created_at))  # type: ignore[arg-type]


def _token(row: sa.Row[Any]) -> TokenRecord:
    return TokenRecord(row.id, row.user_id, row.name, utc(row.created_at), utc(row.expires_at), utc(row.revoked_at), utc(row.last_used_at))  # type: ignore[arg-type]


class Accounts:
    """Everything about who is who, in the same database as the apps."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def instance_secret(self) -> str:
        """The signing secret made on first start; the same for every process on this database."""
        async with self.engine.begin() as conn:
            value = await conn.scalar(sa.select(instance_secrets.c.value).where(instance_secrets.c.name == "signing"))
            if value is not None:
                return str(value)
        try:
            async with self.engine.begin() as conn:
                value = secrets.token_urlsafe(48)
                await conn.execute(instance_secrets.insert().values(name="signing", value=value, created_at=datetime.now(UTC)))
                return value
        except IntegrityError:  # another process made it first
            return await self.instance_secret()

    async def remember_address(self, url: str) -> None:
        """The address people reach the running server at, for commands run beside it (`toolsmith users link`).

        Kept beside the signing secret: one row per instance, written at every start.
        """
        async with self.engine.begin() as conn:
            updated = await conn.execute(instance_secrets.update().where(instance_secrets.c.name == "address").values(value=url[:200], created_at=datetime.now(UTC)))
        if updated.rowcount:
            return
        # Another process may write it first; its address is as good.
        with contextlib.suppress(IntegrityError):
            async with self.engine.begin() as conn:
                await conn.execute(instance_secrets.insert().values(name="address", value=url[:200], created_at=datetime.now(UTC)))

    async def address(self) -> str | None:
        """The address the server last started at, if it ever did."""
        async with self.engine.connect() as conn:
            value = await conn.scalar(sa.select(instance_secrets.c.value).where(instance_secrets.c.name == "address"))
        return str(value) if value else None

    # ---- users ------------------------------------------------------------------------------

    async def count_users(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(users)) or 0)

    async def create_user(self, username: object, *, display_name: str | None = None, password: str | None = None) -> UserRecord:
        name = check_username(username)
        if password is not None and (problem := check_new_password(password)):
            raise BadRequest(problem)
        password_hash = await asyncio.to_thread(hash_password, password) if password is not None else None
        user = UserRecord(new_id(), name, (display_name or name).strip()[:100] or name, password_hash is not None, datetime.now(UTC))
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    users.insert().values(id=user.id, username=user.username, display_name=user.display_name, password_hash=password_hash, created_at=user.created_at)
                )
        except IntegrityError:
            raise BadRequest(f"There is already a user called {name!r}: pick another name.") from None
        return user

    async def get_user(self, user_id: str) -> UserRecord:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()
        if row is None:
            raise NotFound("No such user.")
        return _user(row)

    async def get_user_by_name(self, username: str) -> UserRecord:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.username == username.strip().lower()))).first()
        if row is None:
            raise NotFound(f"There is no user called {username!r}: `toolsmith users list` shows them.")
        return _user(row)

    async def list_users(self) -> list[tuple[UserRecord, int]]:
        """Every user with how many apps they own, oldest first."""
        counts = sa.select(apps.c.owner_id, sa.func.count().label("n")).group_by(apps.c.owner_id).subquery()
        query = sa.select(users, counts.c.n).outerjoin(counts, counts.c.owner_id == users.c.id).order_by(users.c.created_at)
        async with self.engine.connect() as conn:
            return [(_user(row), int(row.n or 0)) for row in await conn.execute(query)]

    async def remove_user(self, user_id: str) -> int:
        """Delete a user and everything theirs: apps, versions, shares, sessions, links, tokens.

        Done row by row rather than by ON DELETE CASCADE, which SQLite only honours when asked.
        Returns how many apps went with them.
        """
        async with self.engine.begin() as conn:
            owned = sa.select(apps.c.id).where(apps.c.owner_id == user_id)
            removed = int(await conn.scalar(sa.select(sa.func.count()).select_from(owned.subquery())) or 0)
            await conn.execute(shares.delete().where(shares.c.app_id.in_(owned)))
            await conn.execute(versions.delete().where(versions.c.app_id.in_(owned)))
            await conn.execute(apps.delete().where(apps.c.owner_id == user_id))
            for table in (sessions, signin_links, api_tokens):
                await conn.execute(table.delete().where(table.c.user_id == user_id))
            await conn.execute(users.delete().where(users.c.id == user_id))
        return removed

    async def set_password(self, user_id: str, password: str) -> None:
        """Set a new password and end every other way in: sessions and unused sign-in links."""
        if problem := check_new_password(password):
            raise BadRequest(problem)
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self.engine.begin() as conn:
            await conn.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))
            await conn.execute(sessions.delete().where(sessions.c.user_id == user_id))
            await conn.execute(signin_links.delete().where(signin_links.c.user_id == user_id))

    async def set_display_name(self, user_id: str, display_name: object) -> UserRecord:
        if not isinstance(display_name, str) or not display_name.strip() or len(display_name.strip()) > 100:
            raise BadRequest("A display name is 1 to 100 characters.")
        async with self.engine.begin() as conn:
            await conn.execute(users.update().where(users.c.id == user_id).values(display_name=display_name.strip()))
        return await self.get_user(user_id)

    async def check_password(self, username: str, password: str) -> UserRecord | None:
        """The user whose name and password these are, or None. Equally slow either way."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(users).where(users.c.username == username.strip().lower()))).first()
        stored = row.password_hash if row is not None and row.password_hash else dummy_hash()
        if not await asyncio.to_thread(verify_password, password, stored) or row is None or not row.password_hash:
            return None
        if needs_rehash(stored):
            new_hash = await asyncio.to_thread(hash_password, password)
            async with self.engine.begin() as conn:
                await conn.execute(users.update().where(users.c.id == row.id).values(password_hash=new_hash))
        return _user(row)

    async def claim_ownerless_apps(self, user_id: str) -> int:
        """Give apps made before accounts existed to `user_id`."""
        async with self.engine.begin() as conn:
            result = await conn.execute(apps.update().where(apps.c.owner_id.is_(None)).values(owner_id=user_id))
            return result.rowcount or 0

    # ---- sessions ---------------------------------------------------------------------------

    async def create_session(self, user_id: str) -> str:
        """A new session; returns its id, which only the cookie carries."""
        session_id = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            await conn.execute(sessions.delete().where(sessions.c.expires_at < now))
            await conn.execute(sessions.insert().values(id_hash=digest(session_id), user_id=user_id, created_at=now, expires_at=now + SESSION_LIFETIME))
        return session_id

    async def session_user(self, session_id: str) -> UserRecord | None:
        query = sa.select(users).join(sessions, sessions.c.user_id == users.c.id).where(sessions.c.id_hash == digest(session_id), sessions.c.expires_at > datetime.now(UTC))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return _user(row) if row is not None else None

    async def end_session(self, session_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(sessions.delete().where(sessions.c.id_hash == digest(session_id)))

    # ---- one-time sign-in links -------------------------------------------------------------

    async def create_signin_link(self, user_id: str) -> str:
        """A token for /signin/{token}: works once, within SIGNIN_LINK_LIFETIME."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            await conn.execute(signin_links.delete().where(signin_links.c.expires_at < now))
            await conn.execute(signin_links.insert().values(token_hash=digest(token), user_id=user_id, created_at=now, expires_at=now + SIGNIN_LINK_LIFETIME, used_at=None))
        return token

    async def use_signin_link(self, token: str) -> UserRecord | None:
        """The link's user, marking it used; None when unknown, used or expired.

        One UPDATE guarded on `used_at IS NULL` decides, so two clicks at once cannot both win.
        """
        now = datetime.now(UTC)
        hashed = digest(token)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                signin_links.update()
                .where(signin_links.c.token_hash == hashed, signin_links.c.used_at.is_(None), signin_links.c.expires_at > now)
                .values(used_at=now)
            )
            if result.rowcount != 1:
                return None
            row = (await conn.execute(sa.select(users).join(signin_links, signin_links.c.user_id == users.c.id).where(signin_links.c.token_hash == hashed))).one()
        return _user(row)

    # ---- API tokens -------------------------------------------------------------------------

    async def create_token(self, user_id: str, name: str = "", expires_at: datetime | None = None) -> tuple[TokenRecord, str]:
        """A new API token; the secret is returned once and only its hash is kept."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(new_id(), user_id, (name or "API token").strip()[:100], datetime.now(UTC), expires_at, None, None)
        async with self.engine.begin() as conn:
            await conn.execute(
                api_tokens.insert().values(
                    id=record.id, token_hash=digest(secret), user_id=user_id, name=record.name, created_at=record.created_at, expires_at=expires_at, revoked_at=None, last_used_at=None
                )
            )
        return record, secret

    async def token_user(self, secret: str) -> UserRecord:
        """The user an API token stands for; Unauthorized, saying why, when it does not work."""
        # One query for the token and its user: this runs before every request a script makes.
        query = (
            sa.select(api_tokens, users.c.username, users.c.display_name, users.c.password_hash, users.c.created_at.label("user_created_at"))
            .join(users, users.c.id == api_tokens.c.user_id)
            .where(api_tokens.c.token_hash == digest(secret))
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            raise Unauthorized("This API token is not valid: check that it was copied whole, or make a new one with `toolsmith tokens create`.")
        token = _token(row)
        now = datetime.now(UTC)
        state = token.state(now)
        if state != "active":
            raise Unauthorized(f"This API token was {state}: make a new one with `toolsmith tokens create`.")
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            async with self.engine.begin() as conn:
                await conn.execute(api_tokens.update().where(api_tokens.c.id == token.id).values(last_used_at=now))
        return UserRecord(token.user_id, row.username, row.display_name, row.password_hash is not None, utc(row.user_created_at))  # type: ignore[arg-type]

    async def list_tokens(self, user_id: str | None = None) -> list[TokenRecord]:
        query = sa.select(api_tokens).order_by(api_tokens.c.created_at)
        if user_id is not None:
            query = query.where(api_tokens.c.user_id == user_id)
        async with self.engine.connect() as conn:
            return [_token(row) for row in await conn.execute(query)]

    async def revoke_token(self, token_id: str, user_id: str | None = None) -> TokenRecord:
        """Revoke a token (of `user_id`, when given); it stays listed as revoked."""
        condition = api_tokens.c.id == token_id
        if user_id is not None:
            condition = sa.and_(condition, api_tokens.c.user_id == user_id)
        async with self.engine.begin() as conn:
            row = (await conn.execute(sa.select(api_tokens).where(condition))).first()
            if row is None:
                raise NotFound(f"No API token {token_id!r}: `toolsmith tokens list` shows them.")
            if row.revoked_at is None:
                await conn.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(revoked_at=datetime.now(UTC)))
            row = (await conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id))).one()
        return _token(row)
