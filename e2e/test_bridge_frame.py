"""The runtime bridge and the editor's checks, in Chromium, with no server.

Playwright answers for two made-up origins: the "editor" (a page that imports the real
static/bridge-host.js) and the "sandbox", whose pages are served with the bridge injected
by sandbox/bridge.py and loaded into `<iframe sandbox="allow-scripts">`, so they run in an
opaque origin as they do in Toolsmith.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from e2e.conftest import ROOT
from sandbox.bridge import inject_bridge
from tests.bridge_corpus import CORPUS, Case

EDITOR = "http://editor.test"
SANDBOX = "http://sandbox.test"
SANDBOX_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"

HARNESS = """<!DOCTYPE html><html><body>
<iframe id="ours" sandbox="allow-scripts" style="width:600px;height:400px"></iframe>
<iframe id="stranger" sandbox="allow-scripts"></iframe>
<script type="module">
import * as host from "/static/bridge-host.js";
window.host = host;
window.raw = [];   // every message this window receives, in order
window.got = [];   // what the bridge passed on, with the iframe it came from
addEventListener("message", (event) => raw.push(event.data));
const handlers = Object.fromEntries(Object.keys(host.MESSAGES).map(
  (type) => [type, (message, frame) => got.push({ ...message, frame: frame.id, seen: raw.length })]));
