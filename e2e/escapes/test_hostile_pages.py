"""Every hostile page in hostile/, imported as an app and opened in every place people open
apps, all at once: nothing reaches the canary, Chromium resolves no canary name, no window
opens, nothing downloads, and no copy sees our secrets or an answer. Benign controls run in
the same browser and places, so the sandbox is not simply broken.

One place is a download opened from disk, where no Connection-Allowlist holds: the ways out
docs/security.md lists as open there (OPEN_FROM_DISK) may reach the canary, and only as said.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Page

from e2e.conftest import ToolsmithServer
from e2e.escapes.canary import Canary, resolutions_of_canary
from e2e.escapes.conftest import OPEN, Chromium, Owner, import_page, share
from e2e.escapes.pages import PageValues, hostile_names, hostile_page
from sandbox.libraries import by_name


def _downloaded(server: ToolsmithServer, imported: dict, folder: Path) -> str:
    """The share link's download saved to `folder`, as a person saves it: its file: address."""
    response = httpx.get(imported["share_url"] + "/download", timeout=30)
    assert response.status_code == 200, response.text
    saved = folder / f"{imported['app']['id']}.html"
    saved.write_text(response.text, encoding="utf-8")
    return saved.as_uri()


# Where a person can open an app, and its address there (files go to the folder given).
PLACES: dict[str, Callable[[ToolsmithServer, dict, Path], str]] = {
    "editor": lambda server, imported, folder: server.url + imported["editor_url"],
    "share": lambda server, imported, folder: imported["share_url"],
    "top-level": lambda server, imported, folder: imported["version"]["preview_url"],
    "download": _downloaded,
}

# What a page from disk may still do, by the kinds of hit the canary may log for it ("tcp": a
# connection that carries nothing; "udp": a datagram), beside Chromium's lookup of the name it
# chose. Never an HTTP request. docs/security.md lists each as open for downloads.
OPEN_FROM_DISK: dict[str, frozenset[str]] = {
    "dns-prefetch": frozenset(),
    "preconnect": frozenset({"tcp", "tls"}),  # the TLS handshake names the host: no more than the lookup
    "webrtc-stun": frozenset({"udp"}),
    "webrtc-turn": frozenset({"udp", "tcp", "tls"}),
    # Chromium connects ahead of a navigation or frame load that CSP then refuses.
    "location-self": frozenset({"tcp"}),
    "meta-refresh": frozenset({"tcp"}),
    "link-click": frozenset({"tcp"}),
    "iframe-src": frozenset({"tcp"}),
    # The same, and preconnect and DNS prefetch, from a document the page frames of its own.
    "frame-srcdoc": frozenset({"tcp"}),
    "frame-blob": frozenset({"tcp"}),
    "frame-data": frozenset({"tcp"}),
    # The same, for a form submission or a download link (allow-forms; a download of another host
    # is a navigation) once the page has put the runtime bridge out of the way.
    "form-unbridged": frozenset({"tcp"}),
    "download-remote": frozenset({"tcp"}),
}

BENIGN = Path(__file__).resolve().parent / "benign.html"
BENIGN_CHECKS = {"inline-script", "inline-style", "canvas", "storage", "form-handler", "dialog", "data-image", "blob-worker", "fetch-data-url", "reload"}

ATTEMPT_TIMEOUT_S = 15
# After a page says its attempt is made, time for a late request to land (a blocked
# one never does; the NetLog check at the end of the module catches even later ones).
SETTLE_MS = 300


@pytest.fixture(scope="module")
def planted(chromium: Chromium, server: ToolsmithServer, owner: Owner, secret: str) -> str:
    """Our cookies (both host names) and the main origin's storage hold the secret."""
    context = chromium.context
    context.add_cookies([
        {"name": "toolsmith_secret", "value": secret, "url": server.url},
        {"name": "toolsmith_secret", "value": secret, "url": server.sandbox_url},
    ])
    page = context.new_page()
    page.goto(server.url + "/")
    page.evaluate("s => { localStorage.setItem('toolsmith_secret', s); sessionStorage.setItem('toolsmith_secret', s); }", secret)
    # Another app's saved data, in every place it is kept: the owner's on the server (editor and
    # share link), an anonymous viewer's in our origin's storage, the tab's sessionStorage, and the
    # sandbox host's own storage for the app's raw address (the app plants it there itself).
    planter = f"<!DOCTYPE html><title>Planter</title><p>planter</p><script>localStorage.setItem('toolsmith_secret', {json.dumps(secret)})</script>"
    other = _import_and_share(server, owner, planter, "planter")
    app_id, token = other["app"]["id"], other["share_url"].rsplit("/", 1)[1]
    saved = httpx.put(f"{server.url}/api/apps/{app_id}/data", json={"local": {"toolsmith_secret": secret}}, headers=owner.headers, timeout=30)
    assert saved.status_code == 200, saved.text
    page.evaluate(
        """([s, app, token]) => {
          localStorage.setItem("toolsmith-data:share:" + token, JSON.stringify({ toolsmith_secret: s }));
          sessionStorage.setItem("toolsmith-session:app:" + app, JSON.stringify({ toolsmith_secret: s }));
          sessionStorage.setItem("toolsmith-session:share:" + token, JSON.stringify({ toolsmith_secret: s }));
        }""",
        [secret, app_id, token],
    )
    page.goto(other["share_url"])  # the planter runs once where its data is handed in
    page.goto(other["version"]["preview_url"])
    page.wait_for_function("(s) => Object.values(localStorage).some((v) => v.includes(s))", arg=secret)
    page.close()
    return secret


