"""Two real `toolsmith serve` processes on one PostgreSQL and one Redis: a generation asked of one
is written by the other, followed and resumed through either; a writer killed with SIGKILL leaves
its version failed with its prompt, told by the survivor; `serve --workers 2` shares its ports.

Process A takes no queue work (TOOLSMITH_WORKER_JOBS=0), so B writes every generation and all A
shows of it comes through Redis and the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from httpx_sse import connect_sse

from app.storage.leases import LOST_WORKER
from e2e.conftest import ToolsmithServer, server_env
from tests.conftest import _drop_postgres_database, _postgres_database
from tests.test_many_workers import REDIS_URL, _forget, _redis_or_skip

Start = Callable[..., ToolsmithServer]
T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run async set-up in a thread of its own: Playwright leaves this one looking like a running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def shared_server(tmp_path: Path) -> Iterator[Start]:
    """Factory of Toolsmith processes that share one new PostgreSQL database and one Redis key prefix."""
    _run(_redis_or_skip())
    database_url = _run(_postgres_database())
    prefix = f"toolsmith-e2e-{secrets.token_hex(4)}:"
    servers: list[ToolsmithServer] = []

    def start(*serve: str, **extra_env: str) -> ToolsmithServer:
        env = server_env(**{"TOOLSMITH_REDIS_URL": REDIS_URL, "TOOLSMITH_REDIS_PREFIX": prefix, "TOOLSMITH_WORKER_LEASE": "2", "TOOLSMITH_DEMO_DELAY": "0.01", **extra_env})
        server = ToolsmithServer(tmp_path / f"server{len(servers)}", env, serve=(sys.executable, "-m", "app", "serve", *serve))
        server.db_url = database_url  # passed as --database-url to the server and its CLI
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
    _run(_forget(prefix))
    _run(_drop_postgres_database(database_url))


def _events(http: httpx.Client, url: str, headers: dict[str, str] | None = None, limit: int | None = None) -> list:
    events = []
    with connect_sse(http, "GET", url, headers=headers or {}) as source:
        for event in source.iter_sse():
            events.append(event)
            if event.event in ("done", "error") or (limit and len(events) >= limit):
                break
    return events


def test_created_on_one_followed_and_resumed_on_the_other(shared_server: Start) -> None:
    b = shared_server()
    a = shared_server(TOOLSMITH_WORKER_JOBS="0")
    auth = {"Authorization": f"Bearer {a.api_token()}"}
    with httpx.Client(base_url=a.url, timeout=30, headers=auth) as on_a, httpx.Client(base_url=b.url, timeout=30, headers=auth) as on_b:
        created = on_a.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})
        assert created.status_code == 202, created.text
        stream_url = created.json()["stream_url"]
        first = _events(on_a, stream_url, limit=10)
        rest = _events(on_b, stream_url, headers={"Last-Event-ID": first[-1].id})
        ids = [int(e.id) for e in first + rest[:-1]]
        # The writer hands a follower that fell behind the deltas it missed as one, numbered as the
        # last of them: ids may skip, never repeat, and the resume goes on after the last one seen.
        assert ids[0] == 1 and ids == sorted(set(ids)), ids
        assert rest[-1].event == "done"
        version = json.loads(rest[-1].data)["version"]
        assert version["status"] == "complete"
        assert version["html"] in "".join(json.loads(e.data)["text"] for e in first + rest if e.event == "delta")
        # Each process sees the other's app as its own: one database.
        assert on_b.get(f"/api/apps/{created.json()['app']['id']}").json()["versions"][0]["status"] == "complete"


def test_a_writer_killed_mid_generation_leaves_its_version_failed_with_its_prompt(shared_server: Start) -> None:
    b = shared_server(TOOLSMITH_DEMO_DELAY="0.2")  # slow enough to be killed in the middle
    a = shared_server(TOOLSMITH_WORKER_JOBS="0")
    auth = {"Authorization": f"Bearer {a.api_token()}"}
    prompt = "a tip calculator that splits the bill"
    with httpx.Client(base_url=a.url, timeout=30, headers=auth) as on_a:
        created = on_a.post("/api/apps", json={"prompt": prompt, "model": "demo"}).json()
        seen = _events(on_a, created["stream_url"], limit=5)
        assert seen[-1].event == "delta"
        b.kill()
        # The follower on A is told as soon as A sees B's lease run out (TOOLSMITH_WORKER_LEASE=2):
        # nobody restarts B, and this read would wait until its 30 s timeout for nothing else.
        ending = _events(on_a, created["stream_url"], headers={"Last-Event-ID": seen[-1].id})
        assert ending[-1].event == "error"
        error = json.loads(ending[-1].data)
        assert error["error"]["code"] == "generation_failed"
        version = on_a.get(f"/api/apps/{created['app']['id']}/versions/1").json()["version"]
    assert (version["status"], version["prompt"], version["error"]) == ("failed", prompt, LOST_WORKER)


def test_serve_with_two_workers_shares_its_ports_and_replaces_a_killed_process(shared_server: Start) -> None:
    many = shared_server("--workers", "2")
    # The parent says which processes it started once they are up: the port may answer a moment before.
    for _ in range(100):
        if line := re.search(r"2 processes, pids (\d+), (\d+)", many.output):
            break
        time.sleep(0.1)
    assert line, many.output
    auth = {"Authorization": f"Bearer {many.api_token()}"}
    with httpx.Client(base_url=many.url, timeout=30, headers=auth) as http:
        created = http.post("/api/apps", json={"prompt": "a dice roller", "model": "demo"}).json()
        assert _events(http, created["stream_url"])[-1].event == "done"
        os.kill(int(line.group(1)), signal.SIGKILL)
        replaced = re.compile(rf"process {line.group(1)} ended .*starting another")
        for _ in range(100):
            if replaced.search(many.output):
                break
            time.sleep(0.1)
        assert replaced.search(many.output), many.output
        again = http.post("/api/apps", json={"prompt": "a word counter", "model": "demo"}).json()
        assert _events(http, again["stream_url"])[-1].event == "done"
