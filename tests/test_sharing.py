"""Share links, remix, private preview addresses, export and import, the standalone download,
and the list of one's apps, through HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app.accounts.signing import PREVIEW_SECONDS
from app.accounts.users import UserRecord
from app.services import Services
from app.settings import Settings
from app.storage.schema import shares
from app.versions.download import app_of_download, offline_page, offline_policy, standalone_page
from app.versions.vendored import VendoredLookup
from app.web.server import create_app
from sandbox.bridge import inject_bridge
from sandbox.headers import APP_FRAME_ALLOW, APP_SANDBOX
from sandbox.libraries import VendoredFiles
from sandbox.server import create_sandbox_app
from tests.conftest import browser_for, wait_for_version
from tests.fakes.node_modules import make_node_modules

PAGE = "<!DOCTYPE html><html><head><title>Counter</title></head><body><h1>Count: 0</h1></body></html>"


@pytest.fixture
async def sandbox(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(services)), base_url="http://127.0.0.1:8001") as http:
        yield http


@pytest.fixture
async def anonymous(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, services)), base_url="http://localhost:8000") as http:
        yield http


async def _import(client: httpx.AsyncClient, html: str = PAGE) -> str:
    return (await client.post("/api/import", json={"html": html})).json()["app"]["id"]


async def _share(client: httpx.AsyncClient, app_id: str, **options: object) -> dict:
    response = await client.post(f"/api/apps/{app_id}/shares", json=options)
    assert response.status_code == 201, response.text
    return response.json()["share"]


# ---- share links ----------------------------------------------------------------------------------


async def test_a_share_link_shows_the_app_to_anyone(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    app_id = await _import(client)
    share = await _share(client, app_id, show_author=True)
    assert len(share["token"]) >= 32, "at least 128 bits, base64"
    assert share["url"] == f"http://localhost:8000/s/{share['token']}" and share["state"] == "active"
    viewer = await anonymous.get(f"/s/{share['token']}")
    assert viewer.status_code == 200
    frame_url = (await anonymous.get(f"/api/shares/{share['token']}")).json()["shared"]["frame_url"]
    assert frame_url.startswith("http://127.0.0.1:8001/v/") and frame_url.endswith(f"?share={share['token']}")
    assert f'src="{frame_url}"' in viewer.text and f'sandbox="{APP_SANDBOX}" allow="{APP_FRAME_ALLOW}"' in viewer.text
    assert 'data-testid="share-frame"' in viewer.text and "by Test Person" in viewer.text and "Count: 0" not in viewer.text
    framed = await sandbox.get(frame_url)
    assert framed.text in {inject_bridge(page, "http://localhost:8000") for page in ("<!DOCTYPE html>\n" + PAGE, PAGE)}
    assert f"sandbox {APP_SANDBOX}" in framed.headers["content-security-policy"]
    source = await anonymous.get(f"/s/{share['token']}/source")
    assert "&lt;h1&gt;Count: 0&lt;/h1&gt;" in source.text and "<h1>Count: 0</h1>" not in source.text


async def test_the_author_is_shown_only_if_they_chose(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    share = await _share(client, await _import(client))
    assert (await anonymous.get(f"/api/shares/{share['token']}")).json()["shared"]["author"] is None
    assert "Test Person" not in (await anonymous.get(f"/s/{share['token']}")).text


async def test_latest_follows_new_versions_and_a_pinned_link_stays(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    app_id = (await client.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})).json()["app"]["id"]
    await wait_for_version(client, app_id, 1)
    latest, pinned = await _share(client, app_id), await _share(client, app_id, version=1)
    assert (latest["version"], pinned["version"]) == (None, 1)
    await client.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark", "model": "demo"})
    v2 = await wait_for_version(client, app_id, 2)
    assert (await anonymous.get(f"/api/shares/{latest['token']}")).json()["shared"]["html"] == v2["html"]
    assert (await anonymous.get(f"/api/shares/{pinned['token']}")).json()["shared"]["version"] == 1


async def test_a_link_opens_only_the_version_it_shows(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    app_id = await _import(client)
    await client.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark", "model": "demo"})
    await wait_for_version(client, app_id, 2)
    pinned = await _share(client, app_id, version=1)
    v2_token = (await client.get(f"/api/apps/{app_id}/versions/2")).json()["version"]["preview_url"].split("/v/")[1].split("?")[0]
    frame_url = (await anonymous.get(f"/api/shares/{pinned['token']}")).json()["shared"]["frame_url"]
    assert (await sandbox.get(frame_url)).status_code == 200
    assert (await sandbox.get(f"/v/{v2_token}?share={pinned['token']}")).status_code == 404


async def test_latest_skips_a_version_being_written_or_failed(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    app, _ = await services.store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None, html=PAGE, status="complete", owner_id=user.id)
    share = await _share(client, app.id)
    failed = await services.store.create_version(app.id, parent_number=1, prompt="q", model="demo", system_prompt_hash=None)
    await services.store.finish_version(failed.id, status="failed", error="boom")
    await services.store.create_version(app.id, parent_number=1, prompt="r", model="demo", system_prompt_hash=None)  # still generating
    assert (await anonymous.get(f"/api/shares/{share['token']}")).json()["shared"]["version"] == 1


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"version": 9}, "no version 9"),
        ({"version": "1"}, "version number"),
        ({"version": 0}, "version number"),
        ({"show_author": "yes"}, "true or false"),
        ({"expires_in": 5}, "seconds from 60"),
        ({"expires_in": 10**12}, "seconds from 60"),
    ],
)
async def test_bad_share_options_say_what_to_fix(client: httpx.AsyncClient, options: dict, words: str) -> None:
    response = await client.post(f"/api/apps/{await _import(client)}/shares", json=options)
    assert response.status_code in (400, 404) and words in response.json()["error"]["message"]


async def test_a_version_without_a_page_cannot_be_shared(client: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    app, version = await services.store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None, owner_id=user.id)
    await services.store.finish_version(version.id, status="failed", error="boom")
    for options in ({}, {"version": 1}):
        response = await client.post(f"/api/apps/{app.id}/shares", json=options)
        assert response.status_code == 400 and "share" in response.json()["error"]["message"]


async def test_revoking_stops_the_link_everywhere_at_once(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    app_id = await _import(client)
    share = await _share(client, app_id)
    token = share["token"]
    assert (await anonymous.get(f"/s/{token}")).status_code == 200
    frame_url = (await anonymous.get(f"/api/shares/{token}")).json()["shared"]["frame_url"]
    assert (await sandbox.get(frame_url)).status_code == 200
    revoked = await client.delete(f"/api/apps/{app_id}/shares/{share['id']}")
    assert revoked.json()["share"]["state"] == "revoked"
    for path in (f"/s/{token}", f"/s/{token}/source", f"/s/{token}/download", f"/api/shares/{token}"):
        response = await anonymous.get(path)
        assert response.status_code == 404 and "Count: 0" not in response.text, path
    assert (await sandbox.get(frame_url)).status_code == 404
    listed = (await client.get(f"/api/apps/{app_id}/shares")).json()["shares"]
    assert [s["state"] for s in listed] == ["revoked"]


async def test_an_expired_link_stops_working(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, sandbox: httpx.AsyncClient, services: Services) -> None:
    share = await _share(client, await _import(client), expires_in=3600)
    assert share["expires_at"] and (await anonymous.get(f"/s/{share['token']}")).status_code == 200
    frame_url = (await anonymous.get(f"/api/shares/{share['token']}")).json()["shared"]["frame_url"]
    async with services.store.engine.begin() as conn:
        await conn.execute(shares.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert (await anonymous.get(f"/s/{share['token']}")).status_code == 404
    assert (await sandbox.get(frame_url)).status_code == 404


# ---- remix ------------------------------------------------------------------------------------------


async def test_another_person_remixes_a_shared_app_into_their_own(settings: Settings, services: Services, client: httpx.AsyncClient) -> None:
    app_id = await _import(client)
    await client.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark, a SECRET follow-up", "model": "demo"})
    await wait_for_version(client, app_id, 2)
    share = await _share(client, app_id, version=1, show_author=True)
    bob = await services.accounts.create_user("bob")
    async with browser_for(settings, services, bob) as browser:
        response = await browser.post(f"/s/{share['token']}/remix", data={"csrf_token": browser.headers["X-CSRF-Token"]})
        assert response.status_code == 303
        remix_id = response.headers["location"].removeprefix("/apps/")
        remixed = (await browser.get(f"/api/apps/{remix_id}")).json()
        editor = await browser.get(f"/apps/{remix_id}")
    assert remixed["app"]["remixed_from"] == "“Counter” by Test Person"
    [v1] = remixed["versions"]
    assert (v1["model"], v1["kind"], v1["status"], v1["prompt"]) == ("remix", "remix", "complete", "Remixed from “Counter” by Test Person")
    assert "SECRET" not in json.dumps(remixed), "only the page travels, never the author's prompts"
    assert "Remixed from" in editor.text and 'data-testid="remixed-from"' in editor.text
    assert [a["title"] for a in (await client.get("/api/apps")).json()["apps"]] == ["Counter"], "the original stays the author's only"


async def test_remix_needs_someone_signed_in(anonymous: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    share = await _share(client, await _import(client))
    viewer = await anonymous.get(f"/s/{share['token']}")
    assert "Sign in to remix" in viewer.text and f"/login?next=/s/{share['token']}" in viewer.text
    assert f'action="/s/{share["token"]}/remix"' in (await client.get(f"/s/{share['token']}")).text, "signed in: the Remix form"
    assert (await client.post(f"/api/shares/{share['token']}/remix")).status_code == 201


# ---- private preview addresses ------------------------------------------------------------------


async def test_private_previews_need_a_fresh_signature(client: httpx.AsyncClient, sandbox: httpx.AsyncClient, services: Services) -> None:
    app_id = await _import(client)
    version = (await client.get(f"/api/apps/{app_id}/versions/1")).json()["version"]
    signed = version["preview_url"]
    assert "?exp=" in signed and "&sig=" in signed
    assert (await sandbox.get(signed)).status_code == 200
    assert (await sandbox.get(signed + "&_r=3")).status_code == 200, "the editor's reload parameter is ignored"
    bare = signed.split("?")[0]
    token = bare.rsplit("/", 1)[1]
    expires = int(signed.split("exp=")[1].split("&")[0])
    assert abs(expires - (datetime.now(UTC).timestamp() + PREVIEW_SECONDS)) < 60
    expired = services.signer.preview_url("http://127.0.0.1:8001", token, now=datetime.now(UTC).timestamp() - PREVIEW_SECONDS - 1)
    other = await client.post("/api/import", json={"html": "<p>other</p>"})
    other_signed = other.json()["version"]["preview_url"]
    for url in (
        bare,
        signed.replace("sig=", "sig=x"),
        signed.replace(f"exp={expires}", f"exp={expires + 3600}"),  # a longer life is not theirs to choose
        expired,
        bare + "?" + other_signed.split("?")[1],  # another version's signature
    ):
        response = await sandbox.get(url)
        assert response.status_code == 404 and "Count" not in response.text, url
        # Only an address that once opened this page is told it expired, and how to get a fresh one.
        assert ("has expired" in response.text) == (url == expired), url
        assert url != expired or "Open the app in Toolsmith again" in response.text


# ---- export, import, download -----------------------------------------------------------------------


async def test_export_and_import_on_another_instance_keeps_the_whole_history(client: httpx.AsyncClient, tmp_path: Path) -> None:
    app_id = (await client.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})).json()["app"]["id"]
    await wait_for_version(client, app_id, 1)
    await client.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark", "model": "demo", "parent": 1})
    await wait_for_version(client, app_id, 2)
    exported = await client.get(f"/api/apps/{app_id}/export")
    assert exported.headers["content-disposition"].startswith("attachment;") and ".toolsmith.json" in exported.headers["content-disposition"]
    data = exported.json()
    assert data["format"] == "toolsmith.app" and [v["prompt"] for v in data["versions"]] == ["a tip calculator", "make it dark"]

    elsewhere = Settings(data_dir=tmp_path / "b", database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite'}", demo_delay=0.0)
    other = await Services.open(elsewhere)
    try:
        carol = await other.accounts.create_user("carol")
        _, secret = await other.accounts.create_token(carol.id)
        transport = httpx.ASGITransport(app=create_app(elsewhere, other))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", headers={"Authorization": f"Bearer {secret}"}) as http:
            imported = await http.post("/api/import", json={"export": data})
            assert imported.status_code == 201
            new_id = imported.json()["app"]["id"]
            restored = (await http.get(f"/api/apps/{new_id}")).json()
            v2 = (await http.get(f"/api/apps/{new_id}/versions/2")).json()["version"]
    finally:
        await other.close()
    originals = (await client.get(f"/api/apps/{app_id}")).json()["versions"]
    keep = ("number", "parent_number", "prompt", "model", "status", "input_tokens", "output_tokens", "duration_ms", "stop_reason", "system_prompt_hash", "created_at")
    assert [{k: v[k] for k in keep} for v in restored["versions"]] == [{k: v[k] for k in keep} for v in originals]
    assert v2["html"] == (await client.get(f"/api/apps/{app_id}/versions/2")).json()["version"]["html"]
    assert restored["app"]["title"] == data["app"]["title"] and new_id != app_id


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(format="other"), "Toolsmith export"),
        (lambda d: d.update(format_version=99), "format version 99"),
        (lambda d: d.update(versions=[]), "non-empty"),
        (lambda d: d["versions"][0].update(number=0), "number"),
        (lambda d: d["versions"][0].update(parent_number=5), "parent_number"),
        (lambda d: d["versions"][0].update(status="weird"), "status"),
        (lambda d: d["versions"][0].update(created_at="yesterday"), "ISO 8601"),
        (lambda d: d["versions"][0].update(html="x" * 2_000_001), "limit"),
        (lambda d: d["versions"][0].update(output_tokens=-1), "output_tokens"),
    ],
)
async def test_a_bad_export_is_refused_with_what_is_wrong(client: httpx.AsyncClient, change, words: str) -> None:  # type: ignore[no-untyped-def]
    data = (await client.get(f"/api/apps/{await _import(client)}/export")).json()
    change(data)
    response = await client.post("/api/import", json={"export": data})
    assert response.status_code == 400 and words in response.json()["error"]["message"]
    assert len((await client.get("/api/apps")).json()["apps"]) == 1


async def test_an_export_made_mid_answer_imports_that_version_as_failed(client: httpx.AsyncClient) -> None:
    data = (await client.get(f"/api/apps/{await _import(client)}/export")).json()
    data["versions"].append({**data["versions"][0], "number": 2, "parent_number": 1, "status": "generating", "html": None, "finished_at": None})
    imported = (await client.post("/api/import", json={"export": data})).json()
    v2 = (await client.get(f"/api/apps/{imported['app']['id']}/versions/2")).json()["version"]
    assert v2["status"] == "failed" and "exported" in v2["error"]


async def test_an_import_may_be_larger_than_other_bodies_up_to_its_own_limit(client: httpx.AsyncClient) -> None:
    data = (await client.get(f"/api/apps/{await _import(client)}/export")).json()
    page = "<!DOCTYPE html><p>" + "x" * 1_900_000 + "</p>"
    first = {**data["versions"][0], "html": page}
    data["versions"] = [first, *({**first, "number": n, "parent_number": 1} for n in range(2, 6))]
    body = json.dumps({"export": data})
    assert 8_000_000 < len(body) < 64_000_000
    elsewhere = await client.post("/api/apps", content=body, headers={"Content-Type": "application/json"})
    assert elsewhere.status_code == 400 and "larger than 8,000,000 bytes" in elsewhere.json()["error"]["message"]
    imported = await client.post("/api/import", content=body, headers={"Content-Type": "application/json"})
    assert imported.status_code == 201, imported.text[:300]
    assert imported.json()["version"]["number"] == 5
    too_big = await client.post("/api/import", content=b'{"html": "' + b"x" * 64_000_000 + b'"}', headers={"Content-Type": "application/json"})
    assert too_big.status_code == 400 and "larger than 64,000,000 bytes" in too_big.json()["error"]["message"]


async def test_downloads_are_attachments_that_never_render_on_our_origin(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    app_id = await _import(client)
    share = await _share(client, app_id)
    for http, path, name in ((client, f"/api/apps/{app_id}/versions/1/download", "counter-v1.html"), (anonymous, f"/s/{share['token']}/download", "counter.html")):
        response = await http.get(path)
        assert response.status_code == 200
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
        assert "sandbox" in response.headers.get_list("content-security-policy")
        assert "<h1>Count: 0</h1>" in framed_app(response.text)["srcdoc"] and 'http-equiv="Content-Security-Policy"' in response.text


# ---- the standalone page ----------------------------------------------------------------------------


class _Elements(HTMLParser):
    """The elements of a document, in order, with their attributes (character references decoded)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def framed_app(download: str) -> dict[str, str | None]:
    """The attributes of the one frame of a downloaded file."""
    frames = [attrs for tag, attrs in _Elements(download).found if tag == "iframe"]
    assert len(frames) == 1, download[:500]
    return frames[0]


