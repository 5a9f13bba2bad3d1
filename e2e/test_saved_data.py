"""What apps keep in localStorage and sessionStorage lasts, in real Chromium against a real server:
across reloads, a restart of the server and new versions, in the editor and on share links, each
person with their own copy, and no app ever reaching another's or another person's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from e2e.conftest import ToolsmithServer, server_env

# A to-do list as models write them: read at load, synchronously; saved at each change.
TODO = """<!DOCTYPE html>
<html><head><title>To-do</title></head>
<body>
<h1>To-do</h1>
<input id="task" placeholder="Task"><button id="add">Add</button>
<ul id="list"></ul>
<p>Visits this tab: <span id="visits"></span></p>
<script>
const todos = JSON.parse(localStorage.getItem("todos") || "[]");
const visits = Number(sessionStorage.getItem("visits") || 0) + 1;
sessionStorage.setItem("visits", String(visits));
document.getElementById("visits").textContent = visits;
function render() {
  const list = document.getElementById("list");
  list.replaceChildren(...todos.map((t) => Object.assign(document.createElement("li"), { textContent: t })));
}
function add() {
  const input = document.getElementById("task");
  if (!input.value) return;
  todos.push(input.value);
  input.value = "";
  localStorage.setItem("todos", JSON.stringify(todos));
  render();
}
document.getElementById("add").addEventListener("click", add);
document.getElementById("task").addEventListener("keydown", (e) => { if (e.key === "Enter") add(); });
render();
</script>
</body></html>"""

# What the sandbox cannot give an app fails in a way the app can catch.
LIMITS = """<!DOCTYPE html>
<html><head><title>Limits</title></head>
<body>
<p id="quota"></p><p id="idb"></p><p id="sw"></p>
<script>
try {
  localStorage.setItem("big", "x".repeat(2000000));
  document.getElementById("quota").textContent = "kept";
} catch (e) {
  document.getElementById("quota").textContent = e.name + " " + (e instanceof DOMException);
}
try {
  indexedDB.open("db");
  document.getElementById("idb").textContent = "opened";
} catch (e) {
  document.getElementById("idb").textContent = e.name;
}
document.getElementById("sw").textContent = "serviceWorker" in navigator ? "has service workers" : "no service workers";
</script>
</body></html>"""

SECRET = "planted-secret-4471"

# One app plants data; the other looks everywhere an app could look for it.
PLANTER = f"""<!DOCTYPE html>
<html><head><title>Planter</title></head>
<body><p id="done"></p>
<script>
localStorage.setItem("secret", "{SECRET}");
sessionStorage.setItem("secret", "{SECRET}");
document.getElementById("done").textContent = "planted " + localStorage.getItem("secret");
</script>
</body></html>"""

READER = """<!DOCTYPE html>
<html><head><title>Reader</title></head>
<body><pre id="found"></pre>
<script>
const found = [];
const look = (what, read) => { try { found.push(what + "=" + String(read())); } catch (e) { found.push(what + " threw " + e.name); } };
look("local", () => JSON.stringify(Object.entries(localStorage)));
look("session", () => JSON.stringify(Object.entries(sessionStorage)));
look("name", () => window.name);
look("parent name", () => parent.name);
look("top name", () => top.name);
look("cookie", () => document.cookie);
look("opener", () => opener && opener.name);
// Asks the page around it for data as if it were the bridge: nothing answers with data.
addEventListener("message", (e) => found.push("message " + JSON.stringify(e.data)));
parent.postMessage({ source: "toolsmith-bridge", v: 1, type: "storage", area: "local", items: [["stolen", "no"]] }, "*");
setTimeout(() => { document.getElementById("found").textContent = found.join("\\n"); document.body.dataset.done = "1"; }, 300);
</script>
</body></html>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolsmithServer]:
    running = ToolsmithServer(tmp_path_factory.mktemp("saved-data"), server_env(TOOLSMITH_DEMO_DELAY="0.005"))
    running.start()
    yield running
    running.stop()


def _csrf(page: Page) -> str:
    return page.evaluate("document.querySelector('meta[name=csrf-token]').content")


def _import(page: Page, server: ToolsmithServer, html: str) -> str:
    response = page.request.post(server.url + "/api/import", data={"html": html}, headers={"X-CSRF-Token": _csrf(page), "Origin": server.url})
    assert response.status == 201, response.text()
    return response.json()["app"]["id"]


