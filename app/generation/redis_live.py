"""Generations under way, shared between processes through Redis Streams.

The process that runs a generation keeps its `LiveRun` in memory, as
`LiveRuns` does, and copies every event to one Redis stream per version, with
the event's number as the entry id (`0-N`). A follower in any process reads
that stream from `Last-Event-ID`, so reconnecting to another process resumes
exactly where the client left off. Writes are batched per run in a pipeline,
off the path of the delta. Stop requests go out on a pub/sub channel that
every process listens to; the one running the version acts on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from app.errors import NotFound
from app.generation.live import LiveEvent, LiveRun, LiveRuns, Preview
from app.settings import Settings
from app.storage import Store

log = logging.getLogger("toolsmith.live")

KEEP_SECONDS = 24 * 3600  # a stream whose writer died without finishing is dropped after this

# Whether a version is still being written, asked of the store when a stream stays quiet.
StillGenerating = Callable[[str], Awaitable[bool]]


class _Writer:
    """Copies one run's events to its stream, in batches, in order."""

    def __init__(self, redis: Redis, key: str, base_key: str, base_html: str | None, linger: float, tasks: set[asyncio.Task[None]]) -> None:
        self._redis, self._key, self._base_key, self._base_html, self._linger = redis, key, base_key, base_html, linger
        self._pending: list[LiveEvent] = []
        self._task: asyncio.Task[None] | None = None
        self._tasks = tasks

    def __call__(self, event: LiveEvent) -> None:
        self._pending.append(event)
        if self._task is None:
            self._task = asyncio.create_task(self._flush())
            self._tasks.add(self._task)
            self._task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                async with self._redis.pipeline(transaction=False) as pipe:
                    for event in batch:
                        if event.id == 1:
                            pipe.expire(self._key, KEEP_SECONDS)
                            if self._base_html is not None:
                                pipe.set(self._base_key, self._base_html, ex=KEEP_SECONDS)
                        pipe.xadd(self._key, {"name": event.name, "data": json.dumps(event.data)}, id=f"0-{event.id}")
                        if event.name == "finished":
                            pipe.expire(self._key, int(self._linger))
                            pipe.expire(self._base_key, int(self._linger))
                    await pipe.execute()
        except RedisError:
            # Followers elsewhere fall back on the store, which the generator writes regardless.
            log.exception("could not copy live events to %s", self._key)
        finally:
            self._task = None


class RedisLiveRuns(LiveRuns):
    """`LiveRuns` whose runs any process can follow, preview and stop."""

    def __init__(self, redis: Redis, still_generating: StillGenerating, *, prefix: str = "toolsmith:", linger_seconds: float = 120.0, quiet_seconds: float = 2.0) -> None:
        super().__init__(linger_seconds)
        self.redis = redis
        self._still_generating = still_generating
        self._prefix = prefix
        self._quiet = quiet_seconds
        self._writes: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None

    @property
    def stop_channel(self) -> str:
        return f"{self._prefix}stop"

    def stream_key(self, version_id: str) -> str:
        return f"{self._prefix}run:{version_id}"

    def _base_key(self, version_id: str) -> str:
        return f"{self._prefix}run:{version_id}:base"

    @classmethod
    async def connect(cls, settings: Settings, store: Store) -> RedisLiveRuns:
        """Runs on the Redis of `settings`, asking `store` whether a quiet version still generates."""

        async def still_generating(version_id: str) -> bool:
            try:
                return (await store.get_version_by_id(version_id)).status == "generating"
            except NotFound:
                return False

        assert settings.redis_url is not None
        live = cls(Redis.from_url(settings.redis_url, decode_responses=True), still_generating, prefix=settings.redis_prefix)
        await live.open()
        return live

    async def open(self) -> None:
        """Start listening for stop requests; returns once subscribed, so none sent after is missed."""
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.stop_channel)
        self._listener = asyncio.create_task(self._listen(pubsub))

    def start(self, version_id: str, base_html: str | None = None) -> LiveRun:
        run = super().start(version_id, base_html)
        run.relay = _Writer(self.redis, self.stream_key(version_id), self._base_key(version_id), base_html, self._linger, self._writes)
        return run

    def follow(self, version_id: str, after: int = 0) -> AsyncIterator[LiveEvent] | None:
        local = super().follow(version_id, after)
        return local if local is not None else self._follow_stream(version_id, after)

    async def _follow_stream(self, version_id: str, after: int) -> AsyncIterator[LiveEvent]:
        key = self.stream_key(version_id)
        last = f"0-{max(after, 0)}"
        block: int | None = None  # the first look does not wait: a finished version's stream may be gone
        while True:
            reply = await self.redis.xread({key: last}, block=block, count=1000)
            if not reply:
                # A quiet stream: the version may have ended where no event says so (a lost worker, Redis trouble).
                if await self._still_generating(version_id):
                    block = int(self._quiet * 1000)
                    continue
                # Whoever ended it commits first and publishes its last events after: one more look
                # gives them to a follower that came in between.
                reply = await self.redis.xread({key: last}, count=1000)
                if not reply:
                    return
            for _, entries in reply:
                for entry_id, fields in entries:
                    last = entry_id
                    event = LiveEvent(int(entry_id.split("-", 1)[1]), fields["name"], json.loads(fields["data"]))
                    yield event
                    if event.name == "finished":
                        return

    async def preview(self, version_id: str) -> Preview | None:
        local = await super().preview(version_id)
        if local is not None:
            return local
        entries = await self.redis.xrange(self.stream_key(version_id))
        if not entries:
            return None
        replay = LiveRun(version_id, base_html=await self.redis.get(self._base_key(version_id)))
        for _, fields in entries:
            if not replay.finished:
                replay.publish(fields["name"], json.loads(fields["data"]))
        return Preview(replay.answer, replay.base_html)

    async def request_stop(self, version_id: str) -> bool:
        if self.get(version_id) is not None:
            return await super().request_stop(version_id)
        key = self.stream_key(version_id)
        entries = await self.redis.xrevrange(key, count=1)
        if not entries or entries[0][1]["name"] == "finished":
            return False  # not started by any worker yet, or already over
        await self.redis.publish(self.stop_channel, version_id)
        events = self._follow_stream(version_id, int(entries[0][0].split("-", 1)[1]))
        async for _ in events:
            pass  # until its writer, or the lease of a writer that died, ends it
        return True

    async def announce_finished(self, version_id: str, status: str) -> None:
        """Tell every follower of a version that ended without its writer (a lost worker)."""
        key = self.stream_key(version_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, {"name": "finished", "data": json.dumps({"status": status})}, id="0-*")
            pipe.expire(key, int(self._linger))
            await pipe.execute()

    async def _listen(self, pubsub: PubSub) -> None:
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                self.stop(str(message["data"]))
        finally:
            with contextlib.suppress(RedisError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated

    async def close(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await self._listener
        await self.redis.aclose()
