"""The runtime bridge through a real Toolsmith: pages imported as apps, opened in the editor,
served by the sandbox host with its real headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import FrameLocator, Page, expect

from e2e.conftest import ToolsmithServer, pick_outline, server_env

# Every message the editor's window receives, recorded before the editor's own scripts run: once
# a message is here, the editor has judged it too. And the window events the editor tells its
# other features about the bridge with, in order.
RECORD_MESSAGES = """
window.__messages = [];
addEventListener("message", (event) => window.__messages.push(event.data && (event.data.message || event.data.text)));
window.__events = [];
for (const name of ["toolsmith:runtime-errors", "toolsmith:bridge", "toolsmith:picked", "toolsmith:pick-ended"]) {
  addEventListener(name, (event) => window.__events.push({ name, detail: event.detail }));
}
"""


def _events(page: Page, name: str) -> list[dict]:
    return page.evaluate("(name) => __events.filter((e) => e.name === name).map((e) => e.detail)", name)


def _last_errors(page: Page, version: int) -> list[dict] | None:
    """The entries of the last "toolsmith:runtime-errors" event about `version`, or None."""
    told = [e for e in _events(page, "toolsmith:runtime-errors") if e["version"] == version]
    return told[-1]["entries"] if told else None


def _tell(page: Page, name: str, detail: dict) -> None:
    page.evaluate("([name, detail]) => dispatchEvent(new CustomEvent(name, { detail }))", [name, detail])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolsmithServer]:
    """One server for the module: each test imports its own app."""
    running = ToolsmithServer(tmp_path_factory.mktemp("bridge"), server_env(TOOLSMITH_DEMO_DELAY="0.005"))
    running.start()
    yield running
    running.stop()


def _import(page: Page, server: ToolsmithServer, html: str) -> dict:
    """The page as a new app of the owner's, imported as the home page imports it: `page` signs in
    with a one-time link and posts with its CSRF token."""
    server.sign_in(page, "owner")
    csrf = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    response = page.request.post(server.url + "/api/import", data={"html": html}, headers={"X-CSRF-Token": csrf, "Origin": server.url})
    assert response.status == 201, response.text()
    return response.json()


def _open(page: Page, server: ToolsmithServer, html: str) -> FrameLocator:
    editor = server.url + _import(page, server, html)["editor_url"]
    page.add_init_script(RECORD_MESSAGES)
    page.goto(editor)
    return page.frame_locator("[data-testid=preview-frame]")


def _problems(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("runtime-errors").get_by_test_id("runtime-error")


FAULTY = """<!DOCTYPE html>
<html><head><title>Faulty</title></head>
<body>
<h1>Faulty</h1>
<script>
console.error("could not parse", {row: 3});
Promise.reject(new Error("saving failed"));
document.body.dataset.ready = "yes";
undefinedFunction();
</script>
<script src="https://cdn.example.com/lib.js"></script>
</body></html>"""


def test_problems_of_the_running_app_are_listed_in_the_editor(page: Page, server: ToolsmithServer) -> None:
    frame = _open(page, server, FAULTY)
    expect(frame.locator("h1")).to_have_text("Faulty")
    panel = page.get_by_test_id("runtime-errors")
    expect(_problems(page)).to_have_count(4)
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("4 problems while running")
    panel.locator("summary").first.click()

    error = _problems(page).filter(has_text="undefinedFunction")
    expect(error).to_contain_text("Uncaught ReferenceError: undefinedFunction is not defined")
    expect(error).to_contain_text("line 9, column 1")  # the line in the version's code
    expect(_problems(page).filter(has_text="console.error")).to_contain_text('could not parse {"row":3}')
    expect(_problems(page).filter(has_text="Unhandled rejection")).to_contain_text("Error: saving failed")
    expect(_problems(page).filter(has_text="Blocked")).to_contain_text(
        "This app tried to load a script from https://cdn.example.com/lib.js; apps cannot reach the network."
    )

    # The same list, told to the editor's other features (Fix) as a window event.
    entries = {entry["kind"]: entry for entry in _last_errors(page, 1) or []}
    assert sorted(entries) == ["console-error", "csp-violation", "error", "rejection"]
    assert entries["error"]["message"] == "Uncaught ReferenceError: undefinedFunction is not defined"
    assert (entries["error"]["line"], entries["error"]["column"]) == (9, 1)
    # The page is named without the signature that opens it.
    assert re.fullmatch(re.escape(server.sandbox_url) + r"/v/[\w-]+", entries["error"]["filename"])
    assert "undefinedFunction" in entries["error"]["stack"] and "sig=" not in entries["error"]["stack"]
    assert entries["console-error"] == {
        "kind": "console-error", "message": 'could not parse {"row":3}', "filename": None, "line": None, "column": None,
        "stack": None, "directive": None, "blockedURI": None, "action": None,
    }
    assert entries["rejection"]["message"] == "Error: saving failed"
    blocked = entries["csp-violation"]
    assert blocked["directive"] == "script-src-elem" and blocked["blockedURI"] == "https://cdn.example.com/lib.js"
    assert blocked["message"].startswith("This app tried to load a script from https://cdn.example.com/lib.js")
    assert _events(page, "toolsmith:bridge") == [{"pick": True}]


def test_a_refused_web_font_is_not_a_problem(page: Page, server: ToolsmithServer) -> None:
    """Google Fonts cannot load in the sandbox; the browser's own fonts stand in, so the editor lists
    only what is really wrong with the app."""
    frame = _open(page, server, """<!DOCTYPE html><html><head><title>Fonts</title>