@pytest.fixture
def files(tmp_path: Path) -> VendoredFiles:
    """The vendored libraries as scripts/vendor installs them, with contents that show what inlining does."""
    root = make_node_modules(tmp_path / "node_modules")
    (root / "chart.js" / "dist" / "chart.umd.min.js").write_text("window.Chart = function () { return '</script><!--<b>not markup</b>'; };")
    (root / "katex" / "dist" / "katex.min.css").write_text("@font-face{src:url(fonts/KaTeX_Main-Regular.woff2) format('woff2')}.katex{color:red}")
    (root / "katex" / "dist" / "fonts" / "KaTeX_Main-Regular.woff2").write_bytes(b"\x00woff2")
    return VendoredFiles(root)


def test_the_lookup_reads_what_the_sandbox_host_serves_and_nothing_else(files: VendoredFiles) -> None:
    lookup = VendoredLookup(files)
    chart = (files.root / "chart.js" / "dist" / "chart.umd.min.js").read_bytes()
    assert lookup("/vendor/chart.js@4.6.1/dist/chart.umd.min.js") == chart
    assert lookup("https://cdn.jsdelivr.net/npm/chart.js@4.4.1/dist/chart.umd.min.js") == chart, "the copy standing in for 4.x"
    assert lookup("https://cdn.jsdelivr.net/npm/chart.js") == chart, "a bare package: its browser build"
    assert lookup("https://cdnjs.cloudflare.com/ajax/libs/Chart.js/3.9.1/chart.min.js") == chart
    assert lookup("https://cdn.jsdelivr.net/npm/chart.js@2/dist/Chart.min.js") is None, "a major version ours does not stand in for"
    assert lookup("/vendor/chart.js@4.6.1/dist/chart.js") is None, "in the package, but not a file the sandbox host serves"
    assert lookup("/vendor/chart.js@4.6.1/../../secret.js") is None and lookup("/vendor/chart.js@4.6.1/%2e%2e/%2e%2e/secret.js") is None
    assert lookup("https://evil.example/npm/chart.js@4/dist/chart.umd.min.js") is None and lookup("app.js") is None


