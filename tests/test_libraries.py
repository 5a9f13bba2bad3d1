"""Vendored libraries: the pinned list, the files the sandbox host serves, and the prompt that offers them."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.generation.prompting import SYSTEM_PROMPT_FILE, SYSTEM_PROMPT_WITHOUT_LIBRARIES, system_prompt, system_prompt_name
from app.services import Services
from sandbox.bridge import inject_bridge
from sandbox.cdn import vendored_url
from sandbox.headers import APP_SANDBOX
from sandbox.libraries import LIBRARIES, VENDOR_DIR, VendoredFiles
from sandbox.server import create_sandbox_app
from tests.fakes.node_modules import make_node_modules

VENDOR = VENDOR_DIR.parent
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture
def files(tmp_path: Path) -> VendoredFiles:
    return VendoredFiles(make_node_modules(tmp_path / "node_modules"))


@pytest.fixture
async def sandbox(services: Services, files: VendoredFiles) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_sandbox_app(services, files))
    async with httpx.AsyncClient(transport=transport, base_url=services.settings.resolved_sandbox_url) as http:
        yield http


def test_every_library_is_pinned_in_package_json_and_the_lock_file() -> None:
    dependencies = json.loads((VENDOR / "package.json").read_text())["dependencies"]
    locked = json.loads((VENDOR / "package-lock.json").read_text())["packages"]
    assert dependencies == {lib.package: lib.version for lib in LIBRARIES}
    for lib in LIBRARIES:
        entry = locked[f"node_modules/{lib.package}"]
        assert entry["version"] == lib.version
        assert entry["integrity"].startswith("sha512-")


JS = "text/javascript; charset=utf-8"


@pytest.mark.parametrize(
    ("package", "version", "path", "content_type"),
    [
        ("chart.js", "4.6.1", "dist/chart.umd.min.js", JS),
        ("@babel/standalone", "7.29.13", "babel.min.js", JS),
        ("three", "0.160.1", "examples/jsm/controls/OrbitControls.js", JS),
        ("mermaid", "11.17.2", "dist/chunks/mermaid.esm.min/chunk-ABCDEF.mjs", JS),
        ("katex", "0.16.47", "dist/katex.min.css", "text/css; charset=utf-8"),
        ("katex", "0.16.47", "dist/fonts/KaTeX_Main-Regular.woff2", "font/woff2"),
        ("katex", "0.16.47", "dist/fonts/KaTeX_Main-Regular.ttf", "font/ttf"),
    ],
)
async def test_a_listed_file_is_served_for_good(
    sandbox: httpx.AsyncClient, files: VendoredFiles, package: str, version: str, path: str, content_type: str
) -> None:
    response = await sandbox.get(f"/vendor/{package}@{version}/{path}")
    assert response.status_code == 200
    assert response.content == (files.root / package / path).read_bytes()
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["access-control-allow-origin"] == "*"
    # Pages in the sandbox have an opaque origin: a same-origin policy would block their scripts.
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    # The rest of the sandbox headers, as on every response of this host.
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith(f"sandbox {APP_SANDBOX}")


@pytest.mark.parametrize(
    "path",
    [
        "chart.js@4.6.1/package.json",
        "chart.js@4.6.1/README.md",
        "chart.js@4.6.1/dist/chart.js",  # in the package, not listed
        "three@0.160.1/examples/jsm/libs/draco/draco_decoder.wasm",
        "three@0.160.1/src/Three.js",
        "chart.js@4.4.1/dist/chart.umd.min.js",  # another version: its own address, which we do not have
        "chart.js/dist/chart.umd.min.js",
        "chart.js@4.6.1/",
        "chart.js@4.6.1/dist",
        # Encoded, so that the client does not resolve the dots itself.
        "chart.js@4.6.1/%2e%2e/secret.js",
        "chart.js@4.6.1/dist/..%2f..%2fsecret.js",
        "secret.js",
        "lodash@4.17.21/lodash.min.js",
        "@babel/standalone@7.29.13/%2e%2e/%2e%2e/secret.js",
    ],
)
async def test_anything_else_is_not_found(sandbox: httpx.AsyncClient, path: str) -> None:
    response = await sandbox.get(f"/vendor/{path}")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert response.headers["content-security-policy"].startswith(f"sandbox {APP_SANDBOX}")


async def test_served_pages_load_the_vendored_copies(sandbox: httpx.AsyncClient, services: Services) -> None:
    page = (
        '<!DOCTYPE html><html><head><script src="https://cdn.jsdelivr.net/npm/chart.js@4.4.1/dist/chart.umd.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script></head><body><h1>Chart</h1></body></html>'
    )
    _, version = await services.store.create_app(title="t", prompt="p", model="import", system_prompt_hash=None, html=page, status="complete")
    response = await sandbox.get(services.preview_url(version.sandbox_token))
    assert response.status_code == 200
    assert '<script src="/vendor/chart.js@4.6.1/dist/chart.umd.js" crossorigin="anonymous"></script>' in response.text
    # The stored page stays as it was written.
    assert (await services.store.get_version_by_token(version.sandbox_token)).html == page
    # The page may load the vendored files, and only them besides itself.
    csp = response.headers["content-security-policy"]
    vendor = services.settings.resolved_sandbox_url + "/vendor/"
    for directive in ("script-src", "style-src", "font-src", "img-src"):
        assert vendor in re.search(rf"{directive} ([^;]*)", csp)[1]  # type: ignore[index]
    # Local schemes, and our own library files (sql.js fetches its .wasm): no other host.
    assert re.search(r"connect-src data: blob: " + re.escape(vendor) + "(;|$)", csp)
    assert response.headers["cross-origin-resource-policy"] == "same-origin"


async def test_without_the_libraries_nothing_is_served_or_rewritten(services: Services, tmp_path: Path) -> None:
    empty = VendoredFiles(tmp_path)
    page = '<!DOCTYPE html><script src="https://cdn.jsdelivr.net/npm/chart.js"></script>'
    _, version = await services.store.create_app(title="t", prompt="p", model="import", system_prompt_hash=None, html=page, status="complete")
    transport = httpx.ASGITransport(app=create_sandbox_app(services, empty))
    async with httpx.AsyncClient(transport=transport, base_url=services.settings.resolved_sandbox_url) as http:
        served = (await http.get(services.preview_url(version.sandbox_token))).text
        assert served == inject_bridge(page, services.settings.resolved_public_url)
        assert (await http.get("/vendor/chart.js@4.6.1/dist/chart.umd.min.js")).status_code == 404


def test_the_prompt_offers_the_libraries_only_when_they_are_installed(files: VendoredFiles, tmp_path: Path) -> None:
    assert system_prompt_name(files) == SYSTEM_PROMPT_FILE
    assert system_prompt_name(VendoredFiles(tmp_path / "nothing")) == SYSTEM_PROMPT_WITHOUT_LIBRARIES
    assert "jsdelivr" not in system_prompt(SYSTEM_PROMPT_WITHOUT_LIBRARIES).text


def test_the_prompt_names_every_library_at_an_address_we_serve(files: VendoredFiles) -> None:
    text = system_prompt(SYSTEM_PROMPT_FILE).text
    urls = re.findall(r"https://cdn\.jsdelivr\.net/npm/[^\s`\"]+", text)
    for lib in LIBRARIES:
        if lib.offered:
            assert f"https://cdn.jsdelivr.net/npm/{lib.base}/" in text, f"{lib.title} is not offered"
        else:
            assert lib.package not in text, f"{lib.title} is offered: mark it offered"
    for url in urls:
        served = vendored_url(url, files)
        assert served is not None, f"{url} is not vendored"
        # The prompt names our exact files, so nothing depends on a fallback.
        assert served == url.replace("https://cdn.jsdelivr.net/npm/", "/vendor/")


def test_the_current_prompts_say_what_works_in_the_sandbox_and_the_old_ones_stay() -> None:
    for name in (SYSTEM_PROMPT_FILE, SYSTEM_PROMPT_WITHOUT_LIBRARIES):
        text = system_prompt(name).text
        for works in ("event.preventDefault()", "`confirm`", '<a download="name.csv">', "navigator.clipboard.writeText", "requestFullscreen()", "`localStorage`"):
            assert works in text, f"{name} does not say that {works} works"
        for stopped in ("pop-up windows", "navigating to another page", "forms sent to a server", "reading the clipboard"):
            assert stopped in text, f"{name} does not say that {stopped} is stopped"
        assert "`alert`-based UI" not in text
    # Versions record the hash of the prompt they used: the old files stay as they were.
    hashes = {system_prompt(name).hash for name in ("system-v1.md", "system-v2.md", "system-v3.md", SYSTEM_PROMPT_FILE, SYSTEM_PROMPT_WITHOUT_LIBRARIES)}
    assert len(hashes) == 5
