"""One Toolsmith server, one canary and one Chromium per module, shared by its tests.

The Chromium is signed in as the owner of the server's apps (the `owner` fixture), as a
person who opens their own apps in the editor is: apps have cookies of ours to go after.

Chromium runs with a persistent profile, as people's browsers do: the off-the-record
contexts Playwright makes by default skip the network predictors (preconnect, DNS
prefetch), which are among the ways out tested here. It also writes its NetLog, and
resolves every `*.canary.test` name to the canary (see canary.py).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, sync_playwright

from e2e.conftest import CHROMIUM_ARGS, ToolsmithServer, server_env
from e2e.escapes.canary import HOST_RESOLVER_RULES, Canary, netlog_is_complete, resolutions_of_canary

# Pages named so run without our policy on purpose, to show the witnesses hear what gets out.
CONTROL = "control-"
# Pages named so run where docs/security.md says a way out stays open (a download opened from
# disk has no Connection-Allowlist): their tests say what the witnesses may hear.
OPEN = "open-"

# QUIC stays on: WebTransport is one of the ways out.
ARGS = [arg for arg in CHROMIUM_ARGS if arg != "--disable-quic"]


@dataclass
class Chromium:
    context: BrowserContext
    netlog: Path


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    listening = Canary()
    yield listening
    listening.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolsmithServer]:
    started = ToolsmithServer(tmp_path_factory.mktemp("toolsmith"), server_env())
    started.start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def secret() -> str:
    """Planted in our cookies and storage; no hostile page may ever see it."""
    return "secret-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def chromium(chromium_path: str, tmp_path_factory: pytest.TempPathFactory, canary: Canary) -> Iterator[Chromium]:
    folder = tmp_path_factory.mktemp("chromium")
    netlog = folder / "netlog.json"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            folder / "profile",
            executable_path=chromium_path,
            headless=True,
            args=[*ARGS, f"--host-resolver-rules={HOST_RESOLVER_RULES}", f"--log-net-log={netlog}"],
        )
        yield Chromium(context, netlog)
        context.close()
    # Complete only now: a lookup written late is still put down to its page.
    assert netlog_is_complete(netlog), f"Chromium left an unfinished NetLog at {netlog}"
    pages = {host: canary.name_of_host(host) for host in resolutions_of_canary(netlog)}
    looked_up = {host: name for host, name in pages.items() if not (name or "").startswith((CONTROL, OPEN))}
    assert not looked_up, f"Chromium resolved canary names: {looked_up}"


class PageServer:
    """Serves registered pages at /v/<label> with their headers, and redirects registered in
    `redirects` (label: where to); anything else answers "tick"."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.redirects: dict[str, str] = {}
        pages, redirects = self.pages, self.redirects

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                label = self.path.split("?")[0].removeprefix("/v/")
                if label in redirects:
                    self.send_response(303)
                    self.send_header("Location", redirects[label])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, headers = pages.get(label, (b"tick", {}))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.thread.join()


@pytest.fixture(scope="module")
def page_server() -> Iterator[PageServer]:
    """A server of another origin than ours, for pages the tests make up."""
    server = PageServer()
    yield server
    server.close()


@dataclass(frozen=True)
class Owner:
    """The owner of the server's apps: signed in in the module's Chromium, and with an API token."""

    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def owner(server: ToolsmithServer, chromium: Chromium) -> Owner:
    page = chromium.context.new_page()
    server.sign_in(page)
    page.close()
    return Owner(server.api_token())


def import_page(server: ToolsmithServer, owner: Owner, html: str, title: str) -> dict:
    """Imports a page as an app of the owner's through the API; returns the API's answer."""
    response = httpx.post(server.url + "/api/import", json={"html": html, "title": title}, headers=owner.headers, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def share(server: ToolsmithServer, owner: Owner, app_id: str) -> str:
    """A new share link to the app (the address of its share view)."""
    response = httpx.post(f"{server.url}/api/apps/{app_id}/shares", json={}, headers=owner.headers, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["share"]["url"]


