"""Many generations at once through a real uvicorn and the fake upstream: every one completes, nothing answers 5xx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from app.settings import Endpoint, Settings
from tests.conftest import LiveServer
from tests.fakes.server import ServerProcess

AT_ONCE = 200


@pytest.fixture
def upstream() -> Iterator[ServerProcess]:
    """The fake OpenAI-compatible server in a process of its own, as a real provider would be."""
    with ServerProcess.module("tests.fakes.openai_server", "--delay", "0.01") as server:
        yield server


async def _generate(http: httpx.AsyncClient, number: int) -> dict:
    """One generation as a script makes it: create, then follow the stream to its last event."""
    created = await http.post("/api/apps", json={"prompt": f"tool number {number}", "model": "fake:coder"})
    assert created.status_code == 202, created.text
    event, last = "", None
    deltas = []
    async with http.stream("GET", created.json()["stream_url"]) as stream:
        assert stream.status_code == 200
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:])
                if event == "delta":
                    deltas.append(data["text"])
                elif event in ("done", "error"):
                    last = (event, data)
    assert last is not None, "the stream ended without its final event"
    return {"app_id": created.json()["app"]["id"], "final": last, "text": "".join(deltas)}


async def test_two_hundred_generations_at_once_all_complete(settings: Settings, upstream: ServerProcess, database_url: str) -> None:
    """On SQLite and on PostgreSQL (the `database_url` fixture)."""
    # One person follows all of them at once: above the default limit of open streams per person.
    configured = replace(settings, database_url=database_url, endpoints=(Endpoint("fake", f"{upstream.url}/v1", models=("coder",)),), streams_per_person=AT_ONCE)
    server = await asyncio.to_thread(lambda: LiveServer(configured).start())
    try:
        # Idle connections are dropped well before uvicorn's keep-alive timeout closes them under us.
        limits = httpx.Limits(max_connections=AT_ONCE + 10, max_keepalive_connections=AT_ONCE + 10, keepalive_expiry=1.0)
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=180, limits=limits) as http:
            results = await asyncio.gather(*(_generate(http, n) for n in range(AT_ONCE)))
            stored = await asyncio.gather(*(http.get(f"/api/apps/{r['app_id']}") for r in results))
            home = await http.get("/static/style.css")
    finally:
        await asyncio.to_thread(server.stop)
    assert home.status_code == 200
    for number, (result, response) in enumerate(zip(results, stored, strict=True)):
        event, data = result["final"]
        assert event == "done", data
        version = data["version"]
        assert version["status"] == "complete"
        # Each generation got its own answer, whole: the page names its own prompt, and the deltas carried all of it.
        assert f"<h1>Tool number {number}</h1>" in version["html"] or f"<h1>tool number {number}</h1>" in version["html"]
        assert version["html"] in result["text"]
        assert response.status_code == 200
        assert [v["status"] for v in response.json()["versions"]] == ["complete"]
