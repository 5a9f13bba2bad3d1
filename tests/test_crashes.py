"""Crash consistency: `toolsmith serve` killed with SIGKILL during a generation, a follow-up, a hand
edit, a share and an import, then started again, on SQLite (WAL, synchronous=FULL) and PostgreSQL.

After every kill the store is consistent: nothing is left `generating`, no row is half-written (an
app has all its versions or none, each version's parent exists), every prompt sent is kept, and the
app still takes a follow-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.services import Services
from app.settings import ROOT, Settings
from app.storage import Store
from tests.conftest import free_port
from tests.fakes.server import wait_for_server


def _token(database_url: str, tmp_path: Path) -> str:
    async def make() -> str:
        services = await Services.open(Settings(data_dir=tmp_path, database_url=database_url))
        try:
            user = await services.accounts.create_user("ada")
            return (await services.accounts.create_token(user.id, "crash tests"))[1]
        finally:
            await services.close()

    return asyncio.run(make())


@contextmanager
def serving(database_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`toolsmith serve` as a person runs it; the caller kills it (or it is stopped at the end)."""
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOOLSMITH_", "ANTHROPIC_", "OPENAI_"))}
    env |= {"PYTHONPATH": str(ROOT), "TOOLSMITH_DEMO_DELAY": "0.02", "TOOLSMITH_DATA_DIR": str(tmp_path)}
    log = (tmp_path / "serve.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--sandbox-port", str(sandbox_port), "--database-url", database_url],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://localhost:{port}"
    try:
        wait_for_server(f"http://127.0.0.1:{port}", timeout=30, alive=lambda: process.poll() is None, output=lambda: (tmp_path / "serve.log").read_text())
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        log.close()


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def _stream_until_delta(http: httpx.Client, stream_url: str) -> None:
    with http.stream("GET", stream_url, timeout=30) as answer:
        for line in answer.iter_lines():
            if line.startswith("event: delta"):
                return


def _in_flight(send: Callable[[], Any]) -> None:
    """Send a request from another thread and return while it may still be in flight."""
    threading.Thread(target=lambda: _quietly(send), daemon=True).start()
    time.sleep(0.02)


def _quietly(send: Callable[[], Any]) -> None:
    try:
        send()
    except httpx.HTTPError:
        pass  # the server was killed under it


