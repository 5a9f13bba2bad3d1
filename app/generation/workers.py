"""Queue work in one process: taking generations off the queue, holding their leases, and failing those of lost workers.

Every process that shares a Redis runs one `QueueWork` (`toolsmith serve` and
`toolsmith worker` alike). It renews the leases of the versions it writes a
few times per lease, and fails, in any process's name, the versions whose
lease ran out: so a worker killed mid-generation leaves its versions `failed`
with their prompts within about one lease, and their followers are told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from arq.worker import Worker
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app.generation.generator import Generator
from app.generation.queue import GenerationQueue, Payload
from app.generation.redis_live import RedisLiveRuns
from app.settings import Settings
from app.storage import Leases

log = logging.getLogger("toolsmith.workers")


class QueueWork:
    """This process's share of the queue, and its watch over everyone's leases."""

    def __init__(self, settings: Settings, generator: Generator, queue: GenerationQueue, leases: Leases, live: RedisLiveRuns) -> None:
        self.settings = settings
        self.generator = generator
        self.queue = queue
        self.leases = leases
        self.live = live
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.running: set[str] = set()
        self._worker: Worker | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _until(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.settings.worker_lease)

    async def start(self) -> None:
        """Watch the leases; and take queue work, unless this process only serves (`worker_jobs` 0)."""
        self._tasks = [asyncio.create_task(self._keep())]
        if self.settings.worker_jobs > 0:
            self._worker = self.queue.worker(self._generate)
            self._tasks.append(asyncio.create_task(self._worker.async_run()))

    async def _generate(self, payload: Payload) -> None:
        version_id = str(payload["version_id"])
        if not await self.leases.claim(version_id, self.name, until=self._until()):
            return  # another worker has it, or it ended while it waited
        self.running.add(version_id)
        try:
            await self.generator.run_queued(payload)
        finally:
            self.running.discard(version_id)
            await self.leases.release(version_id)

    async def _keep(self) -> None:
        every = self.settings.worker_lease / 3
        while True:
            try:
                await self.leases.renew(set(self.running), self.name, until=self._until())
                for version_id in await self.leases.fail_expired():
                    log.warning("version %s lost its worker; marked failed", version_id)
                    await self.live.announce_finished(version_id, "failed")
            except (SQLAlchemyError, RedisError, OSError):
                log.exception("could not renew or check generation leases")
            await asyncio.sleep(every)

    async def stop(self) -> None:
        """Stop taking work; generations under way here are stopped and record themselves as failed."""
        if self._worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
