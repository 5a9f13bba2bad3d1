"""Slow and idle clients: many idle streams and a reader that takes one byte at a time stall no one;
streams per person are limited, and a stream with nothing to send is closed after the idle timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from app.settings import Settings
from tests.conftest import LiveServer

STREAMS = 4  # TOOLSMITH_STREAMS_PER_PERSON here
IDLE = 1.0  # TOOLSMITH_STREAM_IDLE_TIMEOUT here


@pytest.fixture
def slow_server(settings: Settings) -> Iterator[LiveServer]:
    """The demo model writes one chunk every 2.5 s: its streams are idle most of the time."""
    server = LiveServer(replace(settings, demo_delay=2.5, streams_per_person=STREAMS, stream_idle_timeout=IDLE)).start()
    yield server
    server.stop()


def _token_for(server: LiveServer, name: str) -> dict[str, str]:
    import asyncio

    from app.services import Services

    async def make() -> str:
        services = await Services.open(server.settings)
        try:
            user = await services.accounts.create_user(name)
            return (await services.accounts.create_token(user.id, "slow clients"))[1]
        finally:
            await services.close()

    return {"Authorization": f"Bearer {asyncio.run(make())}"}


def _lines(answer: httpx.Response) -> list[str]:
    return [line for line in answer.iter_lines() if line]


def test_streams_per_person_are_limited_and_idle_ones_stall_no_one(slow_server: LiveServer) -> None:
    people = [slow_server.headers, _token_for(slow_server, "ada"), _token_for(slow_server, "bob")]
    with httpx.Client(base_url=slow_server.url, timeout=30) as http:
        urls = [http.post("/api/apps", json={"prompt": "a tip calculator"}, headers=who).json()["stream_url"] for who in people]
        opened: list[httpx.Response] = []
        try:
            for who, url in zip(people, urls, strict=True):
                for _ in range(STREAMS):
                    answer = http.send(http.build_request("GET", url, headers=who), stream=True)
                    assert answer.status_code == 200
                    opened.append(answer)
            # Twelve idle streams open: each person's next one is refused, and everything else answers.
            refused = http.get(urls[0], headers=people[0])
            assert refused.status_code == 429
            assert refused.json()["error"]["code"] == "too_many_streams"
            assert "TOOLSMITH_STREAMS_PER_PERSON" in refused.json()["error"]["message"]
            for who in people:
                assert http.get("/api/apps", headers=who).status_code == 200
                assert http.get("/api/models", headers=who).status_code == 200
        finally:
            for answer in opened:
                answer.close()
        # Closed ones give their places back.
        for _ in range(200):
            again = http.send(http.build_request("GET", urls[0], headers=people[0]), stream=True)
            again.close()
            if again.status_code == 200:
                break
            time.sleep(0.05)
        assert again.status_code == 200


def test_a_stream_with_nothing_to_send_is_closed_after_the_idle_timeout_and_resumes(slow_server: LiveServer) -> None:
    with httpx.Client(base_url=slow_server.url, headers=slow_server.headers, timeout=30) as http:
        url = http.post("/api/apps", json={"prompt": "a tip calculator"}).json()["stream_url"]
        with http.stream("GET", url) as answer:
            lines = _lines(answer)  # ends by itself: the server closed it
        assert "event: status" in lines
        assert not any(line in ("event: done", "event: error") for line in lines)
        last = [line for line in lines if line.startswith("id:")][-1].split(":", 1)[1].strip()
        with http.stream("GET", url, headers={"Last-Event-ID": last}) as answer:
            resumed = _lines(answer)
        assert "event: status" not in resumed  # it carried on after the last event it had


def test_a_reader_taking_one_byte_at_a_time_does_not_stall_others(settings: Settings) -> None:
    server = LiveServer(replace(settings, demo_delay=0.0, stream_idle_timeout=30.0)).start()
    try:
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as http:
            first = http.post("/api/apps", json={"prompt": "a tip calculator"}).json()
            host, port = server.url.removeprefix("http://").split(":")
            slow = socket.create_connection(("127.0.0.1", int(port)))
            request = f"GET {first['stream_url']} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {server.headers['Authorization']}\r\n\r\n"
            slow.sendall(request.encode())
            read = bytearray()
            done = threading.Event()

            def trickle() -> None:
                while not done.is_set() and len(read) < 400:
                    read.extend(slow.recv(1))
                    time.sleep(0.02)

            reader = threading.Thread(target=trickle)
            reader.start()
            try:
                # Meanwhile another generation is made and followed to its end, and the API answers.
                other = http.post("/api/apps", json={"prompt": "a unit converter"}).json()
                with http.stream("GET", other["stream_url"]) as answer:
                    assert "event: done" in _lines(answer)
                assert http.get("/api/apps").status_code == 200
            finally:
                done.set()
                reader.join()
                slow.close()
            # It was still on its first bytes while all of that was answered.
            assert read and b"HTTP/1.1 200".startswith(bytes(read[:12]))
            assert len(read) < 400
    finally:
        server.stop()