# A script or style the file would fetch from the sandbox host's copies. (The bridge's Worker
# stand-in names /vendor/ in its code: on a file's opaque origin it matches no address.)
_LINKS_TO_VENDOR = re.compile(r"""(?:src|href)\s*=\s*["']?[^"'\s>]*/vendor/""", re.IGNORECASE)


def test_a_standalone_page_inlines_the_vendored_libraries_it_links(files: VendoredFiles) -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Chart</title>"
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/katex@0.16/dist/katex.min.css" integrity="sha384-x" crossorigin="anonymous">'
        '<script src="https://cdn.jsdelivr.net/npm/chart.js@4.4.1/dist/chart.umd.min.js" defer></script>'
        '<script src="https://cdn.example.com/unknown.js"></script>'
        "</head><body><script>new Chart()</script></body></html>"
    )
    out = offline_page(page, files)
    assert out.startswith('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy"')
    assert "<script>window.Chart = function () { return '<\\/script><\\x21--<b>not markup</b>'; };</script>" in out
    assert "chart.umd" not in out and "katex.min.css" not in out and "integrity" not in out and not _LINKS_TO_VENDOR.search(out)
    assert "<style>@font-face{src:url(\"data:font/woff2;base64,AHdvZmYy\") format('woff2')}.katex{color:red}</style>" in out
    assert '<script src="https://cdn.example.com/unknown.js"></script>' in out, "what is not vendored stays as it was"
    assert "<script>new Chart()</script>" in out


