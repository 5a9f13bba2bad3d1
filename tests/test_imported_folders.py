"""Importing a folder or a zip: the page and the files it names, stored with the version, every
refusal writing nothing, and the files served under that version's own address only."""

from __future__ import annotations

import asyncio
import html
import io
import re
import warnings
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from app.accounts.users import UserRecord
from app.services import Services
from app.settings import Settings
from app.storage import version_files
from sandbox.server import create_sandbox_app
from tests.conftest import api_client
from tests.test_cli import toolsmith

SANDBOX = "http://127.0.0.1:8001"
PAGE = (
    "<!DOCTYPE html><html><head><title>Rates</title><link rel=stylesheet href='style.css'>"
    "<script src='app.js' defer></script></head><body><input id=amount><button id=go>Go</button>"
    "<output id=out></output><img src='img/logo.png' alt=''><script src='../outside.js'></script></body></html>"
)
FILES = {
    "index.html": PAGE,
    "app.js": "fetch('data.json').then(r => r.json()).then(d => { window.rate = d.rate; }); import('./lib/more.js');",
    "style.css": "@import 'theme.css'; body { background: url(img/bg.png) }",
    "theme.css": "h1 { color: red }",
    "data.json": '{"rate": 3}',
    "lib/more.js": "export const more = 1;",
    "img/logo.png": "\x89PNG",
    "img/bg.png": "\x89PNG bg",
    "unnamed.js": "never named by the page",
}
NAMED = ["app.js", "data.json", "img/bg.png", "img/logo.png", "lib/more.js", "style.css", "theme.css"]


def make_zip(entries: dict[str, str | bytes], *, folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(folder + name, data)
    return buffer.getvalue()


@pytest.fixture
async def sandbox(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(services)), base_url=SANDBOX) as http:
        yield http


async def import_zip(client: httpx.AsyncClient, data: bytes, **params: str) -> httpx.Response:
    return await client.post("/api/import", content=data, params=params, headers={"Content-Type": "application/zip"})


async def stored_files(services: Services) -> int:
    async with services.store.engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(version_files))).scalar_one())


def file_url(preview_url: str, path: str) -> str:
    assert re.fullmatch(r"http://127\.0\.0\.1:8001/v/[\w-]+/p\.\d+\.[\w-]+/", preview_url), preview_url
    return preview_url + path


# ---- importing ------------------------------------------------------------------------------------


