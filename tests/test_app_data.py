"""What apps keep in localStorage, through HTTP on SQLite and PostgreSQL: the owner's copy, each
signed-in share viewer's own, the quota, bad input that writes nothing, export and import."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.services import Services
from app.settings import Settings
from tests.conftest import api_client, browser_for

QUOTA = 1000
PAGE = "<!DOCTYPE html><html><head><title>Notes</title></head><body><p>Notes</p></body></html>"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The conftest's settings, on each database, with a small quota."""
    return Settings(data_dir=tmp_path, database_url=database_url, demo_delay=0.0, provider_retries=0, provider_timeout=10.0, app_data_quota=QUOTA)


@pytest.fixture
async def app_id(client: httpx.AsyncClient) -> str:
    return (await client.post("/api/import", json={"html": PAGE})).json()["app"]["id"]


@pytest.fixture
async def bob(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings, services, await services.accounts.create_user("bob")) as http:
        yield http


async def _share(client: httpx.AsyncClient, app_id: str) -> str:
    response = await client.post(f"/api/apps/{app_id}/shares", json={})
    assert response.status_code == 201, response.text
    return str(response.json()["share"]["token"])


async def test_the_owner_keeps_reads_and_clears_an_apps_data(client: httpx.AsyncClient, app_id: str) -> None:
    url = f"/api/apps/{app_id}/data"
    empty = (await client.get(url)).json()
    assert empty == {"local": {}, "chars": 0, "quota": QUOTA, "updated_at": None}

    saved = await client.put(url, json={"local": {"todos": '["milk"]', "theme": "dark"}})
    assert saved.status_code == 200, saved.text
    again = (await client.get(url)).json()
    assert again["local"] == {"todos": '["milk"]', "theme": "dark"}
    assert again["chars"] == len("todos") + len('["milk"]') + len("theme") + len("dark")
    assert again["updated_at"] is not None

    # A save replaces what was kept; a new version of the app changes nothing of it.
    await client.put(url, json={"local": {"todos": "[]"}})
    edit = await client.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": PAGE.replace("Notes</p>", "Notes!</p>")})
    assert edit.status_code == 201
    assert (await client.get(url)).json()["local"] == {"todos": "[]"}

    cleared = await client.delete(url)
    assert cleared.status_code == 200 and cleared.json()["local"] == {}
    assert (await client.get(url)).json()["local"] == {}


async def test_any_javascript_string_is_kept_exactly(client: httpx.AsyncClient, app_id: str) -> None:
    """NUL, a lone surrogate and characters beyond the BMP are ordinary in a JavaScript string."""
    url = f"/api/apps/{app_id}/data"
    items = {"nul": "a\u0000b", "lone": "x\ud800y", "emoji": "\U0001f600", "": "empty key", "__proto__": "plain key"}
    body = json.dumps({"local": items})  # escapes the lone surrogate as \ud800, as JSON.stringify does
    response = await client.put(url, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    kept = (await client.get(url)).json()
    assert kept["local"] == items
    # UTF-16 code units, as the page counts them: the emoji is two.
    assert kept["chars"] == sum(len(k) + len(v) for k, v in items.items()) + 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"local": ["not", "an", "object"]}, "invalid_app_data"),
        ({"local": {"n": 1}}, "invalid_app_data"),
        ({"local": {"n": None}}, "invalid_app_data"),
        ({"local": {"n": 10**400}}, "invalid_app_data"),
        ({"local": {"n": {"nested": "x"}}}, "invalid_app_data"),
        ({}, "invalid_app_data"),
        ({"local": {"big": "x" * QUOTA}}, "quota_exceeded"),
    ],
)
async def test_bad_data_is_refused_and_writes_nothing(client: httpx.AsyncClient, app_id: str, body: dict, code: str) -> None:
    url = f"/api/apps/{app_id}/data"
    await client.put(url, json={"local": {"kept": "yes"}})
    response = await client.put(url, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == (413 if code == "quota_exceeded" else 400), response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert (await client.get(url)).json()["local"] == {"kept": "yes"}


async def test_a_body_that_is_not_json_writes_nothing(client: httpx.AsyncClient, app_id: str) -> None:
    url = f"/api/apps/{app_id}/data"
    response = await client.put(url, content=b"\xff{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    assert (await client.get(url)).json()["local"] == {}


async def test_nobody_else_reaches_the_owners_data(client: httpx.AsyncClient, bob: httpx.AsyncClient, settings: Settings, services: Services, app_id: str) -> None:
    url = f"/api/apps/{app_id}/data"
    await client.put(url, json={"local": {"secret": "owner's"}})
    for method in ("GET", "PUT", "DELETE"):
        response = await bob.request(method, url, json={"local": {}} if method == "PUT" else None)
        assert response.status_code == 404, (method, response.text)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client._transport.app), base_url="http://localhost:8000") as nobody:  # type: ignore[attr-defined]
        assert (await nobody.get(url)).status_code == 404
    assert (await client.get(url)).json()["local"] == {"secret": "owner's"}