def _consistent(database_url: str, prompts: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Checks the store straight from the database; returns every app's versions by app id."""

    async def read() -> dict[str, list[dict[str, Any]]]:
        store = Store.from_url(database_url)
        try:
            async with store.engine.connect() as conn:
                apps = [dict(r._mapping) for r in await conn.execute(sa.text("SELECT * FROM apps"))]
                versions = [dict(r._mapping) for r in await conn.execute(sa.text("SELECT * FROM versions"))]
                shares = [dict(r._mapping) for r in await conn.execute(sa.text("SELECT * FROM shares"))]
        finally:
            await store.close()
        by_app: dict[str, list[dict[str, Any]]] = {a["id"]: [] for a in apps}
        for version in versions:
            assert version["app_id"] in by_app, f"version {version['id']} of no app"
            by_app[version["app_id"]].append(version)
        for app_id, history in by_app.items():
            numbers = {v["number"] for v in history}
            assert 1 in numbers, f"app {app_id} without its version 1"
            assert len(numbers) == len(history)
            for version in history:
                assert version["status"] != "generating", version
                assert version["parent_number"] is None or version["parent_number"] in numbers, version
                assert version["status"] != "complete" or version["html"], version
        for share in shares:
            assert share["app_id"] in by_app
        kept = {v["prompt"] for v in versions}
        assert set(prompts) <= kept, sorted(set(prompts) - kept)
        return by_app

    return asyncio.run(read())


def _export(versions: int) -> dict[str, Any]:
    page = "<!DOCTYPE html><title>Big</title>" + "<p>row</p>" * 500
    return {
        "format": "toolsmith.app",
        "format_version": 1,
        "exported_at": "2025-06-01T12:00:00+00:00",
        "app": {"title": "Big history", "created_at": "2025-06-01T12:00:00+00:00", "updated_at": "2025-06-01T12:00:00+00:00", "remixed_from_title": None},
        "versions": [
            {"number": n, "parent_number": n - 1 if n > 1 else None, "prompt": f"step {n}", "model": "demo", "html": page, "status": "complete", "created_at": "2025-06-01T12:00:00+00:00", "finished_at": "2025-06-01T12:00:00+00:00"}
            for n in range(1, versions + 1)
        ],
    }


@pytest.mark.slow
def test_killed_at_every_step_restarts_consistent(database_url: str, tmp_path: Path) -> None:
    token = _token(database_url, tmp_path)
    headers = {"Authorization": f"Bearer {token}"}
    prompts: list[str] = []

    # 1. In the middle of a generation.
    with serving(database_url, tmp_path) as (process, url), httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        prompts.append("a tip calculator that splits the bill")
        started = http.post("/api/apps", json={"prompt": prompts[-1]}).json()
        app_id = started["app"]["id"]
        _stream_until_delta(http, started["stream_url"])
        _kill(process)

    # 2. Started again (which ends what was left generating), then killed in the middle of a follow-up.
    with serving(database_url, tmp_path) as (process, url), httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        first = _consistent(database_url, prompts)[app_id]
        assert [(v["status"], v["error"]) for v in first] == [("failed", "Toolsmith stopped before this answer finished. Send the prompt again.")]
        prompts.append("a tip calculator, again")
        again = http.post(f"/api/apps/{app_id}/versions", json={"prompt": prompts[-1]}).json()
        _events_to_end(http, again["stream_url"])
        prompts.append("make it dark")
        follow = http.post(f"/api/apps/{app_id}/versions", json={"prompt": prompts[-1]}).json()
        _stream_until_delta(http, follow["stream_url"])
        _kill(process)

    # 3-5. While a hand edit, a share and an import are being written: each is there whole, or not at all.
    for name, send in (
        ("hand edit", lambda http: http.post(f"/api/apps/{app_id}/versions/2/hand-edit", json={"html": "<!DOCTYPE html><h1>by hand</h1>" + "<p>x</p>" * 20_000})),
        ("share", lambda http: http.post(f"/api/apps/{app_id}/shares", json={"show_author": True})),
        ("import", lambda http: http.post("/api/import", json={"export": _export(250)})),
    ):
        with serving(database_url, tmp_path) as (process, url), httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            by_app = _consistent(database_url, prompts)
            _in_flight(lambda send=send, http=http: send(http))
            _kill(process)
        for history in by_app.values():
            if any(v["prompt"] == "step 1" for v in history):
                assert len(history) == 250, f"before the {name}: an import kept {len(history)} of 250 versions"
    statuses = [v["status"] for v in sorted(by_app[app_id], key=lambda v: v["number"])]
    assert statuses[:3] == ["failed", "complete", "failed"]

    # Started again, the app works: a follow-up from its finished version completes.
    with serving(database_url, tmp_path) as (_, url), httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for history in _consistent(database_url, prompts).values():
            if any(v["prompt"] == "step 1" for v in history):
                assert len(history) == 250, f"an import kept {len(history)} of 250 versions"
        prompts.append("make the text bigger")
        last = http.post(f"/api/apps/{app_id}/versions", json={"prompt": prompts[-1], "parent": 2}).json()
        assert "stream_url" in last, last
        name, data = _events_to_end(http, last["stream_url"])
        assert name == "done" and data["version"]["status"] == "complete"
        _consistent(database_url, prompts)
    if make_url(database_url).get_backend_name() == "sqlite":
        database = make_url(database_url).database
        connection = sqlite3.connect(database)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            connection.close()


def _events_to_end(http: httpx.Client, stream_url: str) -> tuple[str, dict[str, Any]]:
    name = ""
    with http.stream("GET", stream_url, timeout=30) as answer:
        for line in answer.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name in ("done", "error"):
                return name, json.loads(line.split(":", 1)[1])
    raise AssertionError(f"{stream_url} ended without done or error")