def _saved(page: Page, server: ToolsmithServer, url: str) -> dict[str, str]:
    """What the server keeps, as the signed-in person of `page` asks for it."""
    response = page.request.get(server.url + url)
    assert response.status == 200, response.text()
    return response.json()["local"]


def _wait_saved(page: Page, server: ToolsmithServer, url: str, key: str, text: str) -> None:
    """Until the server holds `text` under `key` (the editor saves a moment after a change)."""
    for _ in range(100):
        if text in _saved(page, server, url).get(key, ""):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{text!r} was never saved under {key!r}: {_saved(page, server, url)}")


def _add(frame: FrameLocator, *tasks: str) -> None:
    for i, task in enumerate(tasks):
        frame.locator("#task").fill(task)
        if i % 2:
            frame.locator("#task").press("Enter")
        else:
            frame.locator("#add").click()
    expect(frame.locator("#list li").last).to_have_text(tasks[-1])


def _editor_frame(page: Page) -> FrameLocator:
    return page.frame_locator("[data-testid=preview-frame]")


def test_a_to_do_list_lasts_across_reloads_restarts_and_new_versions(page: Page, server: ToolsmithServer) -> None:
    server.sign_in(page, "owner")
    app_id = _import(page, server, TODO)
    data_url = f"/api/apps/{app_id}/data"
    page.goto(f"{server.url}/apps/{app_id}")
    frame = _editor_frame(page)
    expect(frame.locator("#visits")).to_have_text("1")
    _add(frame, "milk", "bread")
    _wait_saved(page, server, data_url, "todos", "bread")

    # A reload of the editor: the app reads its list at load, and the tab's sessionStorage counts on.
    page.reload()
    expect(frame.locator("#list li")).to_have_text(["milk", "bread"])
    expect(frame.locator("#visits")).to_have_text("2")

    # A restart of the server.
    server.restart()
    page.goto(f"{server.url}/apps/{app_id}")
    expect(frame.locator("#list li")).to_have_text(["milk", "bread"])

    # A new version of the app (a hand edit) finds the same list.
    edited = TODO.replace("<h1>To-do</h1>", "<h1>My to-do</h1>")
    response = page.request.post(f"{server.url}/api/apps/{app_id}/versions/1/hand-edit", data={"html": edited}, headers={"X-CSRF-Token": _csrf(page), "Origin": server.url})
    assert response.status == 201, response.text()
    page.goto(f"{server.url}/apps/{app_id}")
    expect(frame.locator("h1")).to_have_text("My to-do")
    expect(frame.locator("#list li")).to_have_text(["milk", "bread"])
    _add(frame, "eggs")
    _wait_saved(page, server, data_url, "todos", "eggs")

    # The owner's panel shows what is kept, and clears it; the preview starts empty.
    page.get_by_test_id("data-button").click()
    panel = page.get_by_test_id("data-dialog")
    expect(panel.get_by_test_id("data-summary")).to_contain_text("1 key")
    expect(panel.get_by_test_id("data-item")).to_contain_text("milk")
    # The export carries it when asked to.
    export = page.request.get(f"{server.url}/api/apps/{app_id}/export?data=1").json()
    assert json.loads(export["data"]["local"]["todos"]) == ["milk", "bread", "eggs"]
    assert "data" not in page.request.get(f"{server.url}/api/apps/{app_id}/export").json()
    panel.get_by_test_id("data-clear").click()
    expect(panel.get_by_test_id("data-summary")).to_have_text("This app keeps nothing for you yet.")
    assert _saved(page, server, data_url) == {}
    panel.locator("#data-close").click()
    expect(frame.locator("h1")).to_have_text("My to-do")
    expect(frame.locator("#list li")).to_have_count(0)


def test_what_the_sandbox_cannot_give_fails_catchably(page: Page, server: ToolsmithServer) -> None:
    server.sign_in(page, "owner")
    app_id = _import(page, server, LIMITS)
    page.goto(f"{server.url}/apps/{app_id}")
    frame = _editor_frame(page)
    expect(frame.locator("#quota")).to_have_text("QuotaExceededError true")
    expect(frame.locator("#idb")).to_have_text("SecurityError")
    expect(frame.locator("#sw")).to_have_text("no service workers")
    # Both refusals are told to the person.
    problems = page.get_by_test_id("runtime-errors")
    expect(problems).to_contain_text("IndexedDB")
    expect(problems).to_contain_text("QuotaExceededError")
    assert _saved(page, server, f"/api/apps/{app_id}/data") == {}


