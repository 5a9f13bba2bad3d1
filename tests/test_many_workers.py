"""Many Toolsmith processes on one PostgreSQL and one Redis, through HTTP against real uvicorn servers.

Each `LiveServer` runs in a thread with an event loop of its own, and shares
nothing in memory with the other: only the database and Redis, as two
processes do. Server A takes no queue work (`worker_jobs=0`), so whatever A
is asked to generate is written by B, and everything A shows of it came
through Redis. Each test has a key prefix of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from arq.connections import ArqRedis
from httpx_sse import connect_sse
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.generation import GenerationQueue, RedisLiveRuns
from app.services import Services
from app.settings import Endpoint, Settings
from app.storage import Leases, Store, generation_leases, versions
from app.storage.leases import LOST_WORKER, NOBODY_FREE
from tests.conftest import LiveServer, _drop_postgres_database, _postgres_database, api_client, free_port
from tests.fakes.server import ServerProcess

REDIS_URL = os.environ.get("TOOLSMITH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _redis_or_skip() -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    finally:
        await redis.aclose()


async def _forget(prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def _shared_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        demo_delay=0.01,
        provider_retries=0,
        provider_timeout=10.0,
        redis_url=REDIS_URL,
        redis_prefix=f"toolsmith-test-{secrets.token_hex(4)}:",
        worker_lease=2.0,
    )


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Settings]:
    """Settings of processes that share a new PostgreSQL database and a Redis key prefix (sync tests)."""
    asyncio.run(_redis_or_skip())
    url = asyncio.run(_postgres_database())
    settings = _shared_settings(tmp_path, url)
    yield settings
    asyncio.run(_forget(settings.redis_prefix))
    asyncio.run(_drop_postgres_database(url))


@pytest.fixture
async def shared_async(tmp_path: Path) -> AsyncIterator[Settings]:
    """The same, for tests that run in the event loop."""
    await _redis_or_skip()
    url = await _postgres_database()
    settings = _shared_settings(tmp_path, url)
    yield settings
    await _forget(settings.redis_prefix)
    await _drop_postgres_database(url)


@pytest.fixture
def two(shared: Settings) -> Iterator[tuple[LiveServer, LiveServer]]:
    """A serves only; B serves and writes every generation."""
    b = LiveServer(shared).start()
    a = LiveServer(replace(shared, worker_jobs=0)).start()
    yield a, b
    a.stop()
    b.stop()


def _events(http: httpx.Client, url: str, headers: dict[str, str] | None = None, limit: int | None = None) -> list:
    events = []
    with connect_sse(http, "GET", url, headers=headers or {}) as source:
        for event in source.iter_sse():
            events.append(event)
            if event.event in ("done", "error") or (limit and len(events) >= limit):
                break
    return events


def _shape(events: list) -> list[str]:
    """Event names with each run of deltas as one: what a stream says, however its deltas were grouped."""
    names: list[str] = []
    for event in events:
        if not (event.event == "delta" and names and names[-1] == "delta"):
            names.append(event.event)
    return names


def _text(events: list) -> str:
    return "".join(json.loads(e.data)["text"] for e in events if e.event == "delta")


def test_a_generation_started_on_one_is_followed_and_resumed_on_the_other(two: tuple[LiveServer, LiveServer]) -> None:
    a, b = two
    with httpx.Client(base_url=a.url, timeout=30, headers=a.headers) as on_a, httpx.Client(base_url=b.url, timeout=30, headers=b.headers) as on_b:
        created = on_a.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})
        assert created.status_code == 202, created.text
        stream_url = created.json()["stream_url"]
        first = _events(on_b, stream_url, limit=5)
        middle = _events(on_a, stream_url, headers={"Last-Event-ID": first[-1].id}, limit=30)
        rest = _events(on_b, stream_url, headers={"Last-Event-ID": middle[-1].id})
        whole = _events(on_a, stream_url)  # from the start, on the process that did not write it
    ids = [int(e.id) for e in first + middle + rest[:-1]]  # `done` comes from the store, after the run's last event
    # A follower behind gets the deltas it missed as one, numbered as the last of them: ids may skip, never repeat.
    assert ids == sorted(set(ids)) and ids[0] == 1, "each resume goes on after the last event seen, whichever process answers"
    pieces = first + middle + rest
    assert _shape(whole) == _shape(pieces) and _text(whole) == _text(pieces), "the resumed stream tells what the whole one does"
    assert rest[-1].event == "done"
    version = json.loads(rest[-1].data)["version"]
    assert version["status"] == "complete" and version["prompt"] == "a tip calculator"
    deltas = "".join(json.loads(e.data)["text"] for e in first + middle + rest if e.event == "delta")
    assert version["html"] in deltas


@pytest.fixture
def two_with_a_model(shared: Settings) -> Iterator[tuple[LiveServer, LiveServer]]:
    """As `two`, with an OpenAI-compatible model besides the demo: fixes need a model that reads code."""
    with ServerProcess.module("tests.fakes.openai_server", "--delay", "0.005") as upstream:
        configured = replace(shared, endpoints=(Endpoint("fake", f"{upstream.url}/v1", models=("coder",)),))
        b = LiveServer(configured).start()
        a = LiveServer(replace(configured, worker_jobs=0)).start()
        yield a, b
        a.stop()
        b.stop()


def test_the_sandbox_of_one_draws_the_page_the_other_is_writing_and_follow_ups_and_fixes_go_through_it_too(two_with_a_model: tuple[LiveServer, LiveServer]) -> None:
    a, _ = two_with_a_model
    with httpx.Client(base_url=a.url, timeout=30, headers=a.headers) as on_a:
        created = on_a.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"}).json()
        seen = _events(on_a, created["stream_url"], limit=60)
        assert seen[-1].event == "delta", "the answer should still be under way"
        # A's sandbox host draws the page B is writing, from the events in Redis.
        preview_url = created["version"]["preview_url"]
        assert preview_url.startswith(a.sandbox_url)
        partial = httpx.get(preview_url, headers={"Sec-Fetch-Dest": "iframe"}, timeout=10)
        assert partial.status_code == 200
        assert "The page is being written" not in partial.text and "<html" in partial.text.lower()
        _events(on_a, created["stream_url"], headers={"Last-Event-ID": seen[-1].id})
        asked = on_a.post(f"/api/apps/{created['app']['id']}/versions", json={"prompt": "make it dark", "model": "demo"})
        assert asked.status_code == 202, asked.text
        done = _events(on_a, asked.json()["stream_url"])
        fix = on_a.post(f"/api/apps/{created['app']['id']}/versions", json={"errors": [{"message": "TypeError: total is undefined", "line": 3}], "model": "fake:coder"})
        assert fix.status_code == 202, fix.text
        fixed = _events(on_a, fix.json()["stream_url"])
    assert done[-1].event == "done"
    final = json.loads(done[-1].data)["version"]
    assert (final["status"], final["number"], final["parent_number"], final["prompt"]) == ("complete", 2, 1, "make it dark")
    assert fixed[-1].event == "done"
    fixed_version = json.loads(fixed[-1].data)["version"]
    assert (fixed_version["kind"], fixed_version["number"], fixed_version["runtime_errors"][0]["message"]) == ("fix", 3, "TypeError: total is undefined")


async def test_a_stop_request_reaches_the_process_running_the_version_and_returns_once_it_ended(shared_async: Settings) -> None:
    """`request_stop` on any process: the writer's `on_stop` handlers run where the run is, and the
    caller returns once the run's last event is out. A version no process has started is left to the caller."""
    store = Store.from_url(shared_async.resolved_database_url)
    await store.migrate()
    _, version = await store.create_app(title="Tip", prompt="a tip calculator", model="demo", system_prompt_hash=None)
    running_here = await RedisLiveRuns.connect(shared_async, store)
    elsewhere = await RedisLiveRuns.connect(shared_async, store)
    try:
        run = running_here.start(version.id)
        run.on_stop(lambda: run.publish("finished", {"status": "stopped"}))  # what the generator's handler ends with
        run.publish("status", {"status": "generating"})
        run.publish("delta", {"text": "<!DOCTYPE html>"})
        while await elsewhere.redis.xlen(running_here.stream_key(version.id)) < 2:
            await asyncio.sleep(0.01)
        assert await elsewhere.request_stop(version.id)
        assert run.stop_requested and run.finished
        assert [e.name for e in run.events] == ["status", "delta", "finished"]
        assert not await elsewhere.request_stop(version.id), "an ended run has nothing to stop"
        assert not await elsewhere.request_stop("v-queued"), "nobody writes it yet: the caller records the stop"
    finally:
        await running_here.close()
        await elsewhere.close()
        await store.close()


