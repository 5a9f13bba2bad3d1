"""Leases of queued generations: a worker claims a version, renews the claim while it writes, and a claim left to run out fails the version.

A version handed to the queue gets a lease row with no worker and the time by
which some worker must take it. The worker that takes it writes its name and
renews the time every few seconds. Any process may fail what has run out: a
worker that was killed or cut off stops renewing, so its versions end as
`failed`, prompt kept, within one lease of its last renewal, while the other
processes go on.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.storage.schema import generation_leases, versions

LOST_WORKER = "Toolsmith stopped before this answer finished. Send the prompt again."
ORPHAN_GRACE_SECONDS = 60  # a version saved this long ago with no lease was never handed to the queue
NOBODY_FREE = "No Toolsmith worker was free to write this version in time. Send the prompt again; if it keeps happening, whoever runs Toolsmith should start more workers."


class Leases:
    """Which worker writes which queued version, and until when."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def queued(self, version_id: str, *, until: datetime) -> None:
        """A version waits in the queue; some worker must take it by `until`."""
        async with self.engine.begin() as conn:
            await conn.execute(generation_leases.insert().values(version_id=version_id, worker=None, expires_at=until))

    async def claim(self, version_id: str, worker: str, *, until: datetime) -> bool:
        """Take a queued version; False when another worker took it or it has already ended."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                generation_leases.update()
                .where(generation_leases.c.version_id == version_id, generation_leases.c.worker.is_(None))
                .where(sa.exists().where(versions.c.id == version_id, versions.c.status == "generating"))
                .values(worker=worker, expires_at=until)
            )
            return bool(result.rowcount)

    async def renew(self, version_ids: Collection[str], worker: str, *, until: datetime) -> None:
        if not version_ids:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                generation_leases.update()
                .where(generation_leases.c.version_id.in_(list(version_ids)), generation_leases.c.worker == worker)
                .values(expires_at=until)
            )

    async def release(self, version_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(generation_leases.delete().where(generation_leases.c.version_id == version_id))

    async def fail_expired(self, now: datetime | None = None) -> list[str]:
        """Versions whose lease ran out become failed, prompt kept; returns their ids.

        Safe to run in every process at once: each version is failed by exactly one of them,
        because the update only takes rows still `generating`.
        """
        now = now or datetime.now(UTC)
        failed: list[str] = []
        async with self.engine.begin() as conn:
            for taken, error in ((True, LOST_WORKER), (False, NOBODY_FREE)):
                worker = generation_leases.c.worker.is_not(None) if taken else generation_leases.c.worker.is_(None)
                expired = sa.select(generation_leases.c.version_id).where(generation_leases.c.expires_at < now, worker)
                result = await conn.execute(
                    versions.update()
                    .where(versions.c.status == "generating", versions.c.id.in_(expired))
                    .values(status="failed", error=error, finished_at=now)
                    .returning(versions.c.id)
                )
                failed.extend(result.scalars())
            # Left generating with no lease at all: by a single process that ran before this database was
            # shared (every shared process writes the lease as it saves the version, so give that a moment).
            leased = sa.select(generation_leases.c.version_id)
            result = await conn.execute(
                versions.update()
                .where(versions.c.status == "generating", versions.c.created_at < now - timedelta(seconds=ORPHAN_GRACE_SECONDS), versions.c.id.not_in(leased))
                .values(status="failed", error=LOST_WORKER, finished_at=now)
                .returning(versions.c.id)
            )
            failed.extend(result.scalars())
            # Ended versions need no lease, however they ended.
            ended = sa.select(versions.c.id).where(versions.c.status != "generating")
            await conn.execute(generation_leases.delete().where(generation_leases.c.expires_at < now, generation_leases.c.version_id.in_(ended)))
        return failed