@pytest.mark.slow
def test_share_viewers_each_keep_their_own_across_reloads_restarts_and_new_versions(page: Page, browser: Browser, server: ToolsmithServer) -> None:
    server.sign_in(page, "owner")
    app_id = _import(page, server, TODO)
    page.goto(f"{server.url}/apps/{app_id}")
    _add(_editor_frame(page), "owner's task")
    _wait_saved(page, server, f"/api/apps/{app_id}/data", "todos", "owner's task")
    link = server.share(page, app_id)
    token = link.rsplit("/", 1)[1]
    if "bob" not in server.cli("users", "list"):
        server.cli("users", "add", "bob", "--no-password")

    def viewer() -> tuple[Page, FrameLocator]:
        context = browser.new_context()
        view = context.new_page()
        return view, view.frame_locator("[data-testid=share-frame]")

    # Two anonymous viewers, each in their own browser: each starts empty and keeps their own.
    anna, anna_frame = viewer()
    ben, ben_frame = viewer()
    try:
        for view, frame, task in ((anna, anna_frame, "anna's task"), (ben, ben_frame, "ben's task")):
            view.goto(link)
            expect(frame.locator("#visits")).to_have_text("1")
            expect(frame.locator("#list li")).to_have_count(0)
            _add(frame, task)
        anna.reload()
        expect(anna_frame.locator("#list li")).to_have_text(["anna's task"])
        ben.reload()
        expect(ben_frame.locator("#list li")).to_have_text(["ben's task"])
        # Kept in their browser, under our origin, not by the server.
        kept = anna.evaluate("(key) => localStorage.getItem(key)", f"toolsmith-data:share:{token}")
        assert json.loads(json.loads(kept)["todos"]) == ["anna's task"]

        # A signed-in viewer's data is kept by the server, theirs alone.
        bob, bob_frame = viewer()
        server.sign_in(bob, "bob")
        bob.goto(link)
        expect(bob_frame.locator("#list li")).to_have_count(0)
        _add(bob_frame, "bob's task")
        _wait_saved(bob, server, f"/api/shares/{token}/data", "todos", "bob's task")
        bob.context.close()
        # In another browser, signed in as bob again: the server had it.
        bob, bob_frame = viewer()
        server.sign_in(bob, "bob")
        bob.goto(link)
        expect(bob_frame.locator("#list li")).to_have_text(["bob's task"])
        bob.context.close()

        # A new version of the app, then a restart of the server: each viewer still finds their own.
        edited = TODO.replace("<h1>To-do</h1>", "<h1>My to-do</h1>")
        response = page.request.post(f"{server.url}/api/apps/{app_id}/versions/1/hand-edit", data={"html": edited}, headers={"X-CSRF-Token": _csrf(page), "Origin": server.url})
        assert response.status == 201, response.text()
        server.restart()
        anna.goto(link)
        expect(anna_frame.locator("h1")).to_have_text("My to-do")
        expect(anna_frame.locator("#list li")).to_have_text(["anna's task"])
        bob, bob_frame = viewer()
        server.sign_in(bob, "bob")
        bob.goto(link)
        expect(bob_frame.locator("h1")).to_have_text("My to-do")
        expect(bob_frame.locator("#list li")).to_have_text(["bob's task"])
        bob.context.close()

        # The owner's copy is untouched by any of them.
        assert json.loads(_saved(page, server, f"/api/apps/{app_id}/data")["todos"]) == ["owner's task"]
        page.reload()
        expect(_editor_frame(page).locator("#list li")).to_have_text(["owner's task"])
    finally:
        anna.context.close()
        ben.context.close()


def _found(frame: FrameLocator) -> str:
    expect(frame.locator("body")).to_have_attribute("data-done", "1")
    return frame.locator("#found").inner_text()