@pytest.mark.parametrize("worker", ["killed-host:4242:abc", None, "orphan"])
async def test_a_version_whose_lease_runs_out_fails_with_its_prompt_and_its_followers_hear(shared_async: Settings, worker: str | None) -> None:
    """A worker that stopped renewing (killed), a queued version nobody took in time, or one left
    generating by a single process before the database was shared: the other processes fail it
    with its prompt kept, and tell whoever follows it."""
    services = await Services.open(replace(shared_async, worker_jobs=0))
    try:
        tester = await services.accounts.create_user("tester")
        _, version = await services.store.create_app(title="Tip", prompt="a tip calculator", model="demo", system_prompt_hash=None, owner_id=tester.id)
        leases = Leases(services.store.engine)
        if worker == "orphan":
            async with services.store.engine.begin() as conn:
                await conn.execute(versions.update().values(created_at=datetime.now(UTC) - timedelta(minutes=2)))
        else:
            await leases.queued(version.id, until=datetime.now(UTC) + timedelta(minutes=10))
        if worker == "orphan":
            pass
        elif worker is not None:
            assert await leases.claim(version.id, worker, until=datetime.now(UTC) + timedelta(seconds=1))
            assert not await leases.claim(version.id, "another:1:def", until=datetime.now(UTC) + timedelta(seconds=1)), "a version has one worker"
        else:
            await leases.renew([version.id], "nobody", until=datetime.now(UTC))  # renews only its own worker's: no change
            async with services.store.engine.begin() as conn:
                await conn.execute(generation_leases.update().values(expires_at=datetime.now(UTC) + timedelta(seconds=1)))
        follower = services.live.follow(version.id)
        assert follower is not None
        events = [event async for event in follower]
        assert [e.name for e in events] == ["finished"]
        failed = await services.store.get_version_by_id(version.id)
        assert (failed.status, failed.prompt) == ("failed", "a tip calculator")
        assert failed.error == (NOBODY_FREE if worker is None else LOST_WORKER)
    finally:
        await services.close()