def test_a_tailwind_play_cdn_page_keeps_its_configuration(files: VendoredFiles) -> None:
    page = (
        '<html><head><script src="https://cdn.tailwindcss.com"></script>'
        "<script>tailwind.config = {theme: {extend: {colors: {brand: '#0af'}}}}</script></head>"
        '<body class="bg-brand"></body></html>'
    )
    out = offline_page(page, files)
    build = "/* @tailwindcss/browser dist/index.global.js */"
    # As the sandbox host serves it: the script that carries the page's config over, then the build, then the page's config.
    assert out.index("window.tailwind = window.tailwind ||") < out.index(build) < out.index("tailwind.config = {theme")
    assert "cdn.tailwindcss.com" not in out and not _LINKS_TO_VENDOR.search(out)


def test_the_offline_policy_is_the_sandbox_policy_with_nothing_to_load() -> None:
    policy = offline_policy()
    assert "connect-src data: blob:;" in policy and "default-src 'none'" in policy  # local schemes only: no host
    assert "script-src 'unsafe-inline' 'unsafe-eval' blob:;" in policy, "inline only: the vendored files are in the page"
    assert "font-src data:;" in policy and "/vendor/" not in policy and "http" not in policy
    assert "sandbox" not in policy and "frame-ancestors" not in policy, "a <meta> policy cannot carry them"