<link rel="preconnect" href="https://fonts.googleapis.com">
<link href="https://fonts.googleapis.com/css2?family=Inter:wght@400;700&display=swap" rel="stylesheet">
<style>@import url("https://fonts.googleapis.com/css2?family=Roboto");</style>
</head><body><h1 style="font-family: Inter, sans-serif">Fonts</h1>
<script>missingFunction();</script></body></html>""")
    expect(frame.locator("h1")).to_have_text("Fonts")
    expect(_problems(page)).to_have_count(1)
    expect(_problems(page)).to_contain_text("missingFunction")
    assert not [e for e in _last_errors(page, 1) or [] if e["kind"] == "csp-violation"]


def test_problems_belong_to_their_version_and_a_new_load_starts_afresh(
    page: Page, toolsmith_server, fake_openai: str, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    config = tmp_path / "toolsmith.toml"
    config.write_text(f'[endpoints.localai]\nbase_url = "{fake_openai}"\nmodels = ["coder-1"]\n')
    server = toolsmith_server(TOOLSMITH_CONFIG=str(config))
    frame = _open(page, server, FAULTY)
    expect(_problems(page)).to_have_count(4)

    # Version 2, written by the model, runs cleanly.
    page.get_by_test_id("followup-input").fill("a clean page")
    page.locator("#followup-model").select_option("localai:coder-1")
    page.get_by_test_id("followup-submit").click()
    expect(page.locator("[data-testid=version-item][data-version='2']")).to_have_attribute("data-status", "complete", timeout=30_000)
    expect(frame.locator("h1")).to_contain_text("a clean page")
    expect(page.get_by_test_id("runtime-errors")).to_be_hidden()
    assert not _last_errors(page, 2)

    page.locator("[data-testid=version-item][data-version='1']").click()
    expect(frame.locator("h1")).to_have_text("Faulty")
    expect(_problems(page)).to_have_count(4)  # reported again by the new load, not added up
    # Told afresh: emptied when the new load said it was ready, then each problem as it came.
    told = [len(e["entries"]) for e in _events(page, "toolsmith:runtime-errors") if e["version"] == 1]
    assert told == [1, 2, 3, 4, 0, 1, 2, 3, 4]
    page.locator("[data-testid=version-item][data-version='2']").click()
    expect(frame.locator("h1")).to_contain_text("a clean page")
    expect(page.get_by_test_id("runtime-errors")).to_be_hidden()
    page.reload()
    expect(page.get_by_test_id("runtime-errors")).to_be_hidden()
    page.locator("[data-testid=version-item][data-version='1']").click()
    expect(_problems(page)).to_have_count(4)


def test_a_version_being_written_lists_only_what_its_finished_page_reports(
    page: Page, toolsmith_server, fake_openai: str, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    config = tmp_path / "toolsmith.toml"
    config.write_text(f'[endpoints.localai]\nbase_url = "{fake_openai}"\nmodels = ["coder-1"]\n')
    server = toolsmith_server(TOOLSMITH_CONFIG=str(config))
    # Until its last line has arrived, the page calls halfWritten(); then finished(). Neither exists.
    written = (
        "<!DOCTYPE html>\n<html><head><title>Slow</title></head><body><h1>Slow</h1>\n"
        "<script>addEventListener('DOMContentLoaded', () => document.getElementById('end') ? finished() : halfWritten());</script>\n"
        + "<p>Some text of the page, arriving slowly.</p>\n" * 80
        + "<p id=end>The end.</p></body></html>"
    )
    steps = {"steps": [{"kind": "answer", "text": f"```html\n{written}\n```", "delay": 0.05, "chunk_size": 40}]}
    assert httpx.post(fake_openai.removesuffix("/v1") + "/_fake/script", json=steps).status_code < 300
    frame = _open(page, server, "<!DOCTYPE html><h1>Start</h1>")
    page.get_by_test_id("followup-input").fill("a slow page")
    page.locator("#followup-model").select_option("localai:coder-1")
    page.get_by_test_id("followup-submit").click()

    page.wait_for_function("() => __messages.some(m => typeof m === 'string' && m.includes('halfWritten'))")
    panel_hidden = page.get_by_test_id("runtime-errors").is_hidden()
    still_writing = page.locator("[data-testid=version-item][data-version='2']").get_attribute("data-status") == "generating"
    assert still_writing, "the page should still be being written; make the scripted answer slower"
    assert panel_hidden, "problems of a half-written page are not listed"

    expect(page.locator("[data-testid=version-item][data-version='2']")).to_have_attribute("data-status", "complete", timeout=30_000)
    expect(frame.locator("#end")).to_be_visible()
    expect(_problems(page)).to_have_count(1)
    expect(_problems(page)).to_contain_text("finished is not defined")


def test_an_app_using_local_storage_works_in_the_sandbox(page: Page, server: ToolsmithServer) -> None:
    frame = _open(page, server, """<!DOCTYPE html><html><head><title>Notes</title></head><body>
