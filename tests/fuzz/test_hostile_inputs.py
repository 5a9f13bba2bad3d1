"""What fuzzers leave out by default, sent to every operation of the description on a real server.

NUL bytes, unpaired surrogates, invalid UTF-8, deep nesting, huge numbers, huge strings, extra
fields, wrong types, odd methods and headers: on SQLite and PostgreSQL, no answer is a 5xx, every
4xx is a JSON error with a code of the description, and a refused request writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from app.web import create_app
from app.web.api.openapi import openapi_document
from app.web.api.schemas import error_codes
from tests.conftest import LiveServer

DOCUMENT = openapi_document(create_app(Settings()).routes)
OPERATIONS = [(method.upper(), path, operation) for path, methods in DOCUMENT["paths"].items() for method, operation in methods.items()]
CODES = set(error_codes())

DEEP = "[" * 100_000 + "]" * 100_000
# Field values no schema would send: as raw JSON text, so that escapes reach the server as sent.
VALUES = [
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"\\ud83d"',
    "1" + "0" * 4000,  # an integer of 4,001 digits
    "-" + "9" * 30,
    "1e999",
    "0.5",
    "2147483648",
    "true",
    "[]",
    "{}",
    '"' + "x" * 300_000 + '"',
    '"²"',
    '"../../etc/passwd"',
    '{"a": ' * 2000 + "1" + "}" * 2000,
]
BODIES: list[bytes] = [
    b"\xff\xfe\xfd",  # not UTF-8
    b'{"prompt": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8
    b'{"prompt": "a tip\x00calculator"}',
    DEEP.encode(),
    b"[]",
    b"null",
    b"12",
    b'"a string"',
    b'{"prompt": ' + b"1" * 5000 + b"}",
    b'{"prompt": 1e99999}',
    b"{" + b'"k": 1, ' * 10_000 + b'"prompt": "many keys"}',
    b'{"prompt": "x", "prompt": ["dup"]}',
]
QUERIES = ["q=%00", "q=%ff", "q=%ed%a0%80", "from=%C2%B2&to=1", "from=1&to=99999999999999999999", "q=" + "x" * 20_000, "a=1&a=2&a=3"]
HEADERS: list[dict[str, str | bytes]] = [
    {"Last-Event-ID": "²".encode()},
    {"Last-Event-ID": "9" * 40},
    {"Content-Type": "text/plain"},
    {"Content-Type": "application/json; charset=latin-1"},
    {"Accept": "text/html"},
    {"Authorization": "Bearer " + "x" * 5000},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Cookie": "toolsmith_session=" + "%ff" * 100},
    {"Cookie": "toolsmith_session=\xff\xfe".encode("latin-1")},
    {"Host": "localhost:²".encode()},
    {"Host": "evil.example"},
]
SEGMENTS = ["%00", "%ff%fe", "%ed%a0%80", "%C2%B2", "99999999999999999999999", "-1", "0", "1.5", "..%2f..", "%20", "a" * 3000]


@pytest.fixture
def hostile(database_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    settings = Settings(data_dir=tmp_path, database_url=database_url, demo_delay=0.0, provider_retries=0, provider_timeout=5.0)
    server = LiveServer(replace(settings)).start()
    try:
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as http:
            app_id = http.post("/api/import", json={"html": "<!DOCTYPE html><title>Target</title><h1>target</h1>"}).json()["app"]["id"]
            http.post(f"/api/apps/{app_id}/shares", json={}).raise_for_status()
        yield server, app_id
    finally:
        server.stop()


def _check(answer: httpx.Response, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        assert answer.headers.get("content-type", "").startswith("application/json"), f"{what}: {answer.status_code} is not JSON"
        code = answer.json()["error"]["code"]
        assert code in CODES, f"{what}: {code!r} is not a code of the description"
        assert answer.json()["error"]["message"], what


def _state(http: httpx.Client, app_id: str, path: str) -> Any:
    """What a refused request to `path` could have written: apps and their versions, the target's shares;
    the account and its tokens for the routes that change them."""
    # A generation an earlier request started may still be finishing: its end moves its app in the
    # list (newest first, 50 at most). Wait for it, so that only this request's writes can differ.
    for _ in range(100):
        listed = http.get("/api/apps").json()["apps"]
        if not any(a["latest_version"]["status"] == "generating" for a in listed):
            break
        time.sleep(0.05)
    state = [
        [(a["id"], a["version_count"]) for a in listed],
        [(s["id"], s["state"]) for s in http.get(f"/api/apps/{app_id}/shares").json()["shares"]],
    ]
    if path.startswith(("/api/me", "/api/tokens")):
        state += [http.get("/api/me").json(), [t["id"] for t in http.get("/api/tokens").json()["tokens"]]]
    return state


def _fill(path: str, app_id: str, segment: str | None = None) -> str:
    filled = path.replace("{app_id}", app_id).replace("{number}", "1")
    for name in ("{share_id}", "{token_id}", "{token}"):
        filled = filled.replace(name, "unknown")
    if segment is not None:
        filled = filled.rstrip("/").rsplit("/", 1)[0] + "/" + segment if "{" in path else filled + "/" + segment
    return filled


class _Sender:
    """Sends bodies and checks that each refused one wrote nothing. What was stored after a refusal
    is what was stored before it, so it stands as the "before" of the next request (to a route of
    the same kind) until one is accepted: half the reads of the state, and the same proof."""

    def __init__(self, http: httpx.Client, app_id: str) -> None:
        self.http, self.app_id = http, app_id
        self._known: dict[bool, Any] = {}  # by whether the state includes the account and its tokens

    def sends(self, method: str, path: str, body: bytes) -> None:
        kind = path.startswith(("/api/me", "/api/tokens"))
        url = _fill(path, self.app_id)
        before = self._known.pop(kind, None)
        if before is None:
            before = _state(self.http, self.app_id, path)
        self._known.clear()  # whatever this request writes, no other kind's state is known any more
        answer = self.http.request(method, url, content=body, headers={"Content-Type": "application/json"})
        what = f"{method} {url[:120]} body={body[:60]!r}"
        _check(answer, what)
        if answer.status_code >= 400:
            after = _state(self.http, self.app_id, path)
            assert after == before, f"{what} was refused but wrote something"
            self._known[kind] = after


@pytest.mark.slow
def test_bodies_no_schema_allows(hostile: tuple[LiveServer, str]) -> None:
    server, app_id = hostile
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as http:
        sender = _Sender(http, app_id)
        for method, path, operation in OPERATIONS:
            if "requestBody" not in operation:
                continue
            for body in BODIES:
                sender.sends(method, path, body)
            for field in operation["requestBody"]["content"]["application/json"]["schema"].get("properties", {}):
                for value in VALUES:
                    sender.sends(method, path, f'{{"{field}": {value}, "unexpected": {value}}}'.encode())


def test_addresses_methods_and_headers_no_schema_allows(hostile: tuple[LiveServer, str]) -> None:
    server, app_id = hostile
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as http:
        for method, path, _ in OPERATIONS:
            urls = [_fill(path, app_id, segment) for segment in SEGMENTS] if "{" in path else []
            urls += [f"{_fill(path, app_id)}?{query}" for query in QUERIES]
            for url in urls:
                _check(http.request(method, url, headers={"Content-Type": "application/json"}), f"{method} {url[:120]}")
            for odd in ("PROPFIND", "TRACE", "CONNECT", "FOO", "PUT"):
                if odd.lower() not in DOCUMENT["paths"][path]:
                    answer = http.request(odd, _fill(path, app_id))
                    _check(answer, f"{odd} {path}")
                    assert answer.status_code == 405 and answer.headers["allow"], f"{odd} {path}: {answer.status_code}"
            for headers in HEADERS:
                body = b'{"prompt": "x"}' if method in ("POST", "PATCH") else None
                answer = http.request(method, _fill(path, app_id), content=body, headers=headers)
                _check(answer, f"{method} {path} with {headers!r:.80}")
