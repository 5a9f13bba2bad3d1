"""Each vendored library loads and works inside the sandboxed preview, in real Chromium, offline.

Every page is written the way models write them, with public CDN URLs (jsDelivr,
unpkg, cdnjs, d3js.org, the Tailwind Play CDN), imported as an app of the owner
(with an API token) and opened in the owner's editor: the sandbox host rewrites
the links to its vendored copies, the sandbox CSP lets those load, and no request
leaves this machine. A library we do not have stays blocked, and the page sees
the CSP violation. The editor's download of such a page carries the libraries
inside it, and works opened from disk with the network cut off.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect

from e2e.conftest import ToolsmithServer, server_env
from sandbox.libraries import vendored_files

OpenApp = Callable[[str, str, str], FrameLocator]

# A page reports what it saw on <html data-out>, errors and CSP violations included.
PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script>
  window.report = (text) => {{ document.documentElement.dataset.out = text; }};
  addEventListener("error", (e) => report("error: " + e.message));
  addEventListener("unhandledrejection", (e) => report("error: " + e.reason));
  addEventListener("securitypolicyviolation", (e) => report("blocked: " + e.blockedURI));
</script>
{head}
</head><body><h1>{title}</h1>
{body}
</body></html>"""

CASES = {
    "chart.js": (
        '<script src="https://cdn.jsdelivr.net/npm/chart.js"></script>',
        """<canvas id="c" width="300" height="150"></canvas><script>
        new Chart(document.getElementById("c"), {type: "bar", data: {labels: ["a", "b"], datasets: [{data: [3, 5], backgroundColor: "#e11d48"}]},
          options: {animation: false, responsive: false}});
        const px = document.getElementById("c").getContext("2d").getImageData(0, 0, 300, 150).data;
        let painted = 0; for (let i = 3; i < px.length; i += 4) if (px[i]) painted++;
        report(painted > 1000 ? "chart drew its bars" : "chart painted " + painted + " pixels");
        </script>""",
        "chart drew its bars",
    ),
    "d3": (
        '<script src="https://d3js.org/d3.v7.min.js"></script>',
        """<div id="chart"></div><script>
        d3.select("#chart").append("svg").selectAll("circle").data([4, 8, 15]).join("circle").attr("r", (d) => d);
        report("d3 appended " + document.querySelectorAll("#chart svg circle").length + " circles");
        </script>""",
        "d3 appended 3 circles",
    ),
    "three.js module build with an addon": (
        '<script type="importmap">{"imports": {"three": "https://unpkg.com/three@0.160.0/build/three.module.js", '
        '"three/addons/": "https://unpkg.com/three@0.160.0/examples/jsm/"}}</script>',
        """<script type="module">
        import * as THREE from "three";
        import { OrbitControls } from "three/addons/controls/OrbitControls.js";
        const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 100);
        const controls = new OrbitControls(camera, document.body);
        report(`three module r${THREE.REVISION} controls ${typeof controls.update}`);
        </script>""",
        "three module r160 controls function",
    ),
    "Tone.js": (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/tone/14.8.49/Tone.js"></script>',
        """<script>
        const synth = new Tone.Synth().toDestination();
        report(`tone A4 is ${Tone.Frequency("A4").toFrequency()} Hz, synth ${typeof synth.triggerAttackRelease}`);
        </script>""",
        "tone A4 is 440 Hz, synth function",
    ),
    "p5.js": (
        '<script src="https://cdn.jsdelivr.net/npm/p5@1.9.0/lib/p5.min.js"></script>',
        """<script>
        new p5((s) => {
          s.setup = () => {
            s.pixelDensity(1); s.createCanvas(120, 80); s.background(255, 0, 0); s.noLoop();
            const canvas = document.querySelector("canvas");
            const px = canvas.getContext("2d").getImageData(10, 10, 1, 1).data;
            report(`p5 canvas ${canvas.width}x${canvas.height} rgb ${px[0]},${px[1]},${px[2]}`);
          };
        });
        </script>""",
        "p5 canvas 120x80 rgb 255,0,0",
    ),
    "marked": (
        '<script src="https://cdn.jsdelivr.net/npm/marked/marked.min.js"></script>',
        """<div id="md"></div><script>
        document.getElementById("md").innerHTML = marked.parse("## Notes\\n\\nSome **bold** text");
        report("marked " + document.querySelector("#md h2").textContent + " " + document.querySelector("#md strong").textContent);
        </script>""",
        "marked Notes bold",
    ),
    "KaTeX with its fonts": (
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/katex.min.css" '
        'integrity="sha384-n8MVd4RsNIU0tAv4ct0nTaAbDJwPJzDEaqSD1odI+WdtXRGWt2kTvGFasHpSy3SV" crossorigin="anonymous">\n'
        '<script src="https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/katex.min.js" crossorigin="anonymous"></script>',
        """<p id="eq"></p><script>
        katex.render("c = \\\\pm\\\\sqrt{a^2 + b^2}", document.getElementById("eq"));
        const family = getComputedStyle(document.querySelector("#eq .katex")).fontFamily;
        document.fonts.load("16px KaTeX_Main").then((faces) => report(`katex styled ${family.includes("KaTeX_Main")} fonts loaded ${faces.length}`));
        </script>""",
        "katex styled true fonts loaded 1",
    ),
    "Mermaid": (
        '<script src="https://cdn.jsdelivr.net/npm/mermaid@10/dist/mermaid.min.js"></script>',
        """<div id="diagram"></div><script>
        mermaid.initialize({ startOnLoad: false });
        mermaid.render("graph1", "graph TD; Start-->Finish").then(({ svg }) => {
          document.getElementById("diagram").innerHTML = svg;
          report("mermaid drew " + document.querySelectorAll("#diagram svg g.node").length + " nodes");
        });
        </script>""",
        "mermaid drew 2 nodes",
    ),
    "Mermaid module build": (
        "",
        """<div id="diagram"></div><script type="module">
        import mermaid from "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs";
        mermaid.initialize({ startOnLoad: false });
        const { svg } = await mermaid.render("graph1", "sequenceDiagram\\n  Alice->>Bob: Hi");
        document.getElementById("diagram").innerHTML = svg;
        report("mermaid module drew " + document.querySelectorAll("#diagram svg text.actor").length + " actor labels");
        </script>""",
        "mermaid module drew 4 actor labels",
    ),
}