async def test_each_signed_in_viewer_of_a_share_link_keeps_their_own(client: httpx.AsyncClient, bob: httpx.AsyncClient, settings: Settings, services: Services, app_id: str) -> None:
    await client.put(f"/api/apps/{app_id}/data", json={"local": {"who": "owner"}})
    token = await _share(client, app_id)
    url = f"/api/shares/{token}/data"

    assert (await bob.get(url)).json()["local"] == {}
    assert (await bob.put(url, json={"local": {"who": "bob"}})).status_code == 200
    async with api_client(settings, services, await services.accounts.create_user("carol")) as carol:
        assert (await carol.get(url)).json()["local"] == {}
        await carol.put(url, json={"local": {"who": "carol"}})
    assert (await bob.get(url)).json()["local"] == {"who": "bob"}
    assert (await client.get(f"/api/apps/{app_id}/data")).json()["local"] == {"who": "owner"}

    # Nobody signed in keeps their data in their own browser: the server refuses to.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client._transport.app), base_url="http://localhost:8000") as nobody:  # type: ignore[attr-defined]
        assert (await nobody.get(url)).status_code == 401

    # A revoked link keeps nothing more.
    share_id = (await client.get(f"/api/apps/{app_id}/shares")).json()["shares"][0]["id"]
    await client.delete(f"/api/apps/{app_id}/shares/{share_id}")
    assert (await bob.put(url, json={"local": {"who": "bob again"}})).status_code == 404
    assert (await bob.get(url)).status_code == 404


async def test_the_pages_hand_each_person_their_own_data(settings: Settings, services: Services, client: httpx.AsyncClient, user, app_id: str) -> None:  # type: ignore[no-untyped-def]
    await client.put(f"/api/apps/{app_id}/data", json={"local": {"who": "owner-7731"}})
    token = await _share(client, app_id)
    async with browser_for(settings, services, user) as owner:
        assert "owner-7731" in (await owner.get(f"/apps/{app_id}")).text
    bob = await services.accounts.create_user("bob")
    async with browser_for(settings, services, bob) as viewer:
        await viewer.put(f"/api/shares/{token}/data", json={"local": {"who": "bob-5512"}})
        page = (await viewer.get(f"/s/{token}")).text
        assert "bob-5512" in page and "owner-7731" not in page
    async with browser_for(settings, services) as anonymous:
        page = (await anonymous.get(f"/s/{token}")).text
        assert "owner-7731" not in page and "bob-5512" not in page and '"local": null' in page


async def test_an_export_carries_the_data_when_asked(client: httpx.AsyncClient, app_id: str) -> None:
    await client.put(f"/api/apps/{app_id}/data", json={"local": {"todos": '["milk"]'}})
    assert "data" not in (await client.get(f"/api/apps/{app_id}/export")).json()
    export = (await client.get(f"/api/apps/{app_id}/export?data=1")).json()
    assert export["data"] == {"local": {"todos": '["milk"]'}}

    imported = await client.post("/api/import", json={"export": export})
    assert imported.status_code == 201, imported.text
    new_id = imported.json()["app"]["id"]
    assert (await client.get(f"/api/apps/{new_id}/data")).json()["local"] == {"todos": '["milk"]'}


@pytest.mark.parametrize("data", [["x"], {"local": {"n": 1}}, {"local": {"big": "x" * QUOTA}}])
async def test_an_export_with_bad_data_imports_nothing(client: httpx.AsyncClient, app_id: str, data: object) -> None:
    export = (await client.get(f"/api/apps/{app_id}/export")).json()
    before = len((await client.get("/api/apps")).json()["apps"])
    response = await client.post("/api/import", json={"export": {**export, "data": data}})
    assert response.status_code in (400, 413), response.text
    assert response.json()["error"]["code"] in ("invalid_app_data", "quota_exceeded")
    assert len((await client.get("/api/apps")).json()["apps"]) == before


async def test_another_site_cannot_write_a_persons_data(settings: Settings, services: Services, client: httpx.AsyncClient, user, app_id: str) -> None:  # type: ignore[no-untyped-def]
    """A page elsewhere (or an app, origin "null") posting with the person's cookie is refused."""
    url = f"/api/apps/{app_id}/data"
    async with browser_for(settings, services, user) as browser:
        for headers in ({"Sec-Fetch-Site": "cross-site", "Origin": "null"}, {"X-CSRF-Token": ""}):
            response = await browser.put(url, json={"local": {"x": "forged"}}, headers=headers)
            assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
        assert (await browser.put(url, json={"local": {"x": "mine"}})).status_code == 200
    assert (await client.get(url)).json()["local"] == {"x": "mine"}
