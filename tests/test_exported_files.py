"""An app's own files in its export: carried once per set, restored with new ids under the new
app's addresses, an export without files unchanged, and every refusal writing nothing.
Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.accounts.users import UserRecord
from app.services import Services
from app.settings import Settings
from tests.test_imported_folders import FILES, NAMED, file_url, import_zip, make_zip, sandbox, stored_files

__all__ = ["sandbox"]  # the fixture, used by name


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, demo_delay=0.0, provider_retries=0, provider_timeout=10.0)


async def exported_app_with_files(client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    """An imported zip with a hand edit made from it (sharing its files), and its export."""
    imported = (await import_zip(client, make_zip(FILES))).json()
    app_id = imported["app"]["id"]
    edited = (await client.get(f"/api/apps/{app_id}/versions/1")).json()["version"]["html"].replace("<button id=go>Go</button>", "<button id=go>Convert</button>")
    assert (await client.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": edited})).status_code == 201
    export = await client.get(f"/api/apps/{app_id}/export")
    assert export.status_code == 200
    return app_id, export.json()


async def latest(client: httpx.AsyncClient, app_id: str) -> dict[str, Any]:
    versions = (await client.get(f"/api/apps/{app_id}/versions")).json()["versions"]
    return (await client.get(f"/api/apps/{app_id}/versions/{versions[-1]['number']}")).json()["version"]


async def test_the_files_travel_with_the_export_and_are_served_at_the_new_address(client: httpx.AsyncClient, sandbox: httpx.AsyncClient, services: Services) -> None:
    old_id, export = await exported_app_with_files(client)
    assert export["format_version"] == 2
    (files,) = export["files"]  # once, though both versions name them
    assert [f["path"] for f in files] == NAMED
    app_js = next(f for f in files if f["path"] == "app.js")
    assert app_js == {"path": "app.js", "content_type": "text/javascript; charset=utf-8", "size": len(FILES["app.js"]), "data": base64.b64encode(FILES["app.js"].encode()).decode()}
    assert [v["files_from"] for v in export["versions"]] == [0, 0]
    old_url = (await latest(client, old_id))["preview_url"]

    restored = await client.post("/api/import", json={"export": export})
    assert restored.status_code == 201, restored.text
    new_id = restored.json()["app"]["id"]
    assert new_id != old_id and restored.json()["version"]["has_files"] is True
    assert await stored_files(services) == 2 * len(NAMED)  # the new app's own copy, written once
    new_url = (await latest(client, new_id))["preview_url"]
    assert new_url != old_url
    script = await sandbox.get(file_url(new_url, "app.js"))
    assert script.status_code == 200 and script.text == FILES["app.js"]
    assert (await sandbox.get(file_url(new_url, "img/logo.png"))).content == FILES["img/logo.png"].encode()
    first = (await client.get(f"/api/apps/{new_id}/versions/1")).json()["version"]
    assert (await sandbox.get(file_url(first["preview_url"], "data.json"))).json() == {"rate": 3}

    # The original gone, its address serves nothing; the restored app does not lean on it.
    assert (await client.delete(f"/api/apps/{old_id}")).status_code in (200, 204)
    assert (await sandbox.get(file_url(old_url, "app.js"))).status_code == 404
    assert (await sandbox.get(file_url(new_url, "app.js"))).status_code == 200
    assert await stored_files(services) == len(NAMED)

    # Exported again, the restored app carries the same files.
    again = (await client.get(f"/api/apps/{new_id}/export")).json()
    assert again["files"] == export["files"]


async def test_an_app_without_files_exports_as_before(client: httpx.AsyncClient) -> None:
    app_id = (await client.post("/api/import", json={"html": "<!DOCTYPE html><title>Plain</title><p>hi</p>"})).json()["app"]["id"]
    export = (await client.get(f"/api/apps/{app_id}/export")).json()
    assert export["format_version"] == 1 and "files" not in export
    assert all("files_from" not in v for v in export["versions"])
    restored = await client.post("/api/import", json={"export": export})
    assert restored.status_code == 201 and restored.json()["version"]["has_files"] is False


def _changed(export: dict[str, Any], change: str) -> dict[str, Any]:
    bad = copy.deepcopy(export)
    first = bad["files"][0][0]
    if change == "files not a list":
        bad["files"] = {"app.js": "x"}
    elif change == "entry not an object":
        bad["files"][0][0] = "app.js"
    elif change == "path leads out":
        first["path"] = "../evil.js"
    elif change == "absolute path":
        first["path"] = "/etc/passwd"
    elif change == "not base64":
        first["data"] = "not base64!"
    elif change == "size lies":
        first["size"] += 1
    elif change == "no media type":
        first["content_type"] = ""
    elif change == "named twice":
        bad["files"][0].append(dict(first))
    elif change == "unknown set":
        bad["versions"][0]["files_from"] = 5
    elif change == "a file too large":
        first.update(size=5_000_001, data=base64.b64encode(b"\0" * 5_000_001).decode())
    elif change == "all files too large":
        bad["files"][0] = [{"path": f"{n}.js", "content_type": "text/javascript", "size": 4_500_000, "data": base64.b64encode(b"\0" * 4_500_000).decode()} for n in range(5)]
    elif change == "too many files":
        bad["files"][0] = [{"path": f"{n}.js", "content_type": "text/javascript", "size": 1, "data": "MQ=="} for n in range(501)]
    return bad


REFUSED = [
    ("files not a list", 400, "invalid_bundle", "list of sets"),
    ("entry not an object", 400, "invalid_bundle", "not an object"),
    ("path leads out", 400, "invalid_bundle", "no “..”"),
    ("absolute path", 400, "invalid_bundle", "no leading “/”"),
    ("not base64", 400, "invalid_bundle", "not base64"),
    ("size lies", 400, "invalid_bundle", "its “size” says"),
    ("no media type", 400, "invalid_bundle", "media type"),
    ("named twice", 400, "invalid_bundle", "twice"),
    ("unknown set", 400, "bad_request", "files_from"),
    ("a file too large", 413, "bundle_too_large", "5,000,000"),
    ("all files too large", 413, "bundle_too_large", "20,000,000"),
    ("too many files", 413, "bundle_too_large", "the limit is 500"),
]


@pytest.mark.parametrize(("change", "status", "code", "words"), REFUSED, ids=[case[0] for case in REFUSED])
async def test_a_bad_export_of_files_is_refused_and_writes_nothing(client: httpx.AsyncClient, services: Services, user: UserRecord, change: str, status: int, code: str, words: str) -> None:
    old_id, export = await exported_app_with_files(client)
    before = await stored_files(services)
    response = await client.post("/api/import", json={"export": _changed(export, change)})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and words in error["message"], error
    assert [a.app.id for a in await services.store.list_apps(user.id)] == [old_id] and await stored_files(services) == before