# The libraries LLM-written tools load beside those, each as such tools write it.
CASES |= {
    "DOMPurify": (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/dompurify/3.0.6/purify.min.js"></script>',
        """<script>report("clean: " + DOMPurify.sanitize('<b onclick="steal()">ok</b><script>steal()<' + '/script>'));</script>""",
        "clean: <b>ok</b>",
    ),
    "markdown-it (an older release's address)": (
        '<script src="https://cdn.jsdelivr.net/npm/markdown-it@13.0.1/dist/markdown-it.min.js"></script>',
        """<script>report(markdownit().render("# Hi *there*").trim());</script>""",
        "<h1>Hi <em>there</em></h1>",
    ),
    "js-yaml": (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/js-yaml/4.1.0/js-yaml.min.js"></script>',
        """<script>report(JSON.stringify(jsyaml.load("a: [1, 2]\\nb: true")));</script>""",
        '{"a":[1,2],"b":true}',
    ),
    "JSZip": (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/jszip/3.10.1/jszip.min.js"></script>',
        """<script>(async () => {
          const zip = new JSZip(); zip.file("notes.txt", "hello zip");
          const bytes = await zip.generateAsync({ type: "uint8array" });
          const back = await JSZip.loadAsync(bytes);
          report("unzipped: " + await back.file("notes.txt").async("string"));
        })();</script>""",
        "unzipped: hello zip",
    ),
    "Turndown": (
        '<script src="https://unpkg.com/turndown/dist/turndown.js"></script>',
        """<script>report(new TurndownService({ headingStyle: "atx" }).turndown("<h2>Title</h2><p>a <strong>b</strong></p>"));</script>""",
        "## Title\n\na **b**",
    ),
    "highlight.js with a style": (
        '<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/styles/github.min.css">'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/highlight.min.js"></script>',
        """<pre><code id="c" class="language-javascript">const x = 1;</code></pre><script>
        hljs.highlightElement(document.getElementById("c"));
        const keyword = document.querySelector("#c .hljs-keyword");
        report(keyword ? "keyword " + keyword.textContent + " in " + getComputedStyle(keyword).color : "not highlighted");
        </script>""",
        "keyword const in rgb(215, 58, 73)",
    ),
    "Cropper.js": (
        '<link href="https://cdnjs.cloudflare.com/ajax/libs/cropperjs/1.6.1/cropper.min.css" rel="stylesheet">'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/cropperjs/1.6.1/cropper.min.js"></script>',
        """<div style="width:300px;height:200px"><img id="img" style="max-width:100%"></div><script>
        const c = document.createElement("canvas"); c.width = 200; c.height = 100;
        c.getContext("2d").fillRect(0, 0, 200, 100);
        const img = document.getElementById("img");
        img.src = c.toDataURL();
        new Cropper(img, { ready() { report("cropped " + this.cropper.getCroppedCanvas({ width: 40, height: 20 }).width); } });
        </script>""",
        "cropped 40",
    ),
    "sql.js with its wasm": (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/sql-wasm.js"></script>',
        """<script>
        initSqlJs({ locateFile: (file) => `https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/${file}` }).then((SQL) => {
          const db = new SQL.Database();
          db.run("create table t (n); insert into t values (6), (7);");
          report("sql: " + db.exec("select n * 7 from t where n = 6")[0].values[0][0]);
        }, (e) => report("error: " + e));
        </script>""",
        "sql: 42",
    ),
    "PapaParse": (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/PapaParse/5.4.1/papaparse.min.js"></script>',
        """<script>report(JSON.stringify(Papa.parse("name,qty\\napples,3", { header: true }).data));</script>""",
        '[{"name":"apples","qty":"3"}]',
    ),
    "PDF.js with its worker": (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/pdf.js/3.11.174/pdf.min.js"></script>',
        """<script>
        pdfjsLib.GlobalWorkerOptions.workerSrc = "https://cdnjs.cloudflare.com/ajax/libs/pdf.js/3.11.174/pdf.worker.min.js";
        const pdf = "%PDF-1.1\\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\\n" +
          "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\\ntrailer<</Root 1 0 R>>\\n%%EOF";
        const task = pdfjsLib.getDocument({ data: new TextEncoder().encode(pdf) });
        task.promise.then(async (doc) => {
          const page = await doc.getPage(1);
          // A real Worker, not the fake one pdf.js falls back to on the page's own thread.
          report("pages " + doc.numPages + ", width " + page.view[2] + ", worker " + (task._worker._webWorker instanceof Worker));
        }, (e) => report("error: " + e));
        </script>""",
        "pages 1, width 200, worker true",
    ),
    "qrcode and jsQR": (
        '<script src="https://cdn.jsdelivr.net/npm/qrcode@1.5.1/build/qrcode.min.js"></script>'
        '<script src="https://cdn.jsdelivr.net/npm/jsqr@1.4.0/dist/jsQR.min.js"></script>',
        """<canvas id="qr"></canvas><script>
        const canvas = document.getElementById("qr");
        QRCode.toCanvas(canvas, "made in toolsmith", { scale: 4 }, (error) => {
          if (error) return report("error: " + error);
          const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
          const code = jsQR(pixels.data, pixels.width, pixels.height);
          report("read back: " + (code ? code.data : "nothing"));
        });
        </script>""",
        "read back: made in toolsmith",
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolsmithServer]:
    files = vendored_files()
    if not files.installed:
        message = f"The vendored libraries are not installed ({', '.join(files.missing)} missing): run scripts/vendor."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    server = ToolsmithServer(tmp_path_factory.mktemp("vendored"), server_env())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token(server: ToolsmithServer) -> str:
    """The owner's API token, with which pages are imported."""
    return server.api_token()


class Requests:
    """Every http(s) URL the page or its frames asked for, and those the CSP stopped before they left."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        self.blocked: list[str] = []
        page.on("request", lambda request: self.seen.append(request.url))
        page.on("requestfailed", lambda request: "csp" in (request.failure or "") and self.blocked.append(request.url))

    def remote(self) -> list[str]:
        return [u for u in self.seen if u.startswith("http") and urlsplit(u).hostname not in ("127.0.0.1", "localhost") and u not in self.blocked]


@pytest.fixture
def requests_seen(page: Page) -> Iterator[Requests]:
    """The page's requests; after the test, none may have gone anywhere but this machine."""
    requests = Requests(page)
    yield requests
    assert not requests.remote(), f"requests left the machine: {requests.remote()}"


def import_app(server: ToolsmithServer, token: str, title: str, head: str, body: str) -> str:
    """The page as a new app of the owner's; its editor URL."""
    html = PAGE.format(title=title, head=head, body=body)
    request = urllib.request.Request(
        server.url + "/api/import",
        data=json.dumps({"html": html, "title": title}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return server.url + json.load(response)["editor_url"]


@pytest.fixture
def open_app(page: Page, server: ToolsmithServer, token: str) -> OpenApp:
    """`open_app(title, head, body)`: the page imported and shown in the owner's editor, signed in with a one-time link."""
    server.sign_in(page, "owner")

    def open_it(title: str, head: str, body: str) -> FrameLocator:
        page.goto(import_app(server, token, title, head, body))
        return page.frame_locator("[data-testid=preview-frame]")

    return open_it


@pytest.mark.parametrize("name", CASES)
def test_library_works_in_the_sandbox(requests_seen: Requests, open_app: OpenApp, name: str) -> None:
    head, body, expected = CASES[name]
    frame = open_app(name, head, body)
    expect(frame.locator("html")).to_have_attribute("data-out", expected, timeout=20_000)
    assert any("/vendor/" in url for url in requests_seen.seen)


def test_react_with_jsx_renders_and_updates(requests_seen: Requests, open_app: OpenApp) -> None:
    head = (
        '<script crossorigin src="https://unpkg.com/react@18/umd/react.development.js"></script>\n'
        '<script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.development.js"></script>\n'
        '<script src="https://unpkg.com/@babel/standalone/babel.min.js"></script>'
    )
    body = """<div id="root"></div><script type="text/babel">
    function Counter() {
      const [count, setCount] = React.useState(0);
      return <button onClick={() => setCount(count + 1)}>clicked {count} times</button>;
    }
    ReactDOM.createRoot(document.getElementById("root")).render(<Counter />);
    </script>"""
    frame = open_app("React", head, body)
    button = frame.get_by_role("button", name="clicked 0 times")
    expect(button).to_be_visible(timeout=20_000)
    button.click()
    expect(frame.get_by_role("button")).to_have_text("clicked 1 times")


def test_alpine_binds_data_and_events(requests_seen: Requests, open_app: OpenApp) -> None:
    head = '<script defer src="https://cdn.jsdelivr.net/npm/alpinejs@3.x.x/dist/cdn.min.js"></script>'
    body = """<div x-data="{ count: 0 }"><button x-on:click="count++" x-text="'count ' + count">not bound</button></div>"""
    frame = open_app("Alpine", head, body)
    expect(frame.get_by_role("button")).to_have_text("count 0", timeout=20_000)
    frame.get_by_role("button").click()
    expect(frame.get_by_role("button")).to_have_text("count 1")


def test_three_classic_build_renders_with_webgl(page: Page, requests_seen: Requests, open_app: OpenApp) -> None:
    head = '<script src="https://cdnjs.cloudflare.com/ajax/libs/three.js/r128/three.min.js"></script>'
    body = """<script>
    const mesh = new THREE.Mesh(new THREE.BoxGeometry(2, 3, 4), new THREE.MeshBasicMaterial());
    const size = new THREE.Box3().setFromObject(mesh).getSize(new THREE.Vector3());
    let drawn = "no webgl";
    if (document.createElement("canvas").getContext("webgl")) {
      const renderer = new THREE.WebGLRenderer({ preserveDrawingBuffer: true });
      renderer.setSize(32, 32);
      const scene = new THREE.Scene();
      scene.background = new THREE.Color(0xff0000);
      renderer.render(scene, new THREE.PerspectiveCamera());
      const gl = renderer.getContext(), px = new Uint8Array(4);
      gl.readPixels(1, 1, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      drawn = "rendered " + px.join(",");
    }
    report(`three r${THREE.REVISION} box ${size.x}x${size.y}x${size.z} ${drawn}`);
    </script>"""
    frame = open_app("three.js", head, body)
    # WebGL is the browser's, not ours: with none, the scene graph must still work.
    webgl = page.evaluate("() => !!document.createElement('canvas').getContext('webgl')")
    drawn = "rendered 255,0,0,255" if webgl else "no webgl"
    expect(frame.locator("html")).to_have_attribute("data-out", f"three r160 box 2x3x4 {drawn}", timeout=20_000)


@pytest.mark.parametrize(
    "head",
    [
        '<script src="https://cdn.tailwindcss.com"></script>\n<script>tailwind.config = { theme: { extend: {} } };</script>',
        '<link href="https://cdn.jsdelivr.net/npm/tailwindcss@2.2.19/dist/tailwind.min.css" rel="stylesheet">',
    ],
    ids=["play CDN", "prebuilt stylesheet"],
)
def test_tailwind_utility_classes_apply(requests_seen: Requests, open_app: OpenApp, head: str) -> None:
    body = '<div id="box" class="p-4 rounded-lg bg-red-500 text-white">box</div><script>report("page ran")</script>'
    frame = open_app("Tailwind", head, body)
    box = frame.locator("#box")
    expect(box).to_have_css("padding-top", "16px", timeout=20_000)
    expect(box).to_have_css("color", "rgb(255, 255, 255)")
    assert box.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    # The configuration assignment the Play CDN's pages make did not stop the page.
    expect(frame.locator("html")).to_have_attribute("data-out", "page ran")


def test_tailwind_play_cdn_configuration_is_applied(requests_seen: Requests, open_app: OpenApp) -> None:
    head = """<script src="https://cdn.tailwindcss.com"></script>
    <script>
      tailwind.config = {
        darkMode: "class",
        theme: { extend: { colors: { brand: { DEFAULT: "#0f766e", light: "#ccfbf1" } }, fontFamily: { display: ["Trebuchet MS", "sans-serif"] } } },
      };
    </script>"""
    body = """<div class="dark"><p id="brand" class="bg-brand text-brand-light font-display dark:underline">brand</p></div>
    <p id="light" class="dark:underline">light</p>"""
    frame = open_app("Tailwind config", head, body)
    brand = frame.locator("#brand")
    expect(brand).to_have_css("background-color", "rgb(15, 118, 110)", timeout=20_000)
    expect(brand).to_have_css("color", "rgb(204, 251, 241)")
    expect(brand).to_have_css("font-family", '"Trebuchet MS", sans-serif')
    expect(brand).to_have_css("text-decoration-line", "underline")
    expect(frame.locator("#light")).to_have_css("text-decoration-line", "none")


def test_a_library_we_do_not_have_stays_blocked(requests_seen: Requests, open_app: OpenApp) -> None:
    url = "https://cdn.jsdelivr.net/npm/lodash@4.17.21/lodash.min.js"
    frame = open_app("Lodash", f'<script src="{url}"></script>', "")
    expect(frame.locator("html")).to_have_attribute("data-out", f"blocked: {url}", timeout=20_000)
    assert url in requests_seen.blocked


@contextmanager
def downloaded_and_opened_offline(page: Page, browser: Browser, tmp_path: Path) -> Iterator[tuple[FrameLocator, str]]:
    """The editor's download of the page it shows, saved to disk and opened from `file://` in a
    browser with no network and every http(s) request refused; no request or error is allowed.
    Gives the frame the file runs the app in, and the file's text."""
    with page.expect_download() as info:
        page.get_by_test_id("download-button").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    offline = browser.new_context(offline=True)
    attempts: list[str] = []
    errors: list[str] = []
    try:
        offline.route(re.compile(r"^(https?|wss?)://"), lambda route: (attempts.append(route.request.url), route.abort()))
        disk = offline.new_page()
        disk.on("pageerror", lambda error: errors.append(str(error)))
        disk.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        disk.goto(saved.as_uri())
        yield disk.frame_locator("iframe"), saved.read_text(encoding="utf-8")
        assert attempts == [], f"the page asked the network for {attempts}"
        assert errors == []
    finally:
        offline.close()


@pytest.mark.parametrize("name", ["chart.js", "KaTeX with its fonts", "marked"])
def test_a_downloaded_page_works_from_disk_offline(page: Page, browser: Browser, open_app: OpenApp, tmp_path: Path, name: str) -> None:
    head, body, expected = CASES[name]
    open_app(name, head, body)
    with downloaded_and_opened_offline(page, browser, tmp_path) as (app, file):
        expect(app.locator("html")).to_have_attribute("data-out", expected, timeout=20_000)
        assert "cdn.jsdelivr.net" not in file, "the library is in the file"


def test_a_downloaded_tailwind_page_keeps_its_configuration_offline(page: Page, browser: Browser, open_app: OpenApp, tmp_path: Path) -> None:
    head = """<script src="https://cdn.tailwindcss.com"></script>
    <script>tailwind.config = { theme: { extend: { colors: { brand: "#0f766e" } } } };</script>"""
    body = '<p id="brand" class="p-4 bg-brand text-white">brand</p><script>report("page ran")</script>'
    open_app("Tailwind offline", head, body)
    with downloaded_and_opened_offline(page, browser, tmp_path) as (app, _):
        brand = app.locator("#brand")
        expect(brand).to_have_css("background-color", "rgb(15, 118, 110)", timeout=20_000)
        expect(brand).to_have_css("padding-top", "16px")
        expect(app.locator("html")).to_have_attribute("data-out", "page ran")


# Pyodide as models load it: the classic script with an explicit indexURL, or the ES module
# with none (it then finds its files beside itself). Both from jsDelivr, at releases not ours.
PYODIDE = {
    "classic script and indexURL": (
        '<script src="https://cdn.jsdelivr.net/pyodide/v0.26.1/full/pyodide.js"></script>',
        """<script>
        window.ready = loadPyodide({ indexURL: "https://cdn.jsdelivr.net/pyodide/v0.26.1/full/" });
        </script>""",
    ),
    "ES module": (
        "",
        """<script type="module">
        import { loadPyodide } from "https://cdn.jsdelivr.net/pyodide/v0.27.2/full/pyodide.mjs";
        window.ready = loadPyodide();
        </script>""",
    ),
}

CALCULATOR = """<label for="code">Python</label> <input id="code" value="">
<button id="run" disabled>Run</button> <output id="result"></output>
<script>
  addEventListener("load", async () => {
    const pyodide = await window.ready;
    const run = document.getElementById("run");
    run.disabled = false;
    run.onclick = () => {
      try { document.getElementById("result").textContent = String(pyodide.runPython(document.getElementById("code").value)); }
      catch (e) { document.getElementById("result").textContent = "error: " + e.message; }
    };
    report("python " + pyodide.runPython("import sys; '.'.join(map(str, sys.version_info[:2]))"));
  });
</script>"""


@pytest.mark.parametrize("name", PYODIDE)
def test_pyodide_runs_python_typed_into_the_page(requests_seen: Requests, open_app: OpenApp, name: str) -> None:
    head, loader = PYODIDE[name]
    frame = open_app("Python " + name, head, loader + CALCULATOR)
    expect(frame.locator("html")).to_have_attribute("data-out", "python 3.13", timeout=60_000)
    frame.get_by_label("Python").fill("6*7")
    frame.get_by_role("button", name="Run").click()
    expect(frame.locator("#result")).to_have_text("42")
    # The standard library is there: what the page imports comes from python_stdlib.zip.
    frame.get_by_label("Python").fill("import statistics; statistics.median([3, 1, 4, 1, 5])")
    frame.get_by_role("button", name="Run").click()
    expect(frame.locator("#result")).to_have_text("3")
    assert any("/vendor/pyodide@0.29.5/pyodide.asm.wasm" in url for url in requests_seen.seen)


def test_a_python_package_we_do_not_have_fails_where_the_app_can_catch_it_and_is_said(page: Page, requests_seen: Requests, open_app: OpenApp) -> None:
    head = '<script src="https://cdn.jsdelivr.net/pyodide/v0.26.1/full/pyodide.js"></script>'
    body = """<button id="load">Load numpy</button> <output id="result"></output>
    <script>
    const ready = loadPyodide();
    document.getElementById("load").onclick = async () => {
      const pyodide = await ready;
      try {
        await pyodide.loadPackage("numpy");
        report("numpy loaded");
      } catch (e) {
        let python;
        try { pyodide.runPython("import numpy"); python = "imported"; } catch (p) { python = p.type; }
        report("caught: " + e.message + " [" + e.packages + "] then " + python);
      }
    };
    ready.then(() => { document.getElementById("result").textContent = "ready"; });
    </script>"""
    frame = open_app("Python packages", head, body)
    expect(frame.locator("#result")).to_have_text("ready", timeout=60_000)
    frame.get_by_role("button", name="Load numpy").click()
    expect(frame.locator("html")).to_have_attribute(
        "data-out",
        "caught: The Python package numpy is not available here: this app runs offline, with Python's standard library only. [numpy] then ModuleNotFoundError",
        timeout=20_000,
    )
    # The person is told, in the editor's problem strip, as for anything else the sandbox stops.
    strip = page.get_by_test_id("runtime-errors")
    strip.locator("summary").click()
    problem = strip.get_by_test_id("runtime-error").filter(has_text="Python package")
    expect(problem).to_contain_text("This app tried to load the Python package numpy; apps run Python offline, with its standard library only.")
    expect(problem.locator(".runtime-error-kind")).to_have_text("Blocked")


def test_a_python_package_asked_for_at_start_is_said(page: Page, requests_seen: Requests, open_app: OpenApp) -> None:
    head = '<script src="https://cdn.jsdelivr.net/npm/pyodide@0.27.0/pyodide.js"></script>'
    body = """<output id="result"></output><script>
    loadPyodide({ packages: ["micropip"] }).then((pyodide) => {
      try { pyodide.runPython("import micropip"); report("imported"); } catch (e) { report("python says " + e.type); }
    });
    </script>"""
    frame = open_app("Python packages at start", head, body)
    expect(frame.locator("html")).to_have_attribute("data-out", "python says ModuleNotFoundError", timeout=60_000)
    strip = page.get_by_test_id("runtime-errors")
    strip.locator("summary").click()
    expect(strip.get_by_test_id("runtime-error").filter(has_text="Python package micropip")).to_have_count(1)
