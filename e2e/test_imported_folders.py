"""A zip of a page and its files, imported through the API, runs in the editor's sandboxed frame:
its script, stylesheet and data come from under the version's own address, in real Chromium; and
the server's browser check, which serves the page itself, finds it working too."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

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


def test_a_zip_chosen_on_the_home_page_imports_with_its_files(page: Page, server: ToolsmithServer, tmp_path: Path) -> None:
    """The home page's import takes a zip as the API does, and the editor it opens says what the
    import left out (here: a second page, since an app is one page)."""
    # The page names a second page, so the import weighs it and says why it is not taken.
    page_with_link = FILES["index.html"].replace("</body>", '<a href="about.html">About</a></body>')
    chosen = tmp_path / "converter.zip"
    with zipfile.ZipFile(chosen, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**FILES, "index.html": page_with_link}.items():
            archive.writestr(name, text)
        archive.writestr("about.html", "<!DOCTYPE html><title>About</title><p>About</p>")

    server.sign_in(page, "owner")  # the server's printed link is good once, and another test had it
    page.goto(server.url + "/")
    page.locator("#import summary").click()
    page.get_by_test_id("import-file").set_input_files(str(chosen))
    page.get_by_test_id("import-title").fill("Miles to km")
    page.get_by_test_id("import-submit").click()
    expect(page).to_have_url(re.compile(r"/apps/\w+$"))
    expect(page.get_by_test_id("import-notice")).to_contain_text("“about.html” is another page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Miles to km")
    frame = page.frame_locator("[data-testid=preview-frame]")
    expect(frame.locator("body")).to_have_attribute("data-ready", "yes")
    frame.locator("#miles").fill("3")
    frame.locator("#miles").press("Tab")
    frame.locator("#convert").click()
    expect(frame.locator("#result")).to_have_text("4.83 km")
    # Said once: a reload of the editor does not say it again.
    page.reload()
    expect(frame.locator("#result")).to_have_text("…")
    expect(page.get_by_test_id("import-notice")).to_be_hidden()
