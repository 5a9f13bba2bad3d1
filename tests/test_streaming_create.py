"""POST /api/apps/stream: a new app and its stream in one answer, through a real uvicorn server.

The model is asked while the prompt is written; these tests hold what that must not change: the
answer is the same stream, refusals write nothing, and rows that cannot be written cancel the call.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from app.settings import Endpoint, Settings
from tests.conftest import LiveServer
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.script import SSEResponse, Step


def _stream(http: httpx.Client, body: dict, headers: dict | None = None) -> list:
    with connect_sse(http, "POST", "/api/apps/stream", json=body, headers=headers or {}) as source:
        assert source.response.status_code == 200, source.response.read()
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [event for event in source.iter_sse()]


def _app_count(server: LiveServer) -> int:
    with httpx.Client(base_url=server.url, timeout=30, headers=server.headers) as http:
        return len(http.get("/api/apps").json()["apps"])


@pytest.fixture
def slow_server(settings: Settings):
    server = LiveServer(replace(settings, demo_delay=0.01)).start()
    yield server
    server.stop()


def test_one_request_gives_the_app_then_the_stream_a_get_would(slow_server: LiveServer) -> None:
    with httpx.Client(base_url=slow_server.url, timeout=30, headers=slow_server.headers) as http:
        events = _stream(http, {"prompt": "a tip calculator", "model": "demo"})
        created = json.loads(events[0].data)
        assert events[0].event == "created" and not events[0].id, "the first event is not one of the version's: resuming starts after it"
        assert created["stream_url"] == f"/api/apps/{created['app']['id']}/versions/1/stream"
        assert created["version"]["status"] == "generating" and created["version"]["preview_url"]
        assert [e.event for e in events[1:2]] == ["status"] and events[-1].event == "done"
        deltas = "".join(json.loads(e.data)["text"] for e in events if e.event == "delta")
        final = json.loads(events[-1].data)["version"]
        assert final["status"] == "complete" and final["html"] in deltas
        # The same version, followed again at its stream_url, resumes after the same event ids.
        middle = next(e for e in events if e.event == "delta")
        with connect_sse(http, "GET", created["stream_url"], headers={"Last-Event-ID": middle.id}) as source:
            rest = list(source.iter_sse())
        after = "".join(json.loads(e.data)["text"] for e in events if e.event == "delta" and int(e.id) > int(middle.id))
        assert "".join(json.loads(e.data)["text"] for e in rest if e.event == "delta") == after
        assert rest[-1].event == "done"
        assert http.get(f"/api/apps/{created['app']['id']}").json()["versions"][0]["status"] == "complete"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"prompt": ""}, 400, "invalid_prompt"),
        ({"prompt": 7}, 400, "invalid_prompt"),
        ({"prompt": "a clock", "model": "nobody:nothing"}, 400, "unknown_model"),
        ([], 400, "invalid_json"),
    ],
)
def test_a_refused_request_answers_json_and_writes_nothing(live_server: LiveServer, body: object, status: int, code: str) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30, headers=live_server.headers) as http:
        response = http.post("/api/apps/stream", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert _app_count(live_server) == 0


def test_one_stream_past_the_limit_is_refused_before_an_app_is_made(settings: Settings) -> None:
    server = LiveServer(replace(settings, demo_delay=2.5, streams_per_person=1)).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30, headers=server.headers) as http:
            with connect_sse(http, "POST", "/api/apps/stream", json={"prompt": "a clock", "model": "demo"}) as source:
                events = source.iter_sse()  # kept: a dropped iterator would hand its half-read connection back
                assert next(events).event == "created"
                refused = http.post("/api/apps/stream", json={"prompt": "a timer", "model": "demo"})
                assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_streams"
                assert [a["title"] for a in http.get("/api/apps").json()["apps"]] == ["A clock"]
    finally:
        server.stop()


def test_rows_that_cannot_be_written_cancel_the_model_call(settings: Settings, tmp_path: Path) -> None:
    """A real failing write (the database refuses every new app) while the model is already being asked."""
    upstream = FakeOpenAI()
    with upstream.serve():
        upstream.script(Step(text="```html\n<!DOCTYPE html><p>never kept</p>\n```", chunk_size=1, delay=0.2))
        configured = replace(settings, endpoints=(Endpoint("fake", f"{upstream.url}/v1", models=("coder",)),))
        server = LiveServer(configured).start()
        try:
            database = sqlite3.connect(tmp_path / "toolsmith.db", isolation_level=None, check_same_thread=False)
            database.execute("CREATE TRIGGER refuse_apps BEFORE INSERT ON apps BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
            # Another process holds the write lock for a moment, so the model is surely asked first.
            database.execute("BEGIN IMMEDIATE")
            release = threading.Timer(1.5, lambda: database.execute("COMMIT"))
            release.start()
            abandoned = SSEResponse.abandoned
            with httpx.Client(base_url=server.url, timeout=30, headers=server.headers) as http:
                response = http.post("/api/apps/stream", json={"prompt": "a clock", "model": "fake:coder"})
                assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
            release.join()
            database.close()
            assert _app_count(server) == 0
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and SSEResponse.abandoned == abandoned:
                time.sleep(0.05)
            assert len(upstream.requests) == 1, "the model is asked while the rows are written"
            assert SSEResponse.abandoned == abandoned + 1, "the model call went on after its rows failed"
        finally:
            server.stop()