async def test_a_zip_brings_the_page_and_the_files_it_names(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    response = await import_zip(client, make_zip(FILES, folder="rates/"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["files"] == NAMED  # unnamed.js stays behind
    assert body["skipped"] == ["“../outside.js” (named by index.html) is outside the page's folder: not imported."]
    assert body["app"]["title"] == "Rates" and body["version"]["has_files"] is True
    version = (await client.get(f"/api/apps/{body['app']['id']}/versions/1")).json()["version"]
    assert version["html"] == PAGE  # kept exactly as written
    page = await sandbox.get(version["preview_url"])
    assert page.status_code == 200 and "<output id=out>" in page.text
    folder = SANDBOX + version["preview_url"][len(SANDBOX) :].split("?")[0]
    policy = page.headers["content-security-policy"]
    for directive in ("script-src", "style-src", "img-src", "connect-src"):
        sources = next(d for d in policy.split("; ") if d.startswith(directive + " ")).split()
        assert folder in sources and f"{SANDBOX}/v/" not in sources, (directive, sources)
    assert page.headers["connection-allowlist"] == f'("{SANDBOX}/vendor/*" "{folder}*")'
    script = await sandbox.get(file_url(version["preview_url"], "app.js"))
    assert script.status_code == 200 and script.text == FILES["app.js"]
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["x-content-type-options"] == "nosniff" and script.headers["cross-origin-resource-policy"] == "cross-origin"
    assert script.headers["content-security-policy"] == policy
    data = await sandbox.get(file_url(version["preview_url"], "data.json"))
    assert data.json() == {"rate": 3} and data.headers["content-type"] == "application/json; charset=utf-8"
    assert (await sandbox.get(file_url(version["preview_url"], "img/logo.png"))).headers["content-type"] == "image/png"


async def test_a_page_alone_keeps_its_address(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/import", json={"html": PAGE})
    version = response.json()["version"]
    assert version["has_files"] is False and "?exp=" in version["preview_url"]


def test_the_command_imports_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "rates"
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    (tmp_path / "outside.js").write_text("a secret beside the folder")
    (folder / "img" / "bg.png").unlink()
    (folder / "img" / "bg.png").symlink_to(tmp_path / "outside.js")
    database = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    assert toolsmith("users", "add", "ada", "--no-password", "--database-url", database).returncode == 0
    result = toolsmith("import", str(folder), "--database-url", database)
    assert result.returncode == 0, result.stderr
    assert "“img/bg.png” is a symbolic link: not imported." in result.stderr and "“../outside.js”" in result.stderr
    app_id = result.stdout.strip().rsplit("/", 1)[1]

    async def kept() -> tuple[list[str], bool]:
        services = await Services.open(Settings(database_url=database))
        try:
            version = await services.store.get_version(app_id, 1)
            assert version.files_from is not None
            return [f.path for f in await services.store.files.all(version.files_from)], version.html == PAGE
        finally:
            await services.close()

    assert asyncio.run(kept()) == ([name for name in NAMED if name != "img/bg.png"], True)
    several = tmp_path / "several"
    several.mkdir()
    (several / "a.html").write_text("<p>a")
    (several / "b.html").write_text("<p>b")
    refused = toolsmith("import", str(several), "--database-url", database)
    assert refused.returncode == 2 and "several pages" in refused.stderr and "Traceback" not in refused.stderr
    chosen = toolsmith("import", str(several), "--page", "b.html", "--database-url", database)
    assert chosen.returncode == 0, chosen.stderr


# ---- refusals -------------------------------------------------------------------------------------


def _zip_with(*names: str, data: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of a name written twice, and writes it
        archive.writestr("index.html", PAGE)
        for name in names:
            archive.writestr(zipfile.ZipInfo(name), data)
    return buffer.getvalue()


def _latin1_zip() -> bytes:
    """A name in a legacy code page, without the UTF-8 flag, as old tools write them."""
    return _zip_with("cafX.js").replace(b"cafX", b"caf\x82")


def _symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<script src='app.js'></script>")
        link = zipfile.ZipInfo("app.js")
        link.external_attr = 0o120777 << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def _lying_zip() -> bytes:
    """A zip bomb's trick: the central directory says 10 bytes, the entry inflates to 6 MB."""
    honest = make_zip({"index.html": "<script src='app.js'></script>", "app.js": b"\0" * 6_000_000})
    return honest.replace((6_000_000).to_bytes(4, "little"), (10).to_bytes(4, "little"))


REFUSED = [
    ("zip slip", _zip_with("../evil.js"), 400, "invalid_bundle", "leads outside it"),
    ("absolute name", _zip_with("/etc/evil.js"), 400, "invalid_bundle", "leads outside it"),
    ("backslashes", _zip_with("..\\evil.js"), 400, "invalid_bundle", "leads outside it"),
    ("twice", _zip_with("app.js", "app.js"), 400, "invalid_bundle", "twice"),
    ("not UTF-8", _latin1_zip(), 400, "invalid_bundle", "UTF-8"),
    ("not a zip", b"PK\x03\x04 not really", 400, "invalid_bundle", "not a zip"),
    ("no page", make_zip({"app.js": "1"}), 400, "invalid_bundle", "no index.html"),
    ("several pages", make_zip({"a.html": "a", "b.html": "b"}), 400, "invalid_bundle", "several pages"),
    ("a file too large", make_zip({"index.html": "<script src='app.js'></script>", "app.js": b"\0" * 5_000_001}), 413, "bundle_too_large", "5,000,000"),
    ("all files too large", make_zip({"index.html": " ".join(f"'{n}.js'" for n in range(5)), **{f"{n}.js": b"\0" * 4_500_000 for n in range(5)}}), 413, "bundle_too_large", "20,000,000"),
    ("a zip bomb", _lying_zip(), 400, "invalid_bundle", "cannot be read"),
]


@pytest.mark.parametrize(("body", "status", "code", "words"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
async def test_a_bad_zip_is_refused_and_writes_nothing(client: httpx.AsyncClient, services: Services, user: UserRecord, body: bytes, status: int, code: str, words: str) -> None:
    response = await import_zip(client, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"], error
    assert await services.store.list_apps(user.id) == [] and await stored_files(services) == 0


async def test_a_zip_over_the_body_limit_is_refused_as_it_arrives(client: httpx.AsyncClient, services: Services, user: UserRecord, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.web.api.apps.MAX_ZIP_BYTES", 1000)
    response = await import_zip(client, make_zip({"index.html": "x" * 5000}, folder="a/") + b"\0" * 1000)
    assert response.status_code == 413 and response.json()["error"]["code"] == "bundle_too_large"
    assert await services.store.list_apps(user.id) == []


async def test_a_symbolic_link_in_a_zip_is_skipped(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    response = await import_zip(client, _symlink_zip())
    assert response.status_code == 201 and response.json()["files"] == []
    assert response.json()["skipped"] == ["“app.js” is a symbolic link: not imported."]


async def test_a_page_chosen_in_a_zip(client: httpx.AsyncClient) -> None:
    response = await import_zip(client, make_zip({"a.html": "<title>A</title>", "b.html": "<title>B</title>"}), page="b.html", title="Chosen")
    assert response.status_code == 201 and response.json()["app"]["title"] == "Chosen"
    outside = await import_zip(client, make_zip({"a.html": "a"}), page="../a.html")
    assert outside.status_code == 400 and outside.json()["error"]["code"] == "invalid_bundle"


# ---- serving, scoped to the version ---------------------------------------------------------------


async def test_files_are_served_to_their_own_version_only(client: httpx.AsyncClient, sandbox: httpx.AsyncClient, services: Services, settings: Settings) -> None:
    first = (await import_zip(client, make_zip(FILES))).json()
    other = (await import_zip(client, make_zip({"index.html": "<script src='other.js'></script>", "other.js": "2"}))).json()
    mine, theirs = first["version"]["preview_url"], other["version"]["preview_url"]
    assert (await sandbox.get(file_url(mine, "app.js"))).status_code == 200
    # Another app's address, signed for it, does not reach this app's file, nor the other way round.
    assert (await sandbox.get(file_url(theirs, "app.js"))).status_code == 404
    assert (await sandbox.get(file_url(mine, "other.js"))).status_code == 404
    # A key is only good for its own token: this version's key on another token opens nothing.
    my_token, my_key = mine[len(SANDBOX) + 3 :].split("/")[:2]
    their_token = theirs[len(SANDBOX) + 3 :].split("/")[0]
    assert (await sandbox.get(f"{SANDBOX}/v/{their_token}/{my_key}/other.js")).status_code == 404
    # Paths not stored, ones outside the folder, and what the page never named.
    for path in ("unnamed.js", "index.html", "../app.js", "%2e%2e/app.js", "lib/", "nothing"):
        assert (await sandbox.get(file_url(mine, path))).status_code == 404, path
    # No key, a forged one, an expired one.
    assert (await sandbox.get(f"{SANDBOX}/v/{my_token}/app.js")).status_code == 404
    assert (await sandbox.get(f"{SANDBOX}/v/{my_token}/p.99999999999.forged/app.js")).status_code == 404
    expired = services.signer.preview_url(settings.resolved_sandbox_url, my_token, now=0)
    exp, sig = expired.split("exp=")[1].split("&sig=")
    assert (await sandbox.get(f"{SANDBOX}/v/{my_token}/p.{exp}.{sig}/app.js")).status_code == 404


async def test_a_share_link_opens_the_files_while_it_works(client: httpx.AsyncClient, sandbox: httpx.AsyncClient) -> None:
    app_id = (await import_zip(client, make_zip(FILES))).json()["app"]["id"]
    share = (await client.post(f"/api/apps/{app_id}/shares", json={})).json()["share"]
    frame_url = (await client.get(f"/api/shares/{share['token']}")).json()["shared"]["frame_url"]
    assert frame_url.endswith(f"/s.{share['token']}/")
    page = await sandbox.get(frame_url)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    script = await sandbox.get(frame_url + "app.js")
    assert script.status_code == 200 and script.headers["cache-control"] == "no-store"
    await client.delete(f"/api/apps/{app_id}/shares/{share['id']}")
    assert (await sandbox.get(frame_url + "app.js")).status_code == 404
    assert (await sandbox.get(frame_url)).status_code == 404


async def test_versions_made_from_it_keep_the_files(client: httpx.AsyncClient, sandbox: httpx.AsyncClient, services: Services, settings: Settings) -> None:
    app_id = (await import_zip(client, make_zip(FILES))).json()["app"]["id"]
    edited = await client.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": PAGE.replace("Go", "Convert")})
    assert edited.status_code == 201 and edited.json()["version"]["has_files"] is True
    restored = (await client.post(f"/api/apps/{app_id}/versions/1/restore")).json()["version"]
    for version in (edited.json()["version"], restored):
        assert (await sandbox.get(file_url(version["preview_url"], "data.json"))).json() == {"rate": 3}
    assert await stored_files(services) == len(NAMED)  # kept once, named by each version
    # A remix is a new app: it gets a copy, so the original's owner may delete theirs.
    share = (await client.post(f"/api/apps/{app_id}/shares", json={})).json()["share"]
    async with api_client(settings, services, await services.accounts.create_user("grace")) as grace:
        remixed = await grace.post(f"/api/shares/{share['token']}/remix")
        assert remixed.status_code == 201, remixed.text
        await client.delete(f"/api/apps/{app_id}")
        version = (await grace.get(f"/api/apps/{remixed.json()['app']['id']}/versions/1")).json()["version"]
        assert (await sandbox.get(file_url(version["preview_url"], "app.js"))).text == FILES["app.js"]
    assert await stored_files(services) == len(NAMED)


# ---- the standalone download ----------------------------------------------------------------------


async def test_the_download_carries_the_files_inside(client: httpx.AsyncClient) -> None:
    app_id = (await import_zip(client, make_zip(FILES))).json()["app"]["id"]
    response = await client.get(f"/api/apps/{app_id}/versions/1/download")
    assert response.status_code == 200
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', response.text).group(1))  # type: ignore[union-attr]
    # Script and stylesheet inlined where the page named them; images as data: URLs; and what the
    # script fetches answered from data: URLs, which the offline policy allows.
    assert FILES["app.js"] in srcdoc and "<script src='app.js'" not in srcdoc
    assert "body { background: url(\"data:image/png;base64," in srcdoc
    assert 'src=\'data:image/png;base64,' in srcdoc
    assert '"data.json": "data:application/json;base64,' in srcdoc and "window.fetch=" in srcdoc
