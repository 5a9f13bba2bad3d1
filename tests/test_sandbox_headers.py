"""The headers on every kind of response of the sandbox host, and on our own pages, through HTTP."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from app.accounts.users import UserRecord
from app.services import Services
from app.settings import Settings
from app.web.importmap import import_map
from app.web.server import EDITOR_LIBRARIES, create_app
from sandbox.headers import APP_FRAME_ALLOW, APP_SANDBOX, DENIED_FEATURES, Origins, connection_allowlist
from sandbox.server import create_sandbox_app
from sandbox.top_level import SAVES_PATH, VIEW_PATH

MAIN = "http://localhost:8000"
SANDBOX = "http://127.0.0.1:8001"
PAGE = "<!DOCTYPE html><title>Tip</title><h1>Tip</h1><script>document.title = 'ran'</script>"

IFRAME = {"Sec-Fetch-Dest": "iframe"}
TOP_LEVEL = {"Sec-Fetch-Dest": "document"}


@pytest.fixture
async def sandbox(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_sandbox_app(services), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX) as http:
        yield http


def directives(csp: str) -> dict[str, str]:
    parsed = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        assert name not in parsed, f"{name} appears twice"
        parsed[name] = value
    return parsed


def assert_app_headers(response: httpx.Response) -> None:
    """The headers of an app, and of every response that is not the top-level view or a library file."""
    csp = directives(response.headers["content-security-policy"])
    assert csp["sandbox"] == APP_SANDBOX
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == f"'unsafe-inline' 'unsafe-eval' blob: {SANDBOX}/vendor/"
    assert csp["style-src"] == f"'unsafe-inline' {SANDBOX}/vendor/"
    assert csp["img-src"] == f"data: blob: {SANDBOX}/vendor/"
    assert csp["font-src"] == f"data: {SANDBOX}/vendor/"
    assert csp["media-src"] == "data: blob:"
    assert csp["connect-src"] == f"data: blob: {SANDBOX}/vendor/"  # sql.js fetches its .wasm
    assert csp["worker-src"] == "blob:"
    # Frames of the page's own documents only (a preview pane), which inherit all of this.
    assert csp["frame-src"] == "blob: data:"
    assert csp["object-src"] == csp["base-uri"] == csp["form-action"] == "'none'"
    assert csp["frame-ancestors"] == f"{MAIN} {SANDBOX}"
    assert response.headers["connection-allowlist"] == f'("{SANDBOX}/vendor/*" "{SANDBOX}/v/*")'
    assert_common(response)
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert "access-control-allow-origin" not in response.headers


def assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-dns-prefetch-control"] == "off"
    policy = dict(item.split("=") for item in response.headers["permissions-policy"].split(", "))
    assert set(policy) == set(DENIED_FEATURES) and set(policy.values()) == {"()"}
    assert {"camera", "microphone", "geolocation", "payment", "usb", "local-network-access"} <= set(policy)


def assert_no_sandbox_escape_flags(csp: str) -> None:
    for flag in ("allow-same-origin", "allow-popups", "allow-top-navigation", "allow-downloads", "allow-modals"):
        assert flag not in csp
    # Forms run their handlers; every submission that would go somewhere is refused.
    assert "form-action 'none'" in csp


async def _import(client: httpx.AsyncClient, html: str = PAGE) -> str:
    """Imports a page through the API; returns the signed address of its version 1 on the sandbox host."""
    imported = (await client.post("/api/import", json={"html": html})).json()
    url = imported["version"]["preview_url"]
    assert url.startswith(SANDBOX + "/v/")
    return url.removeprefix(SANDBOX)


def _frame_src(page: str) -> str:
    found = re.search(rf"<iframe src='([^']*)' sandbox='{APP_SANDBOX}' allow='{APP_FRAME_ALLOW}' referrerpolicy='no-referrer'", page)
    assert found, page
    return html.unescape(found.group(1))


async def test_a_finished_app_in_an_iframe(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    path = await _import(client)
    for headers in (IFRAME, {"Sec-Fetch-Dest": "frame"}, {}):
        response = await sandbox.get(path, headers=headers)
        assert response.status_code == 200 and "<h1>Tip</h1>" in response.text
        assert_app_headers(response)
        assert_no_sandbox_escape_flags(response.headers["content-security-policy"])
        assert response.headers["vary"] == "Sec-Fetch-Dest"
        assert response.headers["cache-control"] == "private, max-age=3600"


async def test_an_app_opened_top_level_gets_a_view_that_frames_it_and_runs_only_our_script(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    path = await _import(client)
    token, _, key = path.removeprefix("/v/").partition("?")
    response = await sandbox.get(path, headers=TOP_LEVEL)
    assert response.status_code == 200
    assert "<h1>Tip</h1>" not in response.text
    assert re.findall(r"<script[^>]*>", response.text) == [f"<script type=module src='{VIEW_PATH}'>", f"<script type=module src='{SAVES_PATH}'>"]
    # The app's saved data in this browser goes by a name the server derived from the app alone.
    keys = re.findall(r"<template id=app-frame-template data-key='([^']+)' data-quota='(\d+)'>", response.text)
    assert len(keys) == 1 and keys[0][1] == "1000000" and token not in keys[0][0]
    again = await sandbox.get(path.replace("?", "?_r=2&"), headers=TOP_LEVEL)
    assert f"data-key='{keys[0][0]}'" in again.text
    other = await sandbox.get(await _import(client, PAGE.replace("Tip", "Other")), headers=TOP_LEVEL)
    assert f"data-key='{keys[0][0]}'" not in other.text and "data-key='" in other.text
    # The frame opens the app with the same key, at an address of its own.
    assert _frame_src(response.text) == f"{token}?{key}&framed=1"
    assert "<title>Tip · Toolsmith</title>" in response.text
    csp = directives(response.headers["content-security-policy"])
    assert csp == {
        "default-src": "'none'",
        "script-src": f"{SANDBOX}/toolsmith/",
        "style-src": "'unsafe-inline'",
        "frame-src": f"{SANDBOX}/v/",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    assert response.headers["connection-allowlist"] == f'("{SANDBOX}/v/*" "{SANDBOX}/toolsmith/*")'
    served = (("top-level.js", "nameFor"), ("saved-data.js", "class SavedData"), ("bridge-host.js", "connectBridge"), ("saves.js", "listenForSaves"), ("stopped.js", "describeBlocked"))
    for name, says in served:
        script = await sandbox.get(f"/toolsmith/{name}")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript") and says in script.text
    # Nothing that talks to our API: the sandbox host has none.
    for name in ("editor.js", "api.js", "server-store.js"):
        assert (await sandbox.get(f"/toolsmith/{name}")).status_code == 404
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["vary"] == "Sec-Fetch-Dest"
    assert_common(response)
    framed = await sandbox.get(f"{path}&framed=1", headers=TOP_LEVEL)
    assert _frame_src(framed.text) == f"{token}?{key}"
    app = await sandbox.get(f"/v/{_frame_src(response.text)}", headers=IFRAME)
    assert app.status_code == 200 and "<h1>Tip</h1>" in app.text
    # The view's frame tells the view (the files it makes), not the editor.
    assert f'("{SANDBOX}",1,' in app.text
    editors = await sandbox.get(path, headers=IFRAME)
    assert f'("{MAIN}",1,' in editors.text


async def test_without_a_key_no_view_either(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    token = (await _import(client)).removeprefix("/v/").partition("?")[0]
    for headers in (TOP_LEVEL, IFRAME):
        response = await sandbox.get(f"/v/{token}?framed=1", headers=headers)
        assert response.status_code == 404
        assert_app_headers(response)


async def test_a_share_link_opened_top_level(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    imported = (await client.post("/api/import", json={"html": PAGE})).json()
    share = (await client.post(f"/api/apps/{imported['app']['id']}/shares", json={})).json()["share"]
    frame_url = (await client.get(f"/api/shares/{share['token']}")).json()["shared"]["frame_url"]
    path = frame_url.removeprefix(SANDBOX)
    response = await sandbox.get(path, headers=TOP_LEVEL)
    assert response.status_code == 200 and "<h1>Tip</h1>" not in response.text and f"src='{SAVES_PATH}'" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["connection-allowlist"] == f'("{SANDBOX}/v/*" "{SANDBOX}/toolsmith/*")'
    inner = _frame_src(response.text)
    assert f"share={share['token']}" in inner and inner.endswith("&framed=1")
    app = await sandbox.get(f"/v/{inner}", headers=IFRAME)
    assert app.status_code == 200 and "<h1>Tip</h1>" in app.text
    assert_app_headers(app)


async def test_a_partial_page_while_it_is_written_and_the_placeholder_before(services: Services, user: UserRecord, sandbox: httpx.AsyncClient) -> None:
    _, version = await services.store.create_app(owner_id=user.id, title="Live", prompt="p", model="demo", system_prompt_hash=None)
    address = services.preview_url(version.sandbox_token).removeprefix(SANDBOX)
    placeholder = await sandbox.get(address, headers=IFRAME)
    assert placeholder.status_code == 200 and "being written" in placeholder.text
    assert_app_headers(placeholder)
    services.live.start(version.id).publish("delta", {"text": "Here it is:\n```html\n<!DOCTYPE html><h1>Half"})
    partial = await sandbox.get(address, headers=IFRAME)
    assert partial.status_code == 200 and "<h1>Half" in partial.text
    assert partial.headers["cache-control"] == "no-store"
    assert_app_headers(partial)


async def test_a_version_without_a_page(services: Services, user: UserRecord, sandbox: httpx.AsyncClient) -> None:
    _, version = await services.store.create_app(owner_id=user.id, title="Broken", prompt="p", model="demo", system_prompt_hash=None, status="failed")
    response = await sandbox.get(services.preview_url(version.sandbox_token).removeprefix(SANDBOX), headers=IFRAME)
    assert response.status_code == 200 and "no page" in response.text
    assert_app_headers(response)


@pytest.mark.parametrize("path", ["/v/not-a-token", "/", "/static/x.js", "/v/", "/favicon.ico"])
@pytest.mark.parametrize("dest", ["iframe", "document"])
async def test_not_found(sandbox: httpx.AsyncClient, path: str, dest: str) -> None:
    response = await sandbox.get(path, headers={"Sec-Fetch-Dest": dest})
    assert response.status_code == 404 and "Nothing is published" in response.text
    assert_app_headers(response)


async def test_method_not_allowed(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    path = await _import(client)
    for method in ("POST", "PUT", "DELETE"):
        response = await sandbox.request(method, path)
        assert response.status_code == 405
        assert_app_headers(response)
    head = await sandbox.head(path)
    assert head.status_code == 200
    assert_app_headers(head)


async def test_a_fault_of_ours_is_a_sandboxed_500(services: Services, client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    path = await _import(client)
    async with services.store.engine.begin() as conn:
        await conn.execute(sa.text("ALTER TABLE versions RENAME TO versions_gone"))
    for headers in (IFRAME, TOP_LEVEL):
        response = await sandbox.get(path, headers=headers)
        assert response.status_code == 500 and "Something went wrong" in response.text
        assert_app_headers(response)


async def test_vendored_library_paths_may_be_loaded_by_opaque_origins(sandbox: httpx.AsyncClient) -> None:
    """Library files keep every header of an app, but may be read across origins (here, a 404 under the path)."""
    response = await sandbox.get("/vendor/nothing@1.0.0/none.js", headers={"Sec-Fetch-Dest": "script"})
    assert response.status_code == 404
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "vary" not in response.headers
    csp = directives(response.headers["content-security-policy"])
    assert csp["sandbox"] == APP_SANDBOX and csp["default-src"] == "'none'"
    assert_common(response)


async def test_headers_follow_the_configured_addresses(tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        public_url="https://tools.example.com/",
        sandbox_url="https://apps.example-usercontent.net",
    )
    services = await Services.open(settings)
    try:
        transport = httpx.ASGITransport(app=create_sandbox_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="https://apps.example-usercontent.net") as http:
            response = await http.get("/v/nothing")
        main = httpx.ASGITransport(app=create_app(settings, services))
        async with httpx.AsyncClient(transport=main, base_url="https://tools.example.com") as http:
            home = await http.get("/")
    finally:
        await services.close()
    csp = directives(response.headers["content-security-policy"])
    assert csp["frame-ancestors"] == "https://tools.example.com https://apps.example-usercontent.net"
    assert csp["script-src"].endswith(" https://apps.example-usercontent.net/vendor/")
    assert directives(home.headers["content-security-policy"])["frame-src"] == "https://apps.example-usercontent.net/v/"


def test_allowlist_patterns_are_literal_urls() -> None:
    assert connection_allowlist() == "()"
    assert connection_allowlist("https://a.example/v/", response_origin=True) == '(response-origin "https://a.example/v/*")'
    assert connection_allowlist("https://a.example/v/", redirects=True) == '("https://a.example/v/*");redirects=allow'
    assert connection_allowlist("https://a.example/v/") == '("https://a.example/v/*")'
    # URLPattern syntax characters in a configured path match themselves only.
    assert connection_allowlist("https://a.example/x(1)/") == '("https://a.example/x\\\\(1\\\\)/*")'
    origins = Origins(main="http://localhost:8000", sandbox_url="http://127.0.0.1:8001/apps")
    assert (origins.sandbox, origins.pages, origins.vendor) == ("http://127.0.0.1:8001", "http://127.0.0.1:8001/apps/v/", "http://127.0.0.1:8001/apps/vendor/")


@pytest.mark.parametrize("path", ["/", "/api/apps", "/static/style.css", "/no-such-page", "/api/nothing"])
async def test_our_own_pages_frame_only_the_sandbox_pages(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    csp = directives(response.headers["content-security-policy"])
    assert csp["frame-src"] == f"{SANDBOX}/v/"
    assert csp["default-src"] == csp["style-src"] == csp["connect-src"] == "'self'"
    # Beside our own files, one inline script: the import map of the editor's CodeMirror, by its hash.
    assert csp["script-src"] in ("'self'", f"'self' {import_map(EDITOR_LIBRARIES).csp_source}")
    assert csp["frame-ancestors"] == csp["base-uri"] == csp["object-src"] == csp["worker-src"] == "'none'"
    assert not re.search(r"'unsafe-|\*|data: .*script", response.headers["content-security-policy"])
    assert response.headers["connection-allowlist"] == f'(response-origin "{SANDBOX}/v/*");redirects=allow'
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert set(response.headers["permissions-policy"].split(", ")) == {f"{f}=()" for f in DENIED_FEATURES}


async def test_the_editor_import_map_is_the_one_inline_script_the_csp_allows(client: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    """The import map naming CodeMirror's modules runs under our CSP by its hash, and names only our own files."""
    import base64
    import hashlib
    import json

    if not import_map(EDITOR_LIBRARIES).packages:
        pytest.skip("the editor's vendored libraries are not installed (scripts/vendor)")
    app, _ = await services.store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None, html="<p>", status="complete", owner_id=user.id)
    page = await client.get(f"/apps/{app.id}")
    found = re.findall(r'<script type="importmap">(.*?)</script>', page.text, re.S)
    assert len(found) == 1
    digest = base64.b64encode(hashlib.sha256(found[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in directives(page.headers["content-security-policy"])["script-src"]
    imports = json.loads(found[0])["imports"]
    assert {"@codemirror/view", "@codemirror/state", "@codemirror/lang-html", "@lezer/highlight"} <= set(imports)
    for url in imports.values():
        assert url.startswith("/static/vendor/node_modules/")
    served = await client.get(imports["@codemirror/view"])
    assert served.status_code == 200 and "javascript" in served.headers["content-type"]