window.bridge = host.connectBridge(() => [document.getElementById("ours")], handlers);
window.harnessReady = true;
</script></body></html>"""


class Harness:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.pages: dict[str, str] = {}
        self.holding = False
        self.held: Route | None = None

    def hold_next(self) -> None:
        """The next sandbox page is not answered until release()."""
        self.holding = True

    def release(self) -> None:
        assert self.held is not None, "no request was held"
        self.holding = False
        self.held.fulfill(**self.response(self.held))
        self.held = None

    def response(self, route: Route) -> dict:
        body = self.pages.get(urlsplit(route.request.url).path)
        if body is None:
            return {"status": 404, "body": ""}
        return {"body": body, "content_type": "text/html; charset=utf-8", "headers": {"Content-Security-Policy": SANDBOX_CSP}}

    def load(self, frame: str, html: str, *, bridge: bool = True) -> None:
        """Points iframe `frame` at a sandbox page with `html`, the bridge injected unless told not to."""
        path = f"/p{len(self.pages)}"
        self.pages[path] = inject_bridge(html, EDITOR) if bridge else html
        self.page.evaluate("([id, url]) => { document.getElementById(id).src = url; }", [frame, SANDBOX + path])

    def wait_for(self, condition: str, arg: object = None) -> None:
        self.page.wait_for_function(condition, arg=arg)

    def got(self, type_: str | None = None) -> list[dict]:
        """The messages passed on (of one type), with the iframe they came from."""
        messages = self.page.evaluate("got.map(({seen, ...message}) => message)")
        return [m for m in messages if type_ is None or m["type"] == type_]

    def frame(self, frame: str = "ours"):  # type: ignore[no-untyped-def]
        return self.page.frame_locator(f"#{frame}")


def _serve_static(route: Route) -> None:
    path = ROOT / urlsplit(route.request.url).path.lstrip("/")
    route.fulfill(body=path.read_bytes(), content_type=mimetypes.guess_type(path.name)[0] or "text/plain")


@pytest.fixture
def harness(page: Page) -> Harness:
    harness = Harness(page)
    page.route(EDITOR + "/static/**", _serve_static)
    page.route(EDITOR + "/", lambda route: route.fulfill(body=HARNESS, content_type="text/html"))

    def sandbox(route: Route) -> None:
        if harness.holding:
            harness.held = route
        else:
            route.fulfill(**harness.response(route))

    page.route(SANDBOX + "/**", sandbox)
    page.goto(EDITOR + "/")
    page.wait_for_function("window.harnessReady === true")
    return harness


# --- The editor's check of each message ------------------------------------------------------

ERROR = '{source: "toolsmith-bridge", v: 1, type: "error", message: "m", filename: "f", line: 3, column: 7, stack: "s"}'
CSP = (
    '{source: "toolsmith-bridge", v: 1, type: "csp-violation", directive: "img-src", blockedURI: "https://x.test/a.png",'
    ' line: 0, column: 0, sourceFile: "", sample: ""}'
)


def _with(base: str, extra: str) -> str:
    return base[:-1] + ", " + extra + "}"


# (what, JavaScript value, what validateMessage returns: the message, or None to drop it)
MESSAGE_CASES: list[tuple[str, str, dict | None]] = [
    ("ready", '{source: "toolsmith-bridge", v: 1, type: "ready"}', {"type": "ready"}),
    ("error", ERROR, {"type": "error", "message": "m", "filename": "f", "line": 3, "column": 7, "stack": "s"}),
    ("extra fields are dropped", _with(ERROR, 'html: "<b>x</b>", onclick: "alert(1)"'),
     {"type": "error", "message": "m", "filename": "f", "line": 3, "column": 7, "stack": "s"}),
    ("rejection", '{source: "toolsmith-bridge", v: 1, type: "rejection", message: "r", stack: ""}',
     {"type": "rejection", "message": "r", "stack": ""}),
    ("console-error", '{source: "toolsmith-bridge", v: 1, type: "console-error", message: "c"}',
     {"type": "console-error", "message": "c"}),
    ("csp-violation", CSP, {"type": "csp-violation", "directive": "img-src", "blockedURI": "https://x.test/a.png",
                            "line": 0, "column": 0, "sourceFile": "", "sample": ""}),
    ("height", '{source: "toolsmith-bridge", v: 1, type: "height", height: 812.5}', {"type": "height", "height": 812.5}),
    ("pong", '{source: "toolsmith-bridge", v: 1, type: "pong", nonce: "abc"}', {"type": "pong", "nonce": "abc"}),
    ("picked", '{source: "toolsmith-bridge", v: 1, type: "picked", selector: "button#r", tag: "button", text: "R", html: "<button>"}',
     {"type": "picked", "selector": "button#r", "tag": "button", "text": "R", "html": "<button>"}),
    ("pick-cancel", '{source: "toolsmith-bridge", v: 1, type: "pick-cancel"}', {"type": "pick-cancel"}),
    ("blocked", '{source: "toolsmith-bridge", v: 1, type: "blocked", action: "popup", target: "https://x.test/"}',
     {"type": "blocked", "action": "popup", "target": "https://x.test/"}),
    ("blocked, an unknown action", '{source: "toolsmith-bridge", v: 1, type: "blocked", action: "teleport", target: ""}', None),
    ("blocked, an inherited action", '{source: "toolsmith-bridge", v: 1, type: "blocked", action: "constructor", target: ""}', None),
    ("blocked, target too long", '{source: "toolsmith-bridge", v: 1, type: "blocked", action: "form", target: "x".repeat(2001)}', None),
    ("longest message", ERROR.replace('message: "m"', 'message: "x".repeat(2000)'),
     {"type": "error", "message": "x" * 2000, "filename": "f", "line": 3, "column": 7, "stack": "s"}),
    ("null", "null", None),
    ("undefined", "undefined", None),
    ("a string", '"toolsmith-bridge"', None),
    ("a number", "1", None),
    ("an array", f"[{ERROR}]", None),
    ("a date", "new Date()", None),
    ("no source", '{v: 1, type: "ready"}', None),
    ("the host's source", '{source: "toolsmith-host", v: 1, type: "ready"}', None),
    ("another version", '{source: "toolsmith-bridge", v: 2, type: "ready"}', None),
    ("version as text", '{source: "toolsmith-bridge", v: "1", type: "ready"}', None),
    ("no type", '{source: "toolsmith-bridge", v: 1}', None),
    ("unknown type", '{source: "toolsmith-bridge", v: 1, type: "navigate", url: "https://evil.test"}', None),
    ("inherited name as type", '{source: "toolsmith-bridge", v: 1, type: "constructor"}', None),
    ("prototype as type", '{source: "toolsmith-bridge", v: 1, type: "__proto__"}', None),
    ("type not a string", '{source: "toolsmith-bridge", v: 1, type: ["ready"]}', None),
    ("missing field", ERROR.replace(', stack: "s"', ""), None),
    ("line as text", ERROR.replace("line: 3", 'line: "3"'), None),
    ("negative line", ERROR.replace("line: 3", "line: -1"), None),
    ("fractional column", ERROR.replace("column: 7", "column: 1.5"), None),
    ("column not a number", ERROR.replace("column: 7", "column: NaN"), None),
    ("message not text", ERROR.replace('message: "m"', "message: {toString() { return 'x'; }}"), None),
    ("message too long", ERROR.replace('message: "m"', 'message: "x".repeat(2001)'), None),
    ("stack too long", ERROR.replace('stack: "s"', 'stack: "x".repeat(8001)'), None),
    ("blocked URL too long", CSP.replace('"https://x.test/a.png"', '"https://x.test/" + "a".repeat(2000)'), None),
    ("height infinite", '{source: "toolsmith-bridge", v: 1, type: "height", height: Infinity}', None),
    ("height negative", '{source: "toolsmith-bridge", v: 1, type: "height", height: -5}', None),
    ("height huge", '{source: "toolsmith-bridge", v: 1, type: "height", height: 2e6}', None),
    ("height as text", '{source: "toolsmith-bridge", v: 1, type: "height", height: "100"}', None),
    ("nonce too long", '{source: "toolsmith-bridge", v: 1, type: "pong", nonce: "n".repeat(101)}', None),
    ("picked text too long", '{source: "toolsmith-bridge", v: 1, type: "picked", selector: "a", tag: "a", text: "t".repeat(301), html: ""}', None),
]


def test_validate_message_accepts_exactly_the_bridge_messages(harness: Harness) -> None:
    results = harness.page.evaluate(
        "cases => cases.map(([what, source]) => [what, host.validateMessage((0, eval)('(' + source + ')'))])",
        [[what, source] for what, source, _ in MESSAGE_CASES],
    )
    assert results == [[what, expected] for what, _, expected in MESSAGE_CASES]


# --- Who is heard --------------------------------------------------------------------------------

FORGE = """<script>
var forged = {source: "toolsmith-bridge", v: 1, type: "console-error", message: "%s"};
%s
</script>"""


def test_only_our_iframe_is_heard(harness: Harness) -> None:
    nested = FORGE % ("forged by a nested frame", "parent.parent.postMessage(forged, '*');")
    harness.load("ours", "<!DOCTYPE html><p>ours</p>"
                 f"<iframe srcdoc='{nested.replace(chr(39), '&#39;')}'></iframe>"
                 + FORGE % ("said by our frame", "parent.postMessage(forged, '*');"))
    harness.load("stranger", "<!DOCTYPE html>" + FORGE % ("forged by another frame", "parent.postMessage(forged, '*');"))
    harness.page.evaluate("""() => postMessage({source: "toolsmith-bridge", v: 1, type: "console-error",
                                               message: "forged by the editor's own window"}, "*")""")
    everything = ["said by our frame", "forged by a nested frame", "forged by another frame", "forged by the editor's own window"]
    # Once this window has received every message, the bridge has judged each of them.
    harness.wait_for("texts => texts.every(t => raw.some(m => m && m.message === t))", everything)
    assert [m["message"] for m in harness.got("console-error")] == ["said by our frame"]
    assert {m["frame"] for m in harness.got()} == {"ours"}


def test_a_page_being_left_is_not_heard(harness: Harness) -> None:
    # The old page goes on talking while the next one is on its way: the iframe's window is the
    # same, but until the new page says "ready", what comes from it is the old page's.
    harness.load("ours", """<!DOCTYPE html><script>
