"""The SQL of saved app data: one row per app and person, replaced whole at each save."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.appdata.items import chars_of
from app.storage import app_data, iso, utc


@dataclass(frozen=True)
class SavedData:
    """What one person's copy of one app keeps in localStorage."""

    items: dict[str, str]
    chars: int
    updated_at: datetime | None  # None: nothing saved yet

    def to_json(self, quota: int) -> dict[str, Any]:
        return {"local": self.items, "chars": self.chars, "quota": quota, "updated_at": iso(self.updated_at)}


EMPTY = SavedData({}, 0, None)


class AppData:
    """Each person's data for each app: the owner's in the editor, a signed-in viewer's on a share link."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, app_id: str, user_id: str) -> SavedData:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(app_data).where(app_data.c.app_id == app_id, app_data.c.user_id == user_id))).first()
        if row is None:
            return EMPTY
        return SavedData(json.loads(row.items), row.chars, utc(row.updated_at))

    async def put(self, app_id: str, user_id: str, items: dict[str, str]) -> SavedData:
        """Keep `items` (checked by app.appdata.check_items) in place of what was kept; nothing: the row goes."""
        if not items:
            await self.clear(app_id, user_id)
            return EMPTY
        now = datetime.now(UTC)
        # ASCII-escaped JSON: NUL and lone surrogates, legal in a JavaScript string, reach no database raw.
        chars = chars_of(items)
        values = {"items": json.dumps(items, ensure_ascii=True, separators=(",", ":")), "chars": chars, "updated_at": now}
        where = (app_data.c.app_id == app_id, app_data.c.user_id == user_id)
        try:
            async with self.engine.begin() as conn:
                updated = await conn.execute(app_data.update().where(*where).values(**values))
                if updated.rowcount == 0:
                    await conn.execute(app_data.insert().values(app_id=app_id, user_id=user_id, **values))
        except IntegrityError:
            # Another save of the same person's data made the row first (two tabs): this one replaces it.
            async with self.engine.begin() as conn:
                await conn.execute(app_data.update().where(*where).values(**values))
        return SavedData(items, chars, now)

    async def clear(self, app_id: str, user_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(app_data.delete().where(app_data.c.app_id == app_id, app_data.c.user_id == user_id))