def test_without_the_libraries_a_page_is_only_given_the_policy_and_the_bridge(tmp_path: Path) -> None:
    nothing = VendoredFiles(tmp_path / "nothing")
    page = '<!DOCTYPE html><html><head><script src="https://cdn.jsdelivr.net/npm/chart.js"></script></head></html>'
    meta = f'<meta http-equiv="Content-Security-Policy" content="{escape(offline_policy())}">'
    assert offline_page(page, nothing) == inject_bridge(page, None).replace("<head>", "<head>" + meta, 1)


def test_a_page_without_a_head_still_gets_the_policy_first(files: VendoredFiles) -> None:
    assert offline_page("<p>hi</p>", files).startswith('<meta http-equiv="Content-Security-Policy"')
    assert offline_page("<!doctype html><html><body>x</body></html>", files).startswith("<!doctype html><html><head><meta http-equiv")


async def test_a_download_inlines_what_the_page_links(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: Services, files: VendoredFiles) -> None:
    services.vendored = files
    page = '<!DOCTYPE html><html><head><title>Chart</title><script src="https://cdn.jsdelivr.net/npm/chart.js@4/dist/chart.umd.min.js"></script></head><body></body></html>'
    app_id = await _import(client, page)
    share = await _share(client, app_id)
    for http, path in ((client, f"/api/apps/{app_id}/versions/1/download"), (anonymous, f"/s/{share['token']}/download")):
        response = await http.get(path)
        assert response.status_code == 200
        app = framed_app(response.text)["srcdoc"] or ""
        assert "window.Chart = function" in app and "cdn.jsdelivr.net" not in app