def _import_and_share(server: ToolsmithServer, owner: Owner, html: str, title: str) -> dict:
    imported = import_page(server, owner, html, title)
    return imported | {"share_url": share(server, owner, imported["app"]["id"])}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where downloads are saved."""
    return tmp_path_factory.mktemp("downloads")


def _label(name: str, place: str) -> str:
    # Named "open-..." where a way out is known to stay open, for the NetLog check of the module.
    return f"{OPEN}{name}-{place}" if place == "download" and name in OPEN_FROM_DISK else f"{name}-{place}"


@pytest.fixture(scope="module")
def apps(server: ToolsmithServer, owner: Owner, canary: Canary, planted: str) -> Callable[[str, str], dict]:
    """The app of hostile page `name` for one place: its own canary host and port (`label`),
    so whatever reaches the canary says which page, in which place, sent it."""

    def app(name: str, place: str) -> dict:
        label = _label(name, place)
        values = PageValues(canary_port=canary.port(label), main=server.url, secret=planted)
        return _import_and_share(server, owner, hostile_page(name, values, label), f"hostile {label}") | {"label": label}

    return app


class Run:
    """One hostile page opened in one place, with everything it said and did."""

    def __init__(self, page: Page, place: str, label: str) -> None:
        self.page, self.place, self.label = page, place, label
        self.prefix = f"hostile:{label}:"
        self.heard: list[str] = []  # what the page and its frames said to the console
        self.relayed: list[str] = []  # what its own frames said through it (pages.py PRELUDE)
        self.downloads: list[str] = []
        self.dialogs: list[str] = []  # browser-drawn dialogs: the sandbox allows none
        page.on("console", self._heard)
        page.on("download", lambda d: self.downloads.append(d.url))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _heard(self, message: ConsoleMessage) -> None:
        text = message.text
        if text.startswith("relayed:" + self.prefix):
            self.relayed.append(text.removeprefix("relayed:" + self.prefix))
        elif text.startswith(self.prefix):
            self.heard.append(text.removeprefix(self.prefix))

    @property
    def said(self) -> list[str]:
        """Everything said, each line of a frame once whichever way it came."""
        direct = set(self.heard)
        return self.heard + [line for line in self.relayed if line not in direct]

    @property
    def attempted(self) -> bool:
        return any(s == "made" or s.startswith("made:") for s in self.said)

    @property
    def fired_within_ms(self) -> int:
        """How long after saying so the page fires its attempt."""
        return max((int(s.removeprefix("made:")) for s in self.said if s.startswith("made:")), default=0)

    def report(self) -> str:
        return "\n  ".join([f"in the {self.place}, the page said:", *self.said])


def _run_everywhere(chromium: Chromium, addresses: dict[str, tuple[str, str]]) -> tuple[list[Run], list[str]]:
    """Opens the page in every place at once; returns the runs, once each has made its
    attempt and a moment has passed, and the windows that opened meanwhile."""
    context = chromium.context
    runs = [Run(context.new_page(), place, label) for place, (_, label) in addresses.items()]
    windows: list[str] = []
    # Any window opening in the browser while the pages run, noopener ones included.
    context.on("page", (on_window := lambda opened: windows.append(opened.url)))
    try:
        for run in runs:
            run.page.goto(addresses[run.place][0], wait_until="commit")
        deadline = time.monotonic() + ATTEMPT_TIMEOUT_S
        while not all(run.attempted for run in runs) and time.monotonic() < deadline:
            runs[0].page.wait_for_timeout(50)
        runs[0].page.wait_for_timeout(SETTLE_MS + max(run.fired_within_ms for run in runs))
    finally:
        context.remove_listener("page", on_window)
        for run in runs:
            run.page.close()
    return runs, windows


@pytest.mark.parametrize("name", hostile_names())
def test_hostile_page_reaches_nothing(name: str, chromium: Chromium, server: ToolsmithServer, owner: Owner, canary: Canary, apps: Callable[[str, str], dict], folder: Path) -> None:
    imported = {place: apps(name, place) for place in PLACES}
    runs, windows = _run_everywhere(chromium, {place: (address(server, imported[place], folder), imported[place]["label"]) for place, address in PLACES.items()})
    report = "\n".join(run.report() for run in runs)
    # A page whose script never ran proves nothing.
    assert [run.place for run in runs if not run.attempted] == [], report
    for run in runs:
        still_open = run.label.startswith(OPEN)
        allowed = OPEN_FROM_DISK[name] if still_open else frozenset()
        heard = [str(h) for h in canary.hits(run.label) if h.kind not in allowed]
        assert heard == [], f"the canary heard page {run.label}: {heard}\n{report}"
        assert not [s for s in run.said if s.startswith("leak:")], report
        assert run.downloads == [], f"page {run.label} downloaded {run.downloads}"
        assert run.dialogs == [], f"page {run.label} opened browser dialogs: {run.dialogs}"
        port = canary.port(run.label)
        if not still_open:
            assert not [h for h in resolutions_of_canary(chromium.netlog) if h.endswith(f":{port}")], report
    assert windows == [], f"windows opened: {windows}\n{report}"
    titles = [a["title"] for a in httpx.get(server.url + "/api/apps", headers=owner.headers).json()["apps"]]
    assert not [t for t in titles if t.startswith(name) and t.endswith(" marker")], titles


def _open_benign(chromium: Chromium, url: str, done: str) -> list[str]:
    """Opens a benign page; returns what it reported once it said `done`."""
    page = chromium.context.new_page()
    said: list[str] = []
    page.on("console", lambda m: said.append(m.text) if m.text.startswith("benign:") else None)
    try:
        with page.expect_console_message(lambda m: m.text == done, timeout=ATTEMPT_TIMEOUT_S * 1000):
            page.goto(url, wait_until="commit")
    finally:
        page.close()
    return said


@pytest.mark.parametrize("place", PLACES)
def test_benign_app_works(place: str, chromium: Chromium, server: ToolsmithServer, owner: Owner, folder: Path) -> None:
    imported = _import_and_share(server, owner, BENIGN.read_text().replace("{{VENDORED}}", ""), "benign")
    said = _open_benign(chromium, PLACES[place](server, imported, folder), "benign:done")
    assert not [s for s in said if ":fail" in s], said
    assert {s.split(":")[1] for s in said if s.endswith(":ok")} == BENIGN_CHECKS, said


def _vendored_marked(server: ToolsmithServer) -> tuple[str, str]:
    """Addresses of marked (classic script, module) that get the vendored copy; skips when it is not served."""
    library = by_name("marked")
    assert library is not None and library.esm
    if httpx.get(server.sandbox_url + library.url(library.entry)).status_code == 404:
        pytest.skip("vendored libraries not installed: run scripts/vendor")
    # The classic script as a model writes it, a public CDN's address (served, or inlined, as ours).
    classic = f"https://cdn.jsdelivr.net/npm/{library.package}@{library.version}/{library.entry}"
    return classic, server.sandbox_url + library.url(library.esm)


@pytest.mark.parametrize("place", PLACES)
def test_vendored_library_works(place: str, chromium: Chromium, server: ToolsmithServer, owner: Owner, folder: Path) -> None:
    classic, module = _vendored_marked(server)
    script = f"""<script src="{classic}"></script>
<script>report("vendored-script", typeof marked === "object" && marked.parse("**x**").includes("<strong>x</strong>"), typeof marked);</script>"""
    # A download inlines the library files a page loads by address; what an inline module
    # imports stays out of the file, and from disk cannot load (docs/accounts.md).
    checked = {"vendored-script"} if place == "download" else {"vendored-script", "vendored-module"}
    imports = f"""<script type=module>
  import {{ marked as esm }} from "{module}";
  report("vendored-module", esm.parse("*y*").includes("<em>y</em>"));
</script>""" if "vendored-module" in checked else ""
    done = '<script type=module>console.log("benign:vendored-done");</script>'
    imported = _import_and_share(server, owner, BENIGN.read_text().replace("{{VENDORED}}", script + imports + done), "benign with a library")
    said = _open_benign(chromium, PLACES[place](server, imported, folder), "benign:vendored-done")
    assert {s.split(":")[1] for s in said if s.startswith("benign:vendored-") and s.endswith(":ok")} == checked, said
