"""Pages that work opened directly work imported, in real Chromium: a file that starts with <style>
and holds a whole document in a script is kept as written and runs whole, and feature checks
answer truly. (Its preview pane, a nested frame of its own blob: document, stays refused: the
sandbox CSP's `frame-src 'none'`.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import ToolsmithServer, server_env

# An HTML playground as such tools are written: the page starts with its styles, keeps a starter
# document in a string, and renders what is typed into a frame of its own (refused here).
PLAYGROUND = """<style>body { font: 15px sans-serif } iframe { width: 100%; height: 120px }</style>
<title>Playground</title>
<textarea id="src"></textarea>
<button id="run">Run</button> <button id="run-data">Run as data:</button>
<p id="checks"></p>
<iframe id="out"></iframe>
<script>
const starter = `<!DOCTYPE html>
<html><head><title>Starter</title></head><body><h1>Hello from the starter</h1></body></html>`;
const src = document.getElementById("src");
src.value = starter;
const out = document.getElementById("out");
document.getElementById("run").onclick = () => { out.src = URL.createObjectURL(new Blob([src.value], { type: "text/html" })); };
document.getElementById("run-data").onclick = () => { out.src = "data:text/html," + encodeURIComponent(src.value); };
document.getElementById("checks").textContent = ("serviceWorker" in navigator ? "service workers" : "no service workers");
</script>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolsmithServer]:
    running = ToolsmithServer(tmp_path_factory.mktemp("imported"), server_env(TOOLSMITH_DEMO_DELAY="0.005"))
    running.start()
    yield running
    running.stop()


def test_a_playground_works_imported(page: Page, server: ToolsmithServer) -> None:
    server.sign_in(page, "owner")
    csrf = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    response = page.request.post(server.url + "/api/import", data={"html": PLAYGROUND}, headers={"X-CSRF-Token": csrf, "Origin": server.url})
    assert response.status == 201, response.text()
    app_id = response.json()["app"]["id"]
    assert page.request.get(f"{server.url}/api/apps/{app_id}/versions/1").json()["version"]["html"] == PLAYGROUND

    page.goto(f"{server.url}/apps/{app_id}")
    frame = page.frame_locator("[data-testid=preview-frame]")
    expect(frame.locator("#src")).to_have_value(
        '<!DOCTYPE html>\n<html><head><title>Starter</title></head><body><h1>Hello from the starter</h1></body></html>'
    )
    expect(frame.locator("#checks")).to_have_text("no service workers")

    # The page is the outer document, not the starter inside its script: its own title, its own
    # controls, and its script ran to the end (the checks line is its last statement).
    expect(frame.locator("title")).to_have_count(1)
    assert frame.locator("title").inner_text() == "Playground"
    expect(frame.locator("#run")).to_be_visible()