def test_a_download_runs_the_app_in_a_sandboxed_frame_and_has_no_script_of_its_own(files: VendoredFiles) -> None:
    page = '<!DOCTYPE html><html><head><title>t</title></head><body><a href="https://evil.example/?q=1&r=2">"go"</a><script>go()</script></body></html>'
    download = standalone_page(page, files, 'Tips & "tricks" </title>')
    assert download.startswith("<!DOCTYPE html>\n<!-- Made with Toolsmith.")
    frame = framed_app(download)
    # As the editor frames an app: scripts, and nothing else the sandbox could allow.
    assert frame["sandbox"] == APP_SANDBOX and frame["allow"] == APP_FRAME_ALLOW and frame["srcdoc"] == offline_page(page, files)
    outside = _Elements(download.replace(download[download.index(" srcdoc="):download.index("></iframe>")], "")).found
    assert [tag for tag, _ in outside] == ["html", "head", "meta", "meta", "meta", "title", "style", "body", "iframe"]
    policies = [attrs["content"] for tag, attrs in outside if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    # The frame inherits this policy: it stops the frame navigating itself anywhere but to a
    # document of its own making, which inherits the policy in turn.
    assert policies == [offline_policy()] and "frame-src blob: data:" in offline_policy()
    assert "<title>Tips &amp; &quot;tricks&quot; &lt;/title&gt;</title>" in download


async def test_importing_a_download_gives_back_the_app(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: Services, files: VendoredFiles) -> None:
    services.vendored = files
    chart = '<!DOCTYPE html><html><head><title>Chart</title><script src="https://cdn.jsdelivr.net/npm/chart.js@4/dist/chart.umd.min.js"></script></head><body></body></html>'
    imported: dict[str, str] = {}
    for page in (PAGE, chart):
        share = await _share(client, await _import(client, page))
        download = (await anonymous.get(f"/s/{share['token']}/download")).text
        app_id = (await client.post("/api/import", json={"html": download})).json()["app"]["id"]
        imported[page] = (await client.get(f"/api/apps/{app_id}/versions/1")).json()["version"]["html"]
        assert imported[page] == app_of_download(download)
    # The page as it was, with no frame, bridge or policy of ours; the libraries stay inlined.
    assert imported[PAGE] == PAGE
    assert imported[chart] == chart.replace('<script src="https://cdn.jsdelivr.net/npm/chart.js@4/dist/chart.umd.min.js"></script>', "<script>window.Chart = function () { return '<\\/script><\\x21--<b>not markup</b>'; };</script>")
    assert app_of_download(PAGE) is None, "any other page is imported as it is"


# ---- one's own apps ---------------------------------------------------------------------------------


async def test_apps_are_listed_newest_change_first_and_searchable_by_title_and_prompt(client: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    for title, prompt in [("Budget", "track my spending"), ("Timer", "a kitchen timer with 50% more beeps"), ("Notes", "a notepad")]:
        await services.store.create_app(title=title, prompt=prompt, model="demo", system_prompt_hash=None, html="<p>", status="complete", owner_id=user.id)
    bob = await services.accounts.create_user("bob")
    await services.store.create_app(title="Bob's budget", prompt="spending", model="demo", system_prompt_hash=None, html="<p>", status="complete", owner_id=bob.id)

    def titles(response: httpx.Response) -> list[str]:
        return [a["title"] for a in response.json()["apps"]]

    assert titles(await client.get("/api/apps")) == ["Notes", "Timer", "Budget"]
    assert titles(await client.get("/api/apps", params={"q": "SPENDING"})) == ["Budget"]
    assert titles(await client.get("/api/apps", params={"q": "tim"})) == ["Timer"]
    assert titles(await client.get("/api/apps", params={"q": "50%"})) == ["Timer"]
    assert titles(await client.get("/api/apps", params={"q": "_"})) == []
    page = await client.get("/apps", params={"q": "spending"})
    assert "Budget" in page.text and "Bob" not in page.text and "Timer" not in page.text