<p id=out></p>
<script>
const saved = JSON.parse(localStorage.getItem("notes") || "[]");
saved.push("first note");
localStorage.setItem("notes", JSON.stringify(saved));
sessionStorage.visits = Number(sessionStorage.visits || 0) + 1;
document.cookie = "theme=dark";
out.textContent = [JSON.parse(localStorage.getItem("notes")).join(","), sessionStorage.visits, document.cookie].join(" | ");
</script></body></html>""")
    expect(frame.locator("#out")).to_have_text("first note | 1 | theme=dark")


def test_a_shared_app_has_the_bridge_and_its_viewer_shows_nothing_of_it(page: Page, server: ToolsmithServer) -> None:
    app = _import(page, server, """<!DOCTYPE html><html><head><title>Shared notes</title></head><body>
<p id=out></p>
<script>
localStorage.setItem("notes", "kept for this visit");
out.textContent = localStorage.getItem("notes");
notAFunction();
</script></body></html>""")
    link = server.share(page, app["app"]["id"])
    visitor = page.context.browser.new_context()  # someone else, with no cookies
    try:
        viewer = visitor.new_page()
        viewer.add_init_script(RECORD_MESSAGES)
        viewer.goto(link)
        # The bridge's storage keeps the app running in the share view too...
        expect(viewer.frame_locator("[data-testid=share-frame]").locator("#out")).to_have_text("kept for this visit")
        # ...and what it reports reaches the viewer's window, which has nothing to do with it.
        viewer.wait_for_function("() => __messages.some(m => typeof m === 'string' && m.includes('notAFunction'))")
        expect(viewer.get_by_test_id("share-title")).to_have_text("Shared notes")
        assert viewer.get_by_test_id("runtime-errors").count() == 0
        assert viewer.evaluate("() => __events") == []
    finally:
        visitor.close()


def test_an_error_message_is_shown_as_text_never_as_html(page: Page, server: ToolsmithServer) -> None:
    frame = _open(page, server, """<!DOCTYPE html><html><head><title>Sly</title></head><body><h1>Sly</h1><script>
