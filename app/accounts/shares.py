"""Share links: an unguessable token that shows one app's latest or pinned version to anyone who has it.

A share is checked at every use, on both origins, so revoking it or letting it
expire takes effect at once for the viewer page, the sandboxed page, source and
download alike.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.accounts.users import Accounts
from app.errors import BadRequest, NotFound
from app.storage import AppRecord, Store, VersionRecord, iso, new_id, shares, utc

_GONE = "This share link does not work: it may have been revoked, or it expired, or the address is mistyped. Ask its author for a new one."


def new_share_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


@dataclass(frozen=True)
class ShareRecord:
    id: str
    token: str
    app_id: str
    version_number: int | None  # None: the newest finished version, whenever it is opened
    show_author: bool
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= (now or datetime.now(UTC)):
            return "expired"
        return "active"

    def to_json(self, public_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "token": self.token,
            "url": f"{public_url}/s/{self.token}",
            "version": self.version_number,
            "show_author": self.show_author,
            "state": self.state(),
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
        }


@dataclass(frozen=True)
class Shared:
    """What a working share link shows."""

    share: ShareRecord
    app: AppRecord
    version: VersionRecord
    author: str | None  # the owner's display name, when they chose to show it


def _share(row: sa.Row[Any]) -> ShareRecord:
    return ShareRecord(row.id, row.token, row.app_id, row.version_number, bool(row.show_author), utc(row.created_at), utc(row.expires_at), utc(row.revoked_at))  # type: ignore[arg-type]


def shown_version(versions: list[VersionRecord]) -> VersionRecord | None:
    """What "the latest version" means to a viewer: the newest complete one, else the newest with a page."""
    with_page = [v for v in versions if v.html and v.status != "generating"]
    complete = [v for v in with_page if v.status == "complete"]
    pool = complete or with_page
    return max(pool, key=lambda v: v.number) if pool else None


class Shares:
    def __init__(self, store: Store, accounts: Accounts) -> None:
        self.store = store
        self.accounts = accounts
        self.engine = store.engine

    async def create(self, app_id: str, *, version_number: int | None, show_author: bool, expires_at: datetime | None) -> ShareRecord:
        """A new link to an app the caller already checked is theirs."""
        if version_number is not None:
            version = await self.store.get_version(app_id, version_number)
            if not version.html or version.status == "generating":
                raise BadRequest(f"Version {version_number} has no finished page to share: pick another version.")
        elif shown_version(await self.store.list_versions(app_id)) is None:
            raise BadRequest("This app has no finished version to share yet: wait for one, then share it.")
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise BadRequest("The expiry must be in the future.")
        record = ShareRecord(new_id(), new_share_token(), app_id, version_number, show_author, datetime.now(UTC), expires_at, None)
        async with self.engine.begin() as conn:
            await conn.execute(
                shares.insert().values(
                    id=record.id,
                    token=record.token,
                    app_id=app_id,
                    version_number=version_number,
                    show_author=show_author,
                    created_at=record.created_at,
                    expires_at=expires_at,
                    revoked_at=None,
                )
            )
        return record

    async def list_for_app(self, app_id: str) -> list[ShareRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(shares).where(shares.c.app_id == app_id).order_by(shares.c.created_at.desc()))
            return [_share(r) for r in rows]

    async def revoke(self, app_id: str, share_id: str) -> ShareRecord:
        async with self.engine.begin() as conn:
            condition = sa.and_(shares.c.app_id == app_id, shares.c.id == share_id)
            row = (await conn.execute(sa.select(shares).where(condition))).first()
            if row is None:
                raise NotFound("This app has no such share link.")
            if row.revoked_at is None:
                await conn.execute(shares.update().where(condition).values(revoked_at=datetime.now(UTC)))
            row = (await conn.execute(sa.select(shares).where(condition))).one()
        return _share(row)

    async def open(self, token: str) -> Shared:
        """What the link `token` shows now; NotFound, with one message, for unknown, revoked or expired."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(shares).where(shares.c.token == token))).first()
        share = _share(row) if row is not None else None
        if share is None or share.state() != "active":
            raise NotFound(_GONE)
        app = await self.store.get_app(share.app_id)
        if share.version_number is not None:
            version: VersionRecord | None = await self.store.get_version(app.id, share.version_number)
        else:
            version = shown_version(await self.store.list_versions(app.id))
        if version is None or not version.html:
            raise NotFound(_GONE)
        author = None
        if share.show_author and app.owner_id:
            author = (await self.accounts.get_user(app.owner_id)).display_name
        return Shared(share, app, version, author)
