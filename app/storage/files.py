"""The files a version's page names, kept with the version imported with them (table version_files)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.storage.schema import version_files


@dataclass(frozen=True)
class VersionFile:
    """One file as stored and served: its path relative to the page, its Content-Type and bytes."""

    path: str
    content_type: str
    data: bytes


async def insert_files(conn: AsyncConnection, version_id: str, files: Sequence[VersionFile]) -> None:
    """Within the caller's transaction, so a version and its files are written together or not at all."""
    if files:
        await conn.execute(version_files.insert(), [{"version_id": version_id, "path": f.path, "content_type": f.content_type, "size": len(f.data), "data": f.data} for f in files])


async def copy_files(conn: AsyncConnection, from_version_id: str, to_version_id: str) -> bool:
    """A copy of one version's files for another (a remix: a new app must not lean on the original,
    which its owner may delete). Whether there were any."""
    columns = [version_files.c.path, version_files.c.content_type, version_files.c.size, version_files.c.data]
    chosen = sa.select(sa.literal(to_version_id, sa.String(32)), *columns).where(version_files.c.version_id == from_version_id)
    result = await conn.execute(version_files.insert().from_select(["version_id", "path", "content_type", "size", "data"], chosen))
    return bool(result.rowcount)


class VersionFiles:
    """Reading the files of the versions that hold them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, version_id: str, path: str) -> VersionFile | None:
        query = sa.select(version_files.c.content_type, version_files.c.data).where(version_files.c.version_id == version_id, version_files.c.path == path)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else VersionFile(path, row.content_type, bytes(row.data))

    async def all(self, version_id: str) -> list[VersionFile]:
        query = sa.select(version_files).where(version_files.c.version_id == version_id).order_by(version_files.c.path)
        async with self.engine.connect() as conn:
            return [VersionFile(row.path, row.content_type, bytes(row.data)) for row in await conn.execute(query)]
