"""What ordinary tools do works inside the sandbox, in every place a person opens an app: the
editor, a share link's view (a fresh browser with no cookies) and the app's raw address. A form
adds an item by click and by Enter; confirm() answers; a CSV the app makes is saved as a file
once the person confirms it in our page; a copy button reaches the clipboard; full screen works.
And what the sandbox stops is said in the problem strip, and carried by Fix."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from e2e.conftest import ToolsmithServer, server_env
from e2e.test_iterate import _fake_control, _fake_server

SHOPPING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Shopping list</title></head>
<body>
<h1>Shopping list</h1>
<form id="add"><label for="item">Item</label> <input id="item" name="item" autocomplete="off"> <button id="add-button">Add</button></form>
<ul id="items"></ul>
<p><button id="export" type="button">Export CSV</button> <button id="copy" type="button">Copy list</button> <button id="copy-old" type="button">Copy (the old way)</button>
<button id="full" type="button">Full screen</button> <button id="export-page" type="button">Export as a web page</button></p>
<p id="status" role="status"></p>
<p><a id="help" href="https://example.com/help">Help</a></p>
<script>
  const items = [];
  const list = document.getElementById("items");
  const status = document.getElementById("status");
  function render() {
    list.replaceChildren(...items.map((text, i) => {
      const li = document.createElement("li");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Delete";
      remove.setAttribute("aria-label", "Delete " + text);
      remove.addEventListener("click", () => {
        if (!confirm("Delete " + text + "?")) return;
        items.splice(i, 1);
        render();
      });
      li.append(text + " ", remove);
      return li;
    }));
  }
  document.getElementById("add").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("item");
    if (input.value.trim()) items.push(input.value.trim());
    input.value = "";
    render();
  });
  document.getElementById("export").addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob(["item\\n" + items.join("\\n") + "\\n"], { type: "text/csv" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "shopping.csv";
    link.click();
    URL.revokeObjectURL(url);
  });
  document.getElementById("export-page").addEventListener("click", () => {
    const link = document.createElement("a");
    link.href = "data:text/html," + encodeURIComponent("<h1>" + items.join(", ") + "</h1>");
    link.download = "list.html";
    document.body.append(link);
    link.click();
    link.remove();
  });
  document.getElementById("copy").addEventListener("click", async () => {
    await navigator.clipboard.writeText(items.join(", "));
    status.textContent = "Copied";
  });
  document.getElementById("copy-old").addEventListener("click", () => {
    const area = document.createElement("textarea");
    area.value = "old " + items.join(", ");
    document.body.append(area);
    area.select();
    status.textContent = document.execCommand("copy") ? "Copied the old way" : "Not copied";
    area.remove();
  });
  document.getElementById("full").addEventListener("click", async () => {
    await document.documentElement.requestFullscreen();
    status.textContent = document.fullscreenElement ? "Full screen" : "Not full screen";
    await document.exitFullscreen();
  });
</script>
</body></html>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolsmithServer]:
    running = ToolsmithServer(tmp_path_factory.mktemp("capabilities"), server_env(TOOLSMITH_DEMO_DELAY="0.005"))
    running.start()
    yield running
    running.stop()


def _import(page: Page, server: ToolsmithServer, html: str) -> dict:
    """The page as a new app of the owner's, imported as the home page imports it."""
    server.sign_in(page, "owner")
    csrf = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    response = page.request.post(server.url + "/api/import", data={"html": html}, headers={"X-CSRF-Token": csrf, "Origin": server.url})
    assert response.status == 201, response.text()
    return response.json()


# Where a person opens the app: the page to use and the app's frame in it.
def _editor(page: Page, browser: Browser, server: ToolsmithServer, app: dict) -> tuple[Page, FrameLocator]:
    page.goto(server.url + app["editor_url"])
    return page, page.frame_locator("[data-testid=preview-frame]")


def _share_view(page: Page, browser: Browser, server: ToolsmithServer, app: dict) -> tuple[Page, FrameLocator]:
    link = server.share(page, app["app"]["id"])
    viewer = browser.new_context().new_page()  # someone else's browser: no cookies of ours
    viewer.goto(link)
    return viewer, viewer.frame_locator("[data-testid=share-frame]")


def _raw_address(page: Page, browser: Browser, server: ToolsmithServer, app: dict) -> tuple[Page, FrameLocator]:
    page.goto(app["version"]["preview_url"])
    return page, page.frame_locator("iframe")


PLACES: dict[str, Callable[[Page, Browser, ToolsmithServer, dict], tuple[Page, FrameLocator]]] = {
    "editor": _editor,
    "share": _share_view,
    "raw": _raw_address,
}