async def test_redis_is_refused_with_sqlite(settings: Settings) -> None:
    with pytest.raises(SystemExit, match="PostgreSQL"):
        await Services.open(replace(settings, redis_url=REDIS_URL))


async def test_without_redis_one_process_keeps_everything_in_memory(services: Services) -> None:
    assert services.work is None and services.generator.queue is None
    assert not isinstance(services.live, RedisLiveRuns)


async def test_a_queue_that_cannot_be_reached_answers_503_and_keeps_the_prompt(shared_async: Settings) -> None:
    services = await Services.open(replace(shared_async, worker_jobs=0))
    reachable = services.generator.queue
    assert reachable is not None
    # The same queue, on a port where no Redis listens: what a Redis that went away looks like.
    services.generator.queue = GenerationQueue(shared_async, ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1))
    try:
        async with api_client(shared_async, services) as http:
            answer = await http.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "queue_unavailable"
            assert "Redis" in answer.json()["error"]["message"]
            listed = (await http.get("/api/apps")).json()["apps"]
            versions_of = (await http.get(f"/api/apps/{listed[0]['id']}")).json()["versions"]
        assert [(v["status"], v["prompt"]) for v in versions_of] == [("failed", "a tip calculator")]
    finally:
        await services.generator.queue.close()
        services.generator.queue = reachable
        await services.close()