let n = 0;
setInterval(() => parent.postMessage({source: "toolsmith-bridge", v: 1, type: "console-error", message: "old " + n++}, "*"), 1);
</script>""")
    harness.wait_for("got.some(m => m.message === 'old 3')")
    harness.hold_next()
    harness.load("ours", "<!DOCTYPE html><script>console.error('arrived');</script>")
    harness.page.evaluate("window.switched = raw.length")
    harness.wait_for("raw.slice(switched).filter(m => m && /^old/.test(m.message)).length >= 5")
    harness.release()
    harness.wait_for("got.some(m => m.message === 'arrived')")
    late = harness.page.evaluate("got.filter(m => m.seen > switched && m.type === 'console-error').map(m => m.message)")
    assert late == ["arrived"]


def test_ping_is_answered_by_our_frame_only(harness: Harness) -> None:
    app = "<!DOCTYPE html><p id=seen>0</p><script>addEventListener('message', () => seen.textContent = +seen.textContent + 1);</script>"
    harness.load("ours", app)
    harness.load("stranger", app)
    harness.wait_for("got.some(m => m.type === 'ready') && raw.filter(m => m && m.type === 'ready').length === 2")
    assert harness.page.evaluate("bridge.ping(document.getElementById('ours'))") is True
    assert harness.page.evaluate("bridge.ping(document.getElementById('stranger'), 300)") is False
    # The editor's messages are the bridge's business: the page's own listeners never see them.
    assert harness.frame().locator("#seen").inner_text() == "0"


def test_reports_are_filed_under_the_version_whatever_its_signature(harness: Harness) -> None:
    # The editor renews a preview's signed address while it is open; the iframe may still show the
    # page from the old one. Reports go to the version the address's path names.
    shown = SANDBOX + "/v/abc?exp=100&sig=old&_r=3"
    cases = [
        (shown, SANDBOX + "/v/abc?exp=200&sig=new", True),
        (shown, SANDBOX + "/v/abc", True),
        (shown, SANDBOX + "/v/abcd?exp=100&sig=old", False),
        (shown, "http://elsewhere.test/v/abc?exp=100&sig=old", False),
        ("", SANDBOX + "/v/abc", False),
        # A page with files of its own: the key is in the path (sandbox/addresses.py), and changes too.
        (SANDBOX + "/v/abc/p.100.old/?_r=2", SANDBOX + "/v/abc/p.200.new/", True),
        (SANDBOX + "/v/abc/s.link/", SANDBOX + "/v/abc/p.200.new/", True),
        (SANDBOX + "/v/abc/p.100.old/", SANDBOX + "/v/abcd/p.100.old/", False),
    ]
    answers = harness.page.evaluate(
        """async (cases) => {
            const { Preview } = await import("/static/preview.js");
            return cases.map(([src, url]) => Preview.prototype.shows.call(null, { src }, url));
        }""",
        [[src, url] for src, url, _ in cases],
    )
    assert answers == [expected for _, _, expected in cases]


# --- What the bridge reports ---------------------------------------------------------------------

def test_errors_rejections_and_console_errors_are_reported(harness: Harness, page: Page) -> None:
    logged: list[str] = []
    page.on("console", lambda message: logged.append(message.text))
    harness.load("ours", """<!DOCTYPE html>
