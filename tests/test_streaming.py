"""Streaming through a real uvicorn server: deltas as they come, resume, disconnects, previews."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from unittest.mock import patch

import httpx
import pytest
from httpx_sse import connect_sse

from app.settings import Settings
from sandbox.bridge import inject_bridge
from sandbox.headers import APP_SANDBOX
from tests.conftest import LiveServer


@pytest.fixture
def slow_server(settings: Settings):
    server = LiveServer(replace(settings, demo_delay=0.01)).start()
    yield server
    server.stop()


def _events(http: httpx.Client, url: str, headers: dict | None = None, limit: int | None = None) -> list:
    events = []
    with connect_sse(http, "GET", url, headers=headers or {}) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for event in source.iter_sse():
            events.append(event)
            if event.event in ("done", "error") or (limit and len(events) >= limit):
                break
    return events


def _create(http: httpx.Client, prompt: str = "a tip calculator") -> dict:
    response = http.post("/api/apps", json={"prompt": prompt, "model": "demo"})
    assert response.status_code == 202, response.text
    return response.json()


def test_deltas_stream_then_done_carries_the_version(slow_server: LiveServer) -> None:
    with httpx.Client(base_url=slow_server.url, timeout=30, headers=slow_server.headers) as http:
        created = _create(http)
        events = _events(http, created["stream_url"])
    names = [e.event for e in events]
    assert names[0] == "status" and names[-1] == "done"
    deltas = [json.loads(e.data)["text"] for e in events if e.event == "delta"]
    assert len(deltas) > 20, "the answer should arrive in many pieces"
    version = json.loads(events[-1].data)["version"]
    assert version["status"] == "complete"
    assert version["html"] in "".join(deltas)
    ids = [int(e.id) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_reconnecting_with_last_event_id_resumes_where_it_left(slow_server: LiveServer) -> None:
    with httpx.Client(base_url=slow_server.url, timeout=30, headers=slow_server.headers) as http:
        created = _create(http)
        first = _events(http, created["stream_url"], limit=5)
        rest = _events(http, created["stream_url"], headers={"Last-Event-ID": first[-1].id})
        whole = _events(http, created["stream_url"])
    assert int(rest[0].id) > int(first[-1].id)
    text = "".join(json.loads(e.data)["text"] for e in first + rest if e.event == "delta")
    assert json.loads(rest[-1].data)["version"]["html"] in text
    # Reconnecting after the end gets the whole answer and the final version; the two
    # halves put together are exactly that answer, nothing missed and nothing twice.
    assert whole[-1].event == "done"
    assert text == "".join(json.loads(e.data)["text"] for e in whole if e.event == "delta")


def test_a_client_that_falls_behind_gets_the_deltas_it_missed_as_one(slow_server: LiveServer) -> None:
    with httpx.Client(base_url=slow_server.url, timeout=30, headers=slow_server.headers) as http:
        created = _create(http)
        live = _events(http, created["stream_url"])
        late = _events(http, created["stream_url"])
    live_deltas = [json.loads(e.data)["text"] for e in live if e.event == "delta"]
    late_deltas = [json.loads(e.data)["text"] for e in late if e.event == "delta"]
    assert len(live_deltas) > 20
    # Every delta was published long ago: one event carries them all, numbered as the last.
    assert [e.event for e in late] == ["status", "delta", "done"]
    assert late_deltas == ["".join(live_deltas)]
    assert int(late[1].id) >= int([e for e in live if e.event == "delta"][-1].id)


def test_a_client_that_disconnects_does_not_lose_the_version(slow_server: LiveServer) -> None:
    with httpx.Client(base_url=slow_server.url, timeout=30, headers=slow_server.headers) as http:
        created = _create(http)
        _events(http, created["stream_url"], limit=3)  # then hang up
        deadline = time.monotonic() + 20
        while (version := http.get(f"/api/apps/{created['app']['id']}/versions/1").json()["version"])["status"] == "generating":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert version["status"] == "complete" and version["html"]


def test_finished_version_streams_its_final_event_at_once(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30, headers=live_server.headers) as http:
        imported = http.post("/api/import", json={"html": "<h1>hi</h1>"}).json()
        events = _events(http, f"/api/apps/{imported['app']['id']}/versions/1/stream")
    assert [e.event for e in events] == ["done"]
    assert json.loads(events[0].data)["version"]["html"] == "<h1>hi</h1>"  # an import is kept as written


def test_sandbox_serves_partial_page_while_generating_then_the_final_one(slow_server: LiveServer) -> None:
    with httpx.Client(base_url=slow_server.url, timeout=30, headers=slow_server.headers) as http:
        created = _create(http)
        preview = created["version"]["preview_url"]
        assert preview.startswith(slow_server.sandbox_url + "/v/")
        early = httpx.get(preview)
        assert early.status_code == 200
        assert early.headers["cache-control"] == "no-store"
        # Until the page's first words arrive the host shows a notice; then the page so far,
        # with the runtime bridge already in it.
        while "being written" in early.text:
            time.sleep(0.02)
            early = httpx.get(preview)
        assert early.headers["cache-control"] == "no-store"
        assert early.text.startswith("<!DOCTYPE html>") and '"toolsmith-bridge"' in early.text
        _events(http, created["stream_url"])
        final = httpx.get(preview)
        version = http.get(f"/api/apps/{created['app']['id']}/versions/1").json()["version"]
    assert final.text == inject_bridge(version["html"], slow_server.url)
    assert f"sandbox {APP_SANDBOX}" in final.headers["content-security-policy"]


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.items() if k not in ("date", "server"))


def test_a_finished_page_carries_an_etag_and_an_unchanged_one_answers_304(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30, headers=live_server.headers) as http:
        imported = http.post("/api/import", json={"html": "<h1>cached</h1>"}).json()
        other = http.post("/api/import", json={"html": "<h1>another</h1>"}).json()
    preview, other_preview = imported["version"]["preview_url"], other["version"]["preview_url"]
    first = httpx.get(preview)
    etag = first.headers["etag"]
    again = httpx.get(preview)
    assert (again.status_code, again.headers["etag"], again.text) == (200, etag, first.text)
    # The first load went through the routes, the next ones the hot path (sandbox/server.py
    # FreshPages): the same answer, header for header.
    assert _headers(again) == _headers(first)
    view = httpx.get(preview, headers={"Sec-Fetch-Dest": "document"})  # the top-level view: never the hot path
    assert view.status_code == 200 and "<h1>cached</h1>" not in view.text and "<iframe" in view.text
    assert "<h1>cached</h1>" in first.text and '"toolsmith-bridge"' in first.text
    unchanged = httpx.get(preview, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    # A 304 is still a response of the sandbox host, with all its headers.
    assert unchanged.headers["content-security-policy"].startswith("sandbox allow-scripts")
    # Another page has another tag, and the first page's tag does not stand for it.
    assert httpx.get(other_preview).headers["etag"] != etag
    assert httpx.get(other_preview, headers={"If-None-Match": etag}).status_code == 200
    # Without a valid signature the cached page is not served.
    unsigned = preview.split("?", 1)[0]
    assert httpx.get(unsigned).status_code == 404
    assert httpx.get(unsigned, headers={"If-None-Match": etag}).status_code == 404
    # Nor under another host name, however often its address was served before.
    refused = httpx.get(preview, headers={"Host": "rebound.example"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_host"
    # Nor once its hour is over: the address checked out before, its expiry is read every time.
    exp = int(re.search(r"[?&]exp=(\d+)", preview).group(1))  # type: ignore[union-attr]
    with patch("sandbox.server.time.time", return_value=exp + 1.0):
        assert httpx.get(preview).status_code != 200


def test_every_sandbox_response_is_sandboxed(live_server: LiveServer) -> None:
    for path in ("/v/not-a-token", "/", "/static/x.js"):
        response = httpx.get(live_server.sandbox_url + path)
        assert response.status_code == 404
        csp = response.headers["content-security-policy"]
        assert csp.startswith(f"sandbox {APP_SANDBOX}") and "allow-same-origin" not in csp
        assert "default-src 'none'" in csp and f"frame-ancestors {live_server.url}" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_main_origin_never_serves_generated_html(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30, headers=live_server.headers) as http:
        imported = http.post("/api/import", json={"html": "<h1 id=marker>generated</h1>"}).json()
        version = http.get(f"/api/apps/{imported['app']['id']}/versions/1")
        editor = http.get(imported["editor_url"])
    assert version.headers["content-type"] == "application/json"
    assert "marker" not in editor.text, "the editor embeds versions without their page"
