"""The queue of generations, on Redis with arq: whichever worker is free takes the next one.

A job is named by its version's id, so a version is queued at most once, and
is tried at most once: a worker that dies holding it does not hand it to
another (its lease, `app.storage.leases`, fails it instead). Jobs travel as
JSON, not arq's default pickle, so nothing read from Redis is ever run as code.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker, func

from app.settings import Settings

FUNCTION = "generate"
POLL_SECONDS = 0.1  # how often an idle worker looks for a job: the wait before a generation starts

Payload = dict[str, Any]


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _loads(data: bytes) -> Any:
    return json.loads(data)


class GenerationQueue:
    """Puts generations on the queue, and makes the workers that take them off."""

    def __init__(self, settings: Settings, pool: ArqRedis) -> None:
        self.settings = settings
        self.pool = pool

    @staticmethod
    def _redis_settings(settings: Settings) -> RedisSettings:
        assert settings.redis_url is not None
        return RedisSettings.from_dsn(settings.redis_url)

    @property
    def name(self) -> str:
        return f"{self.settings.redis_prefix}queue"

    @classmethod
    async def connect(cls, settings: Settings) -> GenerationQueue:
        pool = await create_pool(cls._redis_settings(settings), job_serializer=_dumps, job_deserializer=_loads, default_queue_name=f"{settings.redis_prefix}queue")
        return cls(settings, pool)

    async def put(self, version_id: str, payload: Payload) -> None:
        await self.pool.enqueue_job(FUNCTION, payload, _job_id=version_id, _expires=self.settings.queue_timeout)

    def worker(self, run: Callable[[Payload], Awaitable[None]]) -> Worker:
        """An arq worker that runs up to `worker_jobs` generations at once; signals stay with our command."""

        async def generate(ctx: dict[str, Any], payload: Payload) -> None:
            await run(payload)

        return Worker(
            functions=[func(generate, name=FUNCTION, max_tries=1)],
            queue_name=self.name,
            redis_settings=self._redis_settings(self.settings),
            handle_signals=False,
            max_jobs=self.settings.worker_jobs,
            job_timeout=24 * 3600,  # a generation is bounded by the provider's own timeouts, not here
            keep_result=0,
            poll_delay=POLL_SECONDS,
            retry_jobs=False,
            job_serializer=_dumps,
            job_deserializer=_loads,
            log_results=False,
        )

    async def close(self) -> None:
        await self.pool.aclose()