<html><head><title>t</title></head>
<body>
<script>
console.error("plain", {a: 1}, new TypeError("typed"));
Promise.reject(new RangeError("too far"));
Promise.reject(42);
function deep() { missing(); }
deep();
</script></body></html>""")
    harness.wait_for("['error', 'console-error'].every(t => got.some(m => m.type === t)) && got.filter(m => m.type === 'rejection').length === 2")
    [error] = harness.got("error")
    assert error["message"] == "Uncaught ReferenceError: missing is not defined"
    assert (error["line"], error["column"]) == (8, 19)
    assert error["filename"].startswith(SANDBOX + "/p")
    assert "at deep" in error["stack"]
    assert [m["message"] for m in harness.got("rejection")] == ["RangeError: too far", "42"]
    assert "at " in harness.got("rejection")[0]["stack"]
    assert [m["message"] for m in harness.got("console-error")] == ['plain {"a":1} TypeError: typed']
    assert any("plain" in text for text in logged), "console.error must still log"


def test_columns_are_the_page_own_on_a_one_line_page(harness: Harness) -> None:
    page = "<!DOCTYPE html><html><head><!-- é😀 --><script>var ok = 1; boom();</script></head></html>"
    harness.load("ours", page)
    harness.wait_for("got.some(m => m.type === 'error')")
    [error] = harness.got("error")
    utf16_column = len(page[: page.index("boom")].encode("utf-16-le")) // 2 + 1
    assert (error["line"], error["column"]) == (1, utf16_column)


def test_csp_violations_are_reported_with_what_was_blocked(harness: Harness) -> None:
    harness.load("ours", '<!DOCTYPE html>\n<p>x</p>\n<img src="https://images.example.com/cat.png">')
    harness.wait_for("got.some(m => m.type === 'csp-violation')")
    [violation] = harness.got("csp-violation")
    assert violation["directive"] == "img-src"
    assert violation["blockedURI"] == "https://images.example.com/cat.png"


def test_a_flood_is_capped_deduplicated_and_truncated(harness: Harness) -> None:
    harness.load("ours", """<!DOCTYPE html><script>