@pytest.mark.parametrize("place", PLACES)
def test_forms_dialogs_downloads_copy_and_full_screen_work(place: str, page: Page, browser: Browser, server: ToolsmithServer, tmp_path: Path) -> None:
    app = _import(page, server, SHOPPING)
    host, frame = PLACES[place](page, browser, server, app)
    native_dialogs: list[str] = []
    host.on("dialog", lambda dialog: (native_dialogs.append(dialog.message), dialog.dismiss()))

    # A form with a submit handler: by click, and by Enter in its field.
    frame.locator("#item").fill("milk")
    frame.locator("#add-button").click()
    frame.locator("#item").fill("eggs")
    frame.locator("#item").press("Enter")
    expect(frame.locator("#items li")).to_have_count(2)
    expect(frame.locator("#items")).to_contain_text("milk")
    expect(frame.locator("#items")).to_contain_text("eggs")

    # confirm() asks inside the app; Cancel keeps the item, OK deletes it.
    frame.get_by_role("button", name="Delete milk").click()
    dialog = frame.locator("toolsmith-dialog dialog")
    expect(dialog).to_contain_text("Delete milk?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(frame.locator("#items li")).to_have_count(2)
    frame.get_by_role("button", name="Delete milk").click()
    expect(dialog).to_contain_text("This app asks")
    dialog.get_by_role("button", name="OK").click()
    expect(frame.locator("#items li")).to_have_count(1)
    expect(frame.locator("#items")).not_to_contain_text("milk")

    # The CSV the app makes: offered by our page with its name and size, saved at a click.
    frame.locator("#export").click()
    offer = host.get_by_test_id("save-offer")
    expect(offer).to_contain_text("This app made a file: shopping.csv (10 bytes).")
    with host.expect_download() as saving:
        offer.get_by_test_id("save-offer-save").click()
    download = saving.value
    assert download.suggested_filename == "shopping.csv"
    saved = tmp_path / "shopping.csv"
    download.save_as(saved)
    assert saved.read_text() == "item\neggs\n"
    expect(offer).to_be_hidden()

    # A web page the app writes would run outside the sandbox when opened: it is saved as text.
    frame.locator("#export-page").click()
    expect(offer).to_contain_text("This app made a file: list.html.txt (13 bytes).")
    with host.expect_download() as saving:
        offer.get_by_test_id("save-offer-save").click()
    assert saving.value.suggested_filename == "list.html.txt"

    # Copy reaches the clipboard: pasted back into the app's own field.
    frame.locator("#copy").click()
    expect(frame.locator("#status")).to_have_text("Copied")
    frame.locator("#item").fill("")
    frame.locator("#item").press("Control+V")
    expect(frame.locator("#item")).to_have_value("eggs")
    frame.locator("#copy-old").click()
    expect(frame.locator("#status")).to_have_text("Copied the old way")
    frame.locator("#item").fill("")
    frame.locator("#item").press("Control+V")
    expect(frame.locator("#item")).to_have_value("old eggs")
    frame.locator("#item").fill("")

    # Full screen from a click.
    frame.locator("#full").click()
    expect(frame.locator("#status")).to_have_text("Full screen")

    # What the sandbox stops is said: in the editor's problem strip, elsewhere above the app.
    frame.locator("#help").click()
    said = "This app tried to open another page (https://example.com/help); apps stay on their own page"
    if place == "editor":
        expect(host.get_by_test_id("runtime-errors")).to_contain_text("1 problem while running")
        host.get_by_test_id("runtime-errors").locator("summary").click()
        expect(host.get_by_test_id("runtime-error")).to_contain_text(said)
    else:
        expect(host.get_by_test_id("stopped-notice")).to_contain_text(said)
    expect(frame.locator("#items")).to_contain_text("eggs")  # the app is still there
    assert native_dialogs == []


STOPPED = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Stopped</title></head>
<body>
<h1>Stopped</h1>
<p><a id="away" href="https://example.com/elsewhere">Elsewhere</a>
<button id="popup" type="button">Open a window</button>
<a id="remote-file" href="https://example.com/report.csv" download>Report</a></p>
<form id="send" action="https://example.com/add" method="post"><input name="item" value="milk"><button id="send-button">Send</button></form>
<p id="alive">still here</p>
<script>
  document.getElementById("popup").addEventListener("click", () => window.open("https://example.com/popup"));
</script>
</body></html>"""


def _problems(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("runtime-errors").get_by_test_id("runtime-error")


def test_what_the_sandbox_stops_is_said_in_the_problem_strip_and_fix_carries_it(page: Page, browser: Browser, toolsmith_server: Callable[..., ToolsmithServer], fake_openai: str, tmp_path: Path) -> None:
    # Fix needs a model that reads code (the offline demo says it cannot): the fake one answers with the page as it was.
    server = _fake_server(toolsmith_server, fake_openai, tmp_path, TOOLSMITH_DEMO_DELAY="0.005")
    _fake_control(fake_openai, "/_fake/script", {"steps": [{"kind": "answer", "text": "```html\n" + STOPPED + "\n```\n"}]})
    app = _import(page, server, STOPPED)
    _, frame = _editor(page, browser, server, app)
    for control in ("#away", "#popup", "#remote-file", "#send-button"):
        frame.locator(control).click()
    # Nothing took the app away: each was stopped in the page, and said.
    expect(frame.locator("#alive")).to_have_text("still here")
    expect(_problems(page)).to_have_count(4)
    strip = page.get_by_test_id("runtime-errors")
    expect(strip).to_contain_text("4 problems while running")
    strip.locator("summary").click()
    expect(_problems(page).nth(0)).to_contain_text("This app tried to open another page (https://example.com/elsewhere); apps stay on their own page")
    expect(_problems(page).nth(1)).to_contain_text("This app tried to open a new window (https://example.com/popup)")
    expect(_problems(page).nth(2)).to_contain_text("This app tried to download https://example.com/report.csv; apps can only save files they make themselves.")
    expect(_problems(page).nth(3)).to_contain_text("This app's form tried to send what was typed to https://example.com/add")
    for n in range(4):
        expect(_problems(page).nth(n).locator(".runtime-error-kind")).to_have_text("Blocked")

    # Fix carries them to the model, each with what it stopped: from the strip's own button, as from the turn's.
    expect(page.locator(".turn[data-version='1']").get_by_test_id("fix-button")).to_have_text("Fix 4 errors")
    fix = strip.get_by_test_id("fix-button")
    expect(fix).to_have_text("Fix 4 errors")
    page.get_by_test_id("model-select").select_option("localai:coder-1")
    fix.click()
    expect(page.locator("[data-testid=version-item][data-version='2']")).to_have_attribute("data-status", "complete", timeout=30_000)
    response = page.request.get(f"{server.url}/api/apps/{app['app']['id']}/versions/2")
    version = response.json()["version"]
    assert version["kind"] == "fix"
    assert [(e["kind"], e["action"]) for e in version["runtime_errors"]] == [("blocked", "navigation"), ("blocked", "popup"), ("blocked", "download"), ("blocked", "form")]
    assert version["runtime_errors"][3]["message"].startswith("This app's form tried to send what was typed to https://example.com/add")


def test_a_page_that_navigates_itself_away_is_said_by_the_editor(page: Page, browser: Browser, server: ToolsmithServer) -> None:
    app = _import(page, server, """<!DOCTYPE html><title>Away</title><h1>Away</h1>
<button id="go" type="button" onclick="location.href = 'https://example.com/phish'">Go</button>""")
    _, frame = _editor(page, browser, server, app)
    frame.locator("#go").click()
    expect(_problems(page)).to_have_count(1)
    page.get_by_test_id("runtime-errors").locator("summary").click()
    expect(_problems(page).first).to_contain_text("This app tried to open another page (https://example.com")


LOOP = """<!DOCTYPE html><title>Nag</title><h1>Nag</h1>
<button id="nag" type="button">Nag</button>
<script>
  confirm("Asked at load, before anyone clicked?");
  document.getElementById("nag").addEventListener("click", () => {
    for (let i = 0; i < 1000; i++) alert("nag " + i);
  });
  setInterval(() => alert("tick"), 20);
</script>"""


def test_a_page_that_opens_dialogs_in_a_loop_locks_nothing(page: Page, browser: Browser, server: ToolsmithServer) -> None:
    app = _import(page, server, LOOP)
    native_dialogs: list[str] = []
    page.on("dialog", lambda dialog: (native_dialogs.append(dialog.message), dialog.dismiss()))
    _, frame = _editor(page, browser, server, app)
    dialog = frame.locator("toolsmith-dialog dialog")
    expect(dialog).to_contain_text("tick")
    # One at a time, a few waiting; the rest are stopped and said, and the few are soon answered.
    expect(_problems(page).filter(has_text="kept opening dialogs")).to_have_count(1)
    for _ in range(4):
        expect(frame.locator("toolsmith-dialog")).to_have_count(1)
        dialog.get_by_role("button", name="OK").click()
    expect(frame.locator("toolsmith-dialog")).to_have_count(0)
    frame.locator("#nag").click()
    expect(frame.locator("toolsmith-dialog")).to_have_count(0)
    expect(_problems(page).filter(has_text="before anyone clicked")).to_have_count(1)
    # The editor stays usable around it.
    page.get_by_test_id("tab-code").click()
    expect(page.get_by_test_id("code-view")).to_contain_text("Nag")
    assert native_dialogs == []


# A Markdown previewer as models write them: the rendered text goes into a frame of the page's own,
# by each of the three ways a preview pane is made. Each pane's own script tells the app what it
# shows, and the app writes that on the pane's element: the test reads it there, since the browser
# driver does not always keep track of a frame that navigates to a new blob: address at every key.
PREVIEWER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Previewer</title></head>
<body>
<textarea id="source" aria-label="Markdown"></textarea>
<iframe id="blob-pane" title="Preview (blob)"></iframe>
<iframe id="srcdoc-pane" title="Preview (srcdoc)"></iframe>
<iframe id="data-pane" title="Preview (data)"></iframe>
<script>
  const escapeHtml = (text) => text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  function render(markdown) {
    const body = markdown.split("\\n").map((line) => {
      const html = escapeHtml(line).replace(/\\*\\*(.+?)\\*\\*/g, "<strong>$1</strong>");
      return line.startsWith("# ") ? "<h1>" + html.slice(2) + "</h1>" : "<p>" + html + "</p>";
    }).join("");
    // The preview runs a script of its own too.
    return "<!DOCTYPE html><html><body>" + body + "<script>document.body.dataset.words = document.body.innerText.split(/\\\\s+/).filter(Boolean).length;" +
      "parent.postMessage({ shown: origin + ' ' + document.body.dataset.words + ' ' + document.body.innerHTML.split('<scr' + 'ipt')[0] }, '*')<\\/script></body></html>";
  }
  const panes = [...document.querySelectorAll("iframe")];
  addEventListener("message", (event) => {
    const pane = panes.find((frame) => frame.contentWindow === event.source);
    if (pane && typeof event.data?.shown === "string") pane.dataset.shown = event.data.shown;
  });
  const blobPane = document.getElementById("blob-pane");
  // Each URL is let go once the pane has shown the next one.
  blobPane.addEventListener("load", () => {
    for (const old of blobPane.dataset.old?.split(" ").filter(Boolean) || []) URL.revokeObjectURL(old);
    blobPane.dataset.old = "";
  });
  document.getElementById("source").addEventListener("input", (event) => {
    const html = render(event.target.value);
    if (blobPane.src) blobPane.dataset.old = ((blobPane.dataset.old || "") + " " + blobPane.src).trim();
    blobPane.src = URL.createObjectURL(new Blob([html], { type: "text/html" }));
    document.getElementById("srcdoc-pane").srcdoc = html;
    document.getElementById("data-pane").src = "data:text/html;charset=utf-8," + encodeURIComponent(html);
  });
</script>
</body></html>"""


def _expect_panes(frame: FrameLocator, expected: str) -> None:
    """Each pane of the app shows `expected`, as its own script said (the browser may be a
    keystroke behind at any moment, so this waits for the last one)."""
    for kind in ("blob", "srcdoc", "data"):
        expect(frame.locator(f"#{kind}-pane")).to_have_attribute("data-shown", expected, timeout=10_000)


@pytest.mark.parametrize("place", PLACES)
def test_a_preview_pane_of_the_apps_own_shows_what_the_person_types(place: str, page: Page, browser: Browser, server: ToolsmithServer) -> None:
    app = _import(page, server, PREVIEWER)
    host, frame = PLACES[place](page, browser, server, app)
    source = frame.locator("#source")
    expect(source).to_be_editable()
    # Pasted, then typed on: each change renders the panes anew (a keystroke at a time, the
    # blob pane navigates at every key).
    source.fill("# Notes\nBuy **milk**")
    # Rendered, its script run, and still inside the sandbox: an opaque origin, as the app's is.
    _expect_panes(frame, "null 3 <h1>Notes</h1><p>Buy <strong>milk</strong></p>")
    # Typed on, a key at a time: each key renders the panes anew. Chromium can drop the last of
    # blob: navigations that come faster than they load in any sandboxed (opaque-origin) frame,
    # ours or a plain one, leaving that pane a keystroke behind until the next change; so the
    # keys are checked on the srcdoc and data panes, and one change more on all three.
    source.press_sequentially(" and eggs", delay=100)
    typed = "null 5 <h1>Notes</h1><p>Buy <strong>milk</strong> and eggs</p>"
    for kind in ("srcdoc", "data"):
        expect(frame.locator(f"#{kind}-pane")).to_have_attribute("data-shown", typed, timeout=10_000)
    source.fill("# Notes\nBuy **milk** and eggs\nBread")
    _expect_panes(frame, "null 6 <h1>Notes</h1><p>Buy <strong>milk</strong> and eggs</p><p>Bread</p>")
    if place == "editor":
        # Nothing was refused: the problem strip has nothing to say of the panes.
        expect(host.get_by_test_id("runtime-errors")).not_to_contain_text("frame")
