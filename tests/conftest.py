"""Shared fixtures: settings on a fresh database, the app through HTTP, a real server."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.accounts.users import UserRecord
from app.cli.commands import MAIN_HTTP
from app.errors import BadRequest
from app.services import Services
from app.settings import Settings
from app.storage.store import Store
from app.web.server import create_app

POSTGRES_URL = os.environ.get("TOOLSMITH_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding tests marked `slow(minutes)` run first, the longest first (all of `tests` and `e2e`).

    scripts/test hands each worker a whole file at a time, in this order: a file that takes
    minutes, started last, would leave the other workers idle while it ends the run alone.
    """
    minutes: dict[Path, float] = {}
    for item in items:
        if (mark := item.get_closest_marker("slow")) is not None:
            minutes[item.path] = minutes.get(item.path, 0.0) + float(mark.args[0] if mark.args else 1)
    # The longest first; sorted is stable, so the order within each file stays.
    items.sort(key=lambda item: -minutes.get(item.path, 0.0))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_socket() -> socket.socket:
    """A socket bound to a free port and kept: a port only looked up and bound later may be taken
    by then (by another test worker's server or an outgoing connection)."""
    # As TCP (IPPROTO_TCP): asyncio sets TCP_NODELAY only then (see app/cli/workers.py).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def _postgres_database() -> str:
    """A new, empty PostgreSQL database for one test; dropped by the caller."""
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"toolsmith_test_{secrets.token_hex(6)}"
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except (OSError, sa.exc.OperationalError, sa.exc.DBAPIError) as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}")
    finally:
        await admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(url: str) -> None:
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'toolsmith.db'}"
        return
    url = await _postgres_database()
    yield url
    await _drop_postgres_database(url)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated store, on SQLite and on PostgreSQL."""
    opened = Store.from_url(database_url)
    await opened.migrate()
    yield opened
    await opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'toolsmith.db'}",
        demo_delay=0.0,
        provider_retries=0,
        provider_timeout=10.0,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    opened = await Services.open(settings)
    yield opened
    await opened.close()


@pytest.fixture
async def user(services: Services) -> UserRecord:
    """The person the `client` fixture acts for."""
    return await services.accounts.create_user("tester", display_name="Test Person")


@pytest.fixture
async def api_token(services: Services, user: UserRecord) -> str:
    _, secret = await services.accounts.create_token(user.id, "tests")
    return secret


@pytest.fixture
async def client(settings: Settings, services: Services, api_token: str) -> AsyncIterator[httpx.AsyncClient]:
    """The main app through HTTP, in process (fine for anything but streaming), as `user` with an API token."""
    transport = httpx.ASGITransport(app=create_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", headers={"Authorization": f"Bearer {api_token}"}) as http:
        yield http


@asynccontextmanager
async def api_client(settings: Settings, services: Services, user: UserRecord | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """The main app through HTTP as a script calls it: as `user` (by default a new one, `tester`) with an API token."""
    user = user or await services.accounts.create_user("tester")
    _, secret = await services.accounts.create_token(user.id, "tests")
    transport = httpx.ASGITransport(app=create_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", headers={"Authorization": f"Bearer {secret}"}) as http:
        yield http


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


@asynccontextmanager
async def browser_for(settings: Settings, services: Services, user: UserRecord | None = None, *, base_url: str = "http://localhost:8000") -> AsyncIterator[httpx.AsyncClient]:
    """A client that behaves as a browser on our pages: signed in as `user` through a real one-time
    link (or nobody), it sends Origin and Sec-Fetch-Site as Chromium does and the CSRF token of the
    page it loaded."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, services)), base_url=base_url) as http:
        if user is not None:
            link = await services.accounts.create_signin_link(user.id)
            assert (await http.get(f"/signin/{link}")).status_code == 303
        page = await http.get("/login", follow_redirects=True)
        match = CSRF_META.search(page.text)
        assert match, page.text[:500]
        http.headers.update({"X-CSRF-Token": match.group(1), "Origin": base_url, "Sec-Fetch-Site": "same-origin"})
        yield http


async def wait_for_version(client: httpx.AsyncClient, app_id: str, number: int, timeout: float = 15.0) -> dict:
    """Poll until a version is no longer generating; returns its JSON."""
    deadline = time.monotonic() + timeout
    while True:
        version = (await client.get(f"/api/apps/{app_id}/versions/{number}")).json()["version"]
        if version["status"] != "generating":
            return version
        if time.monotonic() > deadline:
            raise AssertionError(f"version {number} still generating after {timeout} s")
        await asyncio.sleep(0.02)


class LiveServer:
    """Toolsmith's two servers under real uvicorn in a thread, on free ports.

    It makes one user, `tester`, whose API token `headers` carries.
    """

    def __init__(self, settings: Settings) -> None:
        self._sockets = [listening_socket(), listening_socket()]
        ports = [sock.getsockname()[1] for sock in self._sockets]
        self.settings = replace(settings, port=ports[0], sandbox_port=ports[1])
        self.url = self.settings.resolved_public_url
        self.sandbox_url = self.settings.resolved_sandbox_url
        self._servers: list[uvicorn.Server] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None
        self.token = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _run(self) -> None:
        from sandbox.server import create_sandbox_app

        async def main() -> None:
            services = await Services.open(self.settings)
            try:
                # Servers that share one database (tests/test_many_workers.py) share their tester.
                try:
                    tester = await services.accounts.create_user("tester")
                except BadRequest:
                    tester = await services.accounts.get_user_by_name("tester")
                self.token = (await services.accounts.create_token(tester.id, "tests"))[1]
                self._servers = [
                    uvicorn.Server(uvicorn.Config(create_app(self.settings, services), host="127.0.0.1", port=self.settings.port, log_level="warning", timeout_graceful_shutdown=1, http=MAIN_HTTP)),
                    uvicorn.Server(uvicorn.Config(create_sandbox_app(services), host="127.0.0.1", port=self.settings.sandbox_port, log_level="warning", lifespan="off")),
                ]
                for server in self._servers:
                    server.config.setup_event_loop = lambda: None  # type: ignore[method-assign]
                await asyncio.gather(*(s.serve(sockets=[sock]) for s, sock in zip(self._servers, self._sockets, strict=True)))
            finally:
                await services.close()

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by wait_for_server
            self._error = exc

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not (len(self._servers) == 2 and all(s.started for s in self._servers)):
            if self._error or not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"Toolsmith did not start on port {self.settings.port}: {self._error!r}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.should_exit = True
        self._thread.join(timeout=10)
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings).start()
    yield server
    server.stop()