for (let i = 0; i < 10; i++) console.error("same");
console.error("x".repeat(5000));
for (let i = 0; i < 500; i++) console.error("error " + i);
</script>""")
    harness.wait_for("got.some(m => m.type === 'ready')")
    # Pings are answered in order after everything the page said before.
    assert harness.page.evaluate("bridge.ping(document.getElementById('ours'))") is True
    messages = [m["message"] for m in harness.got("console-error")]
    assert len(messages) == 50
    assert messages[0] == "same" and messages.count("same") == 1
    assert len(messages[1]) == 2000 and messages[1].endswith("…")
    assert messages[-1] == "error 47"


def test_height_follows_the_content(harness: Harness) -> None:
    harness.load("ours", """<!DOCTYPE html><body style="margin:0">
<div id=box style="height:1234px"></div>
<button id=grow style="position:fixed;top:0" onclick="box.style.height='2345px'">grow</button>""")
    harness.wait_for("got.some(m => m.type === 'height' && m.height === 1234)")
    harness.frame().locator("#grow").click()
    harness.wait_for("got.some(m => m.type === 'height' && m.height === 2345)")


def test_storage_and_cookies_work_in_memory_in_an_opaque_origin(harness: Harness) -> None:
    harness.load("ours", """<!DOCTYPE html><pre id=out></pre><script>