def test_an_app_reaches_no_other_apps_data(page: Page, browser: Browser, server: ToolsmithServer) -> None:
    """A plants data in the editor, on a share link and at the raw address; B, opened in the same
    places by the same person, finds none of it, and a forged storage message writes only B's own."""
    server.sign_in(page, "owner")
    planter = _import(page, server, PLANTER)
    reader = _import(page, server, READER)
    page.goto(f"{server.url}/apps/{planter}")
    expect(_editor_frame(page).locator("#done")).to_have_text(f"planted {SECRET}")
    _wait_saved(page, server, f"/api/apps/{planter}/data", "secret", SECRET)
    planter_link = server.share(page, planter)
    reader_link = server.share(page, reader)

    places: dict[str, FrameLocator] = {}
    page.goto(f"{server.url}/apps/{reader}")
    places["editor"] = _editor_frame(page)

    visitor = browser.new_context()
    try:
        share = visitor.new_page()
        share.goto(planter_link)
        expect(share.frame_locator("[data-testid=share-frame]").locator("#done")).to_have_text(f"planted {SECRET}")
        share.goto(reader_link)
        places["share link"] = share.frame_locator("[data-testid=share-frame]")

        raw = visitor.new_page()
        api = page.request.get(f"{server.url}/api/apps/{planter}").json()
        raw.goto(api["versions"][0]["preview_url"])
        expect(raw.frame_locator("iframe").locator("#done")).to_have_text(f"planted {SECRET}")
        raw.goto(page.request.get(f"{server.url}/api/apps/{reader}").json()["versions"][0]["preview_url"])
        places["raw address"] = raw.frame_locator("iframe")

        for place, frame in places.items():
            found = _found(frame)
            assert SECRET not in found, f"{place}: {found}"
            assert re.search(r"^local=\[\]$", found, re.M), f"{place}: {found}"

        # The forged message from the reader wrote, at most, into the reader's own data.
        assert SECRET not in json.dumps(_saved(page, server, f"/api/apps/{reader}/data"))
        assert _saved(page, server, f"/api/apps/{planter}/data") == {"secret": SECRET}
    finally:
        visitor.close()


def _raw_address(page: Page, server: ToolsmithServer, app_id: str) -> str:
    """The app's address on the sandbox host, as "Open this version in a new tab" gives it."""
    return page.request.get(f"{server.url}/api/apps/{app_id}").json()["versions"][0]["preview_url"]


def _raw_frame(view: Page) -> FrameLocator:
    return view.frame_locator("iframe")


def test_a_to_do_list_lasts_at_the_raw_address(page: Page, browser: Browser, server: ToolsmithServer) -> None:
    """Opened as a page of its own, the app keeps its data in this browser: across reloads of the
    view and of the app itself, for this app only, and with the quota it has elsewhere."""
    server.sign_in(page, "owner")
    todo, limits = _import(page, server, TODO), _import(page, server, LIMITS)
    address, limits_address = _raw_address(page, server, todo), _raw_address(page, server, limits)
    visitor = browser.new_context()
    try:
        raw = visitor.new_page()
        raw.goto(address)
        frame = _raw_frame(raw)
        expect(frame.locator("#visits")).to_have_text("1")
        _add(frame, "milk", "bread")
        raw.reload()
        expect(frame.locator("#list li")).to_have_text(["milk", "bread"])
        expect(frame.locator("#visits")).to_have_text("2")
        # The app reloading itself finds its list as well.
        _add(frame, "eggs")
        frame.locator("body").evaluate("() => location.reload()")
        expect(frame.locator("#visits")).to_have_text("3")
        expect(frame.locator("#list li")).to_have_text(["milk", "bread", "eggs"])
        # Kept in this browser, by the view's own origin, under a name the server chose for the app.
        key = raw.evaluate("Object.keys(localStorage)")
        assert len(key) == 1 and key[0].startswith("toolsmith-data:raw:"), key
        assert todo not in key[0]
        raw.wait_for_function("(k) => (localStorage.getItem(k) || '').includes('eggs')", arg=key[0])
        assert json.loads(json.loads(raw.evaluate("(k) => localStorage.getItem(k)", key[0]))["todos"]) == ["milk", "bread", "eggs"]
        # Never on the server: the raw address has no session of ours.
        assert _saved(page, server, f"/api/apps/{todo}/data") == {}

        # Another app at its raw address in the same browser starts empty, and is held to the quota.
        other = visitor.new_page()
        other.goto(limits_address)
        expect(_raw_frame(other).locator("#quota")).to_have_text("QuotaExceededError true")
        # A new tab of the first app: the list, and a sessionStorage of its own.
        again = visitor.new_page()
        again.goto(address)
        expect(_raw_frame(again).locator("#list li")).to_have_text(["milk", "bread", "eggs"])
        expect(_raw_frame(again).locator("#visits")).to_have_text("1")
    finally:
        visitor.close()
    # Another browser has none of it.
    stranger = browser.new_context()
    try:
        raw = stranger.new_page()
        raw.goto(address)
        expect(_raw_frame(raw).locator("#visits")).to_have_text("1")
        expect(_raw_frame(raw).locator("#list li")).to_have_count(0)
    finally:
        stranger.close()
