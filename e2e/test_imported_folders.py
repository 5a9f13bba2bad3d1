"""A zip of a page and its files, imported through the API, runs in the editor's sandboxed frame:
its script, stylesheet and data come from under the version's own address, in real Chromium; and
the server's browser check, which serves the page itself, finds it working too."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import ToolsmithServer, server_env

FILES = {
    "index.html": """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Unit converter</title>
<link rel="stylesheet" href="style.css"><script src="app.js" defer></script></head>
<body><label>Miles <input id="miles" type="number"></label> <button id="convert">Convert</button>
<p id="result">…</p></body></html>""",
    "style.css": "#result { color: rgb(0, 128, 0); font-weight: 700 }",
    # The factor is only in data.json: the answer proves the script ran and its fetch came back.
    "app.js": """let factors = null;
fetch("data.json").then((r) => r.json()).then((d) => { factors = d; document.body.dataset.ready = "yes"; });
document.getElementById("convert").addEventListener("click", () => {
  const miles = Number(document.getElementById("miles").value);
  document.getElementById("result").textContent = `${(miles * factors.km_per_mile).toFixed(2)} km`;
});""",
    "data.json": '{"km_per_mile": 1.609344}',
}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in FILES.items():
            archive.writestr("converter/" + name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[ToolsmithServer]:
    running = ToolsmithServer(tmp_path_factory.mktemp("folders"), server_env(TOOLSMITH_CHECKS="on", TOOLSMITH_CHROMIUM=chromium_path))
    running.start()
    yield running
    running.stop()


def test_an_imported_zip_runs_with_its_files(page: Page, server: ToolsmithServer) -> None:
    token = server.api_token()
    server.sign_in(page)
    response = page.request.post(
        server.url + "/api/import", data=_zip(), headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"}
    )
    assert response.status == 201, response.text()
    assert response.json()["files"] == ["app.js", "data.json", "style.css"]
    app_id = response.json()["app"]["id"]

    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{server.url}/apps/{app_id}")
    frame = page.frame_locator("[data-testid=preview-frame]")
    expect(frame.locator("body")).to_have_attribute("data-ready", "yes")
    frame.locator("#miles").fill("10")
    frame.locator("#convert").click()
    expect(frame.locator("#result")).to_have_text("16.09 km")
    expect(frame.locator("#result")).to_have_css("color", "rgb(0, 128, 0)")
    assert not [e for e in errors if "Content Security Policy" in e or "404" in e], errors
    # The check loads the page with its files as the sandbox host serves them: nothing is missing.
    chip = page.locator("[data-testid=version-item][data-version='1'] [data-testid=check-chip]")
    expect(chip).to_have_text("Passed", timeout=90_000)

    # Opened on its own, the address gives the top-level view, whose frame runs the same app.
    preview_url = page.request.get(f"{server.url}/api/apps/{app_id}/versions/1").json()["version"]["preview_url"]
    page.goto(preview_url)
    inner = page.frame_locator("iframe")
    inner.locator("#miles").fill("2")
    inner.locator("#convert").click()
    expect(inner.locator("#result")).to_have_text("3.22 km")