const r = {};
localStorage.setItem("theme", "dark");
r.getItem = localStorage.getItem("theme");
localStorage.count = 3;
r.property = localStorage.count;
r.length = localStorage.length;
r.key = localStorage.key(0);
r.keys = Object.keys(localStorage);
r.has = "theme" in localStorage;
r.missing = localStorage.getItem("nothing");
localStorage.removeItem("theme");
r.afterRemove = localStorage.getItem("theme");
delete localStorage.count;
r.afterDelete = localStorage.length;
r.json = JSON.parse(JSON.stringify({saved: (localStorage.setItem("a", JSON.stringify([1, 2])), JSON.parse(localStorage.getItem("a")))}));
localStorage.clear();
r.afterClear = localStorage.length;
sessionStorage.setItem("tab", "1");
r.separate = localStorage.getItem("tab");
r.session = sessionStorage.getItem("tab");
document.cookie = "a=1; path=/";
document.cookie = "b=2; max-age=3600";
r.cookie = document.cookie;
document.cookie = "a=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
r.cookieAfterDelete = document.cookie;
out.textContent = JSON.stringify(r);
</script>""")
    out = harness.frame().locator("#out")
    expect(out).not_to_be_empty()
    result = json.loads(out.inner_text())
    assert result == {
        "getItem": "dark", "property": "3", "length": 2, "key": "theme", "keys": ["theme", "count"], "has": True,
        "missing": None, "afterRemove": None, "afterDelete": 0, "json": {"saved": [1, 2]}, "afterClear": 0,
        "separate": None, "session": "1", "cookie": "a=1; b=2", "cookieAfterDelete": "b=2",
    }
    assert harness.got("error") == []


# --- Picking an element --------------------------------------------------------------------------

PICKABLE = """<!DOCTYPE html><body>
<p>clicks: <span id=clicks>0</span>, pressed: <span id=pressed>no</span></p>
<button id="reset" class="big">Reset</button>
<ul class="list main"><li>first</li><li>second <b>item</b></li></ul>
<input placeholder="Your name">
<script>
document.addEventListener("click", () => clicks.textContent = +clicks.textContent + 1);
document.getElementById("reset").addEventListener("mousedown", () => pressed.textContent = "yes");
</script></body>"""


def test_pick_mode_reports_the_clicked_element_instead_of_clicking_it(harness: Harness) -> None:
    harness.load("ours", PICKABLE)
    harness.wait_for("got.some(m => m.type === 'ready')")
    frame = harness.frame()
    ours = "document.getElementById('ours')"

    harness.page.evaluate(f"bridge.setPickMode({ours}, true)")
    assert harness.page.evaluate(f"bridge.ping({ours})") is True  # pick mode is on in the page
    frame.locator("#reset").click()
    harness.wait_for("got.some(m => m.type === 'picked')")
    [picked] = harness.got("picked")
    assert picked == {
        "type": "picked", "selector": "button#reset", "tag": "button", "text": "Reset",
        "html": '<button id="reset" class="big">Reset</button>', "frame": "ours",
    }
    assert frame.locator("#clicks").inner_text() == "0", "the page's own handlers must not run"
    assert frame.locator("#pressed").inner_text() == "no"

    harness.page.evaluate(f"bridge.setPickMode({ours}, true)")
    assert harness.page.evaluate(f"bridge.ping({ours})") is True
    frame.locator("li").nth(1).click()
    frame.locator("input").hover()
    harness.wait_for("got.filter(m => m.type === 'picked').length === 2")
    second = harness.got("picked")[1]
    assert (second["selector"], second["tag"], second["text"]) == ("body > ul.list.main > li:nth-of-type(2)", "li", "second item")

    # Off again: clicks reach the page.
    frame.locator("#reset").click()
    expect(frame.locator("#clicks")).to_have_text("1")
    expect(frame.locator("#pressed")).to_have_text("yes")


def test_escape_cancels_pick_mode(harness: Harness) -> None:
    harness.load("ours", PICKABLE)
    harness.wait_for("got.some(m => m.type === 'ready')")
    harness.page.evaluate("bridge.setPickMode(document.getElementById('ours'), true)")
    assert harness.page.evaluate("bridge.ping(document.getElementById('ours'))") is True
    harness.frame().locator("input").press("Escape")
    harness.wait_for("got.some(m => m.type === 'pick-cancel')")
    harness.frame().locator("p").click()
    expect(harness.frame().locator("#clicks")).to_have_text("1")
    assert harness.got("picked") == []


# --- Injection never changes the document ------------------------------------------------------

@pytest.fixture(scope="module")
def sandbox_page(browser: Browser) -> Iterator[Callable[[str, bool], Page]]:
    """Opens HTML as a top-level sandbox page, with or without JavaScript (one tab for each)."""
    pages: dict[bool, Page] = {}
    served: dict[str, str] = {}

    def serve(route: Route) -> None:
        route.fulfill(body=served[urlsplit(route.request.url).path], content_type="text/html; charset=utf-8")

    def open_page(html: str, javascript: bool) -> Page:
        if javascript not in pages:
            pages[javascript] = browser.new_context(java_script_enabled=javascript).new_page()
            pages[javascript].route(SANDBOX + "/**", serve)
        path = f"/page{len(served)}"
        served[path] = html
        pages[javascript].goto(SANDBOX + path)
        return pages[javascript]

    yield open_page
    for page in pages.values():
        page.context.close()


DOCUMENT = """() => {
  const walk = (node) => node.nodeType === 1
    ? [node.nodeName, [...node.attributes].map(a => [a.name, a.value]), [...node.childNodes].map(walk)]
    : [node.nodeType, node.nodeValue];
  return {mode: document.compatMode, doctype: document.doctype && document.doctype.name, tree: [...document.childNodes].map(walk)};
}"""


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_chromium_builds_the_same_document_with_the_bridge_first(case: Case, sandbox_page) -> None:  # type: ignore[no-untyped-def]
    without = sandbox_page(case.html, False).evaluate(DOCUMENT)
    page = sandbox_page(inject_bridge(case.html, EDITOR), False)
    first = page.evaluate("() => { const s = document.scripts[0]; const text = s.textContent; s.remove(); return text; }")
    assert '"toolsmith-bridge"' in first
    with_bridge = page.evaluate(DOCUMENT)
    assert with_bridge["mode"] == without["mode"]
    if case.same_dom:
        assert with_bridge == without

    running = sandbox_page(inject_bridge(case.html, EDITOR), True)
    # The bridge ran before anything else: console.error is already its own.
    assert "[native code]" not in running.evaluate("String(console.error)")