throw new Error('<img src=x onerror="parent.document.title=1"><b>bold</b>');
</script></body></html>""")
    expect(frame.locator("h1")).to_have_text("Sly")
    expect(_problems(page)).to_have_count(1)
    expect(_problems(page)).to_contain_text('<img src=x onerror="parent.document.title=1"><b>bold</b>')
    assert page.get_by_test_id("runtime-errors").locator("img, b").count() == 0


FORGER = """<!DOCTYPE html><html><head><title>Forger</title></head><body>
<h1>Forger</h1>
<button id=fail onclick="throw new Error('genuine failure')">Fail</button>
<iframe srcdoc="<script>parent.parent.postMessage({source: 'toolsmith-bridge', v: 1, type: 'console-error', message: 'forged by a nested frame'}, '*')</script>"></iframe>
<script>
// The app's own window is our iframe's: what it says is shown, as text, and never obeyed.
parent.postMessage({source: "toolsmith-bridge", v: 1, type: "picked", selector: "body", tag: "body",
                    text: "forged pick: send this prompt", html: ""}, "*");
parent.postMessage({source: "toolsmith-bridge", v: 1, type: "navigate", message: "unknown type"}, "*");
parent.postMessage({source: "toolsmith-bridge", v: 1, type: "console-error", message: "said by the app itself"}, "*");
</script></body></html>"""


def test_forged_messages_are_ignored_and_none_is_obeyed(page: Page, server: ToolsmithServer) -> None:
    frame = _open(page, server, FORGER)
    expect(frame.locator("h1")).to_have_text("Forger")
    page.evaluate("""postMessage({source: "toolsmith-bridge", v: 1, type: "console-error",
                                  message: "forged by the editor's own window"}, "*")""")
    frame.locator("#fail").click()
    heard = ["forged by a nested frame", "forged pick: send this prompt", "unknown type", "said by the app itself",
             "forged by the editor's own window", "genuine failure"]
    page.wait_for_function(
        "texts => texts.every(t => __messages.some(m => typeof m === 'string' && m.includes(t)))", arg=heard
    )
    messages = _problems(page).locator(".runtime-error-message")
    expect(messages).to_have_text(["said by the app itself", "Uncaught Error: genuine failure"])
    # A pick nobody asked for changes nothing.
    expect(page.get_by_test_id("followup-input")).to_have_value("")
    expect(page.get_by_test_id("pick-element")).to_have_attribute("aria-pressed", "false")


PICKABLE = """<!DOCTYPE html><html><head><title>Counter</title></head><body>
<h1>Counter</h1>
<p>Count: <span id=count>0</span></p>
<button id="reset" onclick="count.textContent = +count.textContent + 1">Reset</button>
</body></html>"""


def test_pick_an_element_to_ask_about_it(page: Page, server: ToolsmithServer) -> None:
    frame = _open(page, server, PICKABLE)
    pick = page.get_by_test_id("pick-element")
    expect(frame.locator("h1")).to_have_text("Counter")
    expect(pick).to_be_enabled()

    pick.click()
    expect(pick).to_have_attribute("aria-pressed", "true")
    expect(pick_outline(frame)).to_be_attached()
    frame.locator("#reset").click()
    # The follow-up is scoped to the picked element.
    expect(page.get_by_test_id("followup-scope")).to_contain_text("About <button> “Reset” of v1")
    expect(pick).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("followup-input")).to_be_focused()
    expect(frame.locator("#count")).to_have_text("0")  # the app's own handler did not run
    html = '<button id="reset" onclick="count.textContent = +count.textContent + 1">Reset</button>'
    assert _events(page, "toolsmith:picked") == [{"selector": "button#reset", "tag": "button", "text": "Reset", "html": html}]

    # Escape, in the editor, gives clicks back to the app.
    pick.click()
    expect(pick).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(pick).to_have_attribute("aria-pressed", "false")
    expect(pick_outline(frame)).not_to_be_attached()
    frame.locator("#reset").click()
    expect(frame.locator("#count")).to_have_text("1")


def test_other_controls_pick_through_window_events(page: Page, server: ToolsmithServer) -> None:
    frame = _open(page, server, PICKABLE)
    pick = page.get_by_test_id("pick-element")
    expect(frame.locator("h1")).to_have_text("Counter")
    page.wait_for_function("() => __events.some((e) => e.name === 'toolsmith:bridge')")
    assert _events(page, "toolsmith:bridge") == [{"pick": True}]

    # "toolsmith:pick" starts a pick; the element picked is told, and only told.
    _tell(page, "toolsmith:pick", {"on": True})
    expect(pick).to_have_attribute("aria-pressed", "true")
    expect(pick_outline(frame)).to_be_attached()
    frame.locator("#count").click()
    page.wait_for_function("() => __events.some((e) => e.name === 'toolsmith:picked')")
    assert _events(page, "toolsmith:picked") == [{"selector": "span#count", "tag": "span", "text": "0", "html": '<span id="count">0</span>'}]
    expect(pick).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("followup-input")).to_have_value("")
    assert _events(page, "toolsmith:pick-ended") == []

    # {on: false} stops it; so does Escape in the app. Either way, the end is told.
    _tell(page, "toolsmith:pick", {"on": True})
    expect(pick).to_have_attribute("aria-pressed", "true")
    _tell(page, "toolsmith:pick", {"on": False})
    expect(pick).to_have_attribute("aria-pressed", "false")
    assert _events(page, "toolsmith:pick-ended") == [{}]
    expect(pick_outline(frame)).not_to_be_attached()
    frame.locator("#reset").click()
    expect(frame.locator("#count")).to_have_text("1")

    _tell(page, "toolsmith:pick", {"on": True})
    expect(pick).to_have_attribute("aria-pressed", "true")
    expect(pick_outline(frame)).to_be_attached()
    frame.locator("h1").press("Escape")
    expect(pick).to_have_attribute("aria-pressed", "false")
    page.wait_for_function("() => __events.filter((e) => e.name === 'toolsmith:pick-ended').length === 2")
    frame.locator("#reset").click()
    expect(frame.locator("#count")).to_have_text("2")
    assert len(_events(page, "toolsmith:picked")) == 1


def test_ping_reaches_the_bridge_of_a_served_version(page: Page, server: ToolsmithServer) -> None:
    # One of our own pages, with the editor's bridge module and one iframe of the sandbox host.
    version = _import(page, server, PICKABLE)["version"]
    answered = page.evaluate(
        """async (url) => {
            const { connectBridge } = await import("/static/bridge-host.js");
            const app = document.createElement("iframe");
            app.setAttribute("sandbox", "allow-scripts");
            document.body.append(app);
            const ready = new Promise((resolve) => { window.bridge = connectBridge(() => [app], { ready: resolve }); });
            app.src = url;  // after connecting: its "ready" must be heard
            await ready;
            return bridge.ping(app);
        }""",
        version["preview_url"],
    )
    assert answered is True
