"""The end-to-end machinery works on its own: Chromium runs a page's script and we read the result."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

PAGE = b"""<!doctype html>
<title>smoke</title>
<p id="out">not run</p>
<script>document.getElementById("out").textContent = "script ran: " + 6 * 7;</script>
"""


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_chromium_runs_a_local_page(page: Page, local_url: str) -> None:
    page.goto(local_url)
    expect(page.locator("#out")).to_have_text("script ran: 42")
    assert page.title() == "smoke"
