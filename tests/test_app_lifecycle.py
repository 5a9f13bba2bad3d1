"""Stopping a version being written, renaming an app, deleting it; through HTTP, on a real server where streams matter."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import httpx
import pytest
from httpx_sse import connect_sse

from app.services import Services
from app.settings import Settings
from app.storage import Store
from tests.conftest import LiveServer, api_client, wait_for_version

PAGE = "<!DOCTYPE html><html><head><title>{}</title></head><body><p>hi</p></body></html>"


@pytest.fixture
def slow_server(settings: Settings):
    server = LiveServer(replace(settings, demo_delay=0.02)).start()
    yield server
    server.stop()


def _follow(http: httpx.Client, url: str, seen: list, painting: threading.Event) -> None:
    """Follows a stream to its end; `painting` is set once the page's <body> has begun."""
    text = ""
    with connect_sse(http, "GET", url) as source:
        for event in source.iter_sse():
            seen.append((event.event, json.loads(event.data)))
            if event.event == "delta":
                text += json.loads(event.data)["text"]
                if "<body" in text:
                    painting.set()
            if event.event in ("done", "error"):
                return


def test_stop_ends_the_version_for_every_follower_and_keeps_what_was_written(slow_server: LiveServer) -> None:
    with httpx.Client(base_url=slow_server.url, timeout=30, headers=slow_server.headers) as http:
        created = http.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"}).json()
        app_id = created["app"]["id"]
        followers = [([], threading.Event()) for _ in range(2)]
        threads = [threading.Thread(target=_follow, args=(http, created["stream_url"], seen, got)) for seen, got in followers]
        for thread in threads:
            thread.start()
        for _, got in followers:
            assert got.wait(15), "the page should have begun streaming"
        stopped = http.post(f"/api/apps/{app_id}/versions/1/cancel")
        assert stopped.status_code == 200, stopped.text
        version = stopped.json()["version"]
        for thread in threads:
            thread.join(15)
            assert not thread.is_alive(), "a follower was not told the version ended"
        for seen, _ in followers:
            name, data = seen[-1]
            assert name == "done" and data["version"]["status"] == "stopped"
        assert version["status"] == "stopped" and version["prompt"] == "a tip calculator"
        assert "stopped" in version["error"] and "Continue" in version["error"]
        # What was written so far is kept: the page as far as it got, never the whole page.
        full = http.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"}).json()
        whole = wait_for_version_sync(http, full["app"]["id"], 1)["html"]
        assert version["html"] and len(version["html"]) < len(whole) and whole.startswith(version["html"][:40])
        # A stopped version can be continued, as a new version.
        resumed = http.post(f"/api/apps/{app_id}/versions/1/continue", json={})
        assert resumed.status_code == 202, resumed.text
        assert resumed.json()["version"]["prompt"] == "Continue v1, which you stopped"
        assert wait_for_version_sync(http, app_id, 2)["status"] == "complete"
        # Stopping again, or a finished version, is refused and changes nothing.
        again = http.post(f"/api/apps/{app_id}/versions/1/cancel")
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
        assert "nothing to stop" in again.json()["error"]["message"]


def wait_for_version_sync(http: httpx.Client, app_id: str, number: int) -> dict:
    deadline = time.monotonic() + 20
    while True:
        version = http.get(f"/api/apps/{app_id}/versions/{number}").json()["version"]
        if version["status"] != "generating" or time.monotonic() > deadline:
            return version
        time.sleep(0.05)


async def test_stop_of_a_version_no_process_is_writing_records_it_stopped(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as http:
        user = (await http.get("/api/me")).json()["user"]
        app, version = await services.store.create_app(title="Left over", prompt="a timer", model="demo", system_prompt_hash=None, owner_id=user["id"])
        answer = await http.post(f"/api/apps/{app.id}/versions/1/cancel")
        assert answer.status_code == 200
        assert answer.json()["version"]["status"] == "stopped"
        assert (await http.post(f"/api/apps/{app.id}/versions/7/cancel")).status_code == 404
        assert (await http.post(f"/api/apps/{app.id}/versions/x/cancel")).status_code == 404


async def test_rename_sets_the_title_and_the_page_no_longer_renames_it(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as http:
        made = await http.post("/api/import", json={"html": PAGE.format("First title")})
        app_id = made.json()["app"]["id"]
        assert made.json()["app"]["title"] == "First title"
        # A hand edit that changes the page's <title> renames the app while nobody named it.
        await http.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": PAGE.format("Second title")})
        assert (await http.get(f"/api/apps/{app_id}")).json()["app"]["title"] == "Second title"
        renamed = await http.patch(f"/api/apps/{app_id}", json={"title": "  My   ledger "})
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["app"]["title"] == "My ledger" and renamed.json()["app"]["title_by_hand"] is True
        await http.post(f"/api/apps/{app_id}/versions/2/hand-edit", json={"html": PAGE.format("Third title")})
        assert (await http.get(f"/api/apps/{app_id}")).json()["app"]["title"] == "My ledger"
        listed = (await http.get("/api/apps")).json()["apps"]
        assert [a["title"] for a in listed] == ["My ledger"]


async def test_the_app_is_called_what_its_newest_page_title_says(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as http:
        made = (await http.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})).json()
        app_id = made["app"]["id"]
        await wait_for_version(http, app_id, 1)
        await http.post(f"/api/apps/{app_id}/versions", json={"prompt": "rename to \"Dice time\"", "model": "demo"})
        version = await wait_for_version(http, app_id, 2)
        title = (await http.get(f"/api/apps/{app_id}")).json()["app"]["title"]
        assert version["status"] == "complete" and title == "Dice time"
        assert f"<title>{title}</title>" in (await http.get(f"/api/apps/{app_id}/versions/2")).json()["version"]["html"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": 42}, "must be a string"),
        ({"title": None}, "must be a string"),
        ({}, "must be a string"),
        ({"title": "   "}, "empty"),
        ({"title": "x" * 201}, "limit is 200"),
        # What no database can keep as text is refused for every body, before the route reads it.
        ({"title": "bad\u0000name"}, "a NUL character"),
        ({"title": "bad\ud800name"}, "an unpaired surrogate"),
        ({"title": "right\u202eleft"}, "control"),
    ],
)
async def test_rename_refuses_what_is_not_a_name_and_writes_nothing(settings: Settings, services: Services, body: dict, message: str) -> None:
    async with api_client(settings, services) as http:
        app_id = (await http.post("/api/import", json={"html": PAGE.format("Kept")})).json()["app"]["id"]
        answer = await http.patch(f"/api/apps/{app_id}", content=json.dumps(body).encode())
        assert answer.status_code == 400, answer.text
        code = "invalid_json" if message.startswith(("a NUL", "an unpaired")) else "invalid_title"
        assert answer.json()["error"]["code"] == code and message in answer.json()["error"]["message"]
        app = (await http.get(f"/api/apps/{app_id}")).json()["app"]
        assert app["title"] == "Kept" and app["title_by_hand"] is False


async def test_a_name_with_emoji_and_accents_is_kept(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as http:
        app_id = (await http.post("/api/import", json={"html": PAGE.format("Kept")})).json()["app"]["id"]
        answer = await http.patch(f"/api/apps/{app_id}", json={"title": "Café 👩‍💻 budget"})
        assert answer.status_code == 200 and answer.json()["app"]["title"] == "Café 👩‍💻 budget"


async def test_delete_removes_versions_shares_and_is_404_for_everyone_after(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as http:
        app_id = (await http.post("/api/import", json={"html": PAGE.format("Doomed")})).json()["app"]["id"]
        share = (await http.post(f"/api/apps/{app_id}/shares", json={})).json()
        token = share["share"]["token"]
        assert (await http.get(f"/api/shares/{token}")).status_code == 200
        other_app = (await http.post("/api/import", json={"html": PAGE.format("Kept")})).json()["app"]["id"]
        assert (await http.delete(f"/api/apps/{app_id}")).status_code == 204
        for path in (f"/api/apps/{app_id}", f"/api/apps/{app_id}/versions/1", f"/api/apps/{app_id}/export", f"/api/shares/{token}", f"/s/{token}", f"/apps/{app_id}"):
            assert (await http.get(path)).status_code == 404, path
        assert (await http.delete(f"/api/apps/{app_id}")).status_code == 404
        assert [a["id"] for a in (await http.get("/api/apps")).json()["apps"]] == [other_app]


async def test_delete_stops_a_version_being_written(settings: Settings, services: Services) -> None:
    slow = replace(settings, demo_delay=0.05)
    async with _opened(slow) as opened, api_client(slow, opened) as http:
        made = (await http.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})).json()
        assert (await http.delete(f"/api/apps/{made['app']['id']}")).status_code == 204
        assert (await http.get(f"/api/apps/{made['app']['id']}")).status_code == 404
        run = opened.live.get(made["version"]["id"])
        assert run is not None and run.finished and run.stop_requested


class _opened:
    """Services of their own settings (here: a slower demo), closed on the way out."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __aenter__(self) -> Services:
        self.services = await Services.open(self.settings)
        return self.services

    async def __aexit__(self, *exc: object) -> None:
        await self.services.close()


async def test_delete_app_empties_every_table_that_names_it(store: Store) -> None:
    """On SQLite and PostgreSQL: versions and share rows go with the app; other apps stay."""
    import sqlalchemy as sa

    from app.storage import shares, versions

    doomed, _ = await store.create_app(title="Doomed", prompt="p", model="demo", system_prompt_hash=None, html="<p>x</p>", status="complete")
    kept, _ = await store.create_app(title="Kept", prompt="p", model="demo", system_prompt_hash=None, html="<p>x</p>", status="complete")
    await store.create_version(doomed.id, parent_number=1, prompt="more", model="demo", system_prompt_hash=None)
    async with store.engine.begin() as conn:
        await conn.execute(shares.insert().values(id="s1", token="t1", app_id=doomed.id, version_number=None, show_author=False, created_at=doomed.created_at))
    await store.delete_app(doomed.id)
    async with store.engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(versions).where(versions.c.app_id == doomed.id)) == 0
        assert await conn.scalar(sa.select(sa.func.count()).select_from(shares)) == 0
        assert await conn.scalar(sa.select(sa.func.count()).select_from(versions).where(versions.c.app_id == kept.id)) == 1
    with pytest.raises(Exception, match="No app"):
        await store.get_app(doomed.id)


async def test_the_demo_says_what_it_cannot_do_and_makes_no_version(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as http:
        made = (await http.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})).json()
        app_id = made["app"]["id"]
        await wait_for_version(http, app_id, 1)
        refused = await http.post(f"/api/apps/{app_id}/versions", json={"prompt": "add a chart of my past bills", "model": "demo"})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "beyond_the_demo"
        message = refused.json()["error"]["message"]
        assert "cannot do “add a chart of my past bills”" in message and "ANTHROPIC_API_KEY" in message
        fix = await http.post(f"/api/apps/{app_id}/versions", json={"model": "demo", "errors": [{"kind": "error", "message": "x is not defined"}]})
        assert fix.status_code == 400 and "cannot fix errors" in fix.json()["error"]["message"]
        assert "system" not in fix.json()["error"]["message"].lower()
        assert len((await http.get(f"/api/apps/{app_id}")).json()["versions"]) == 1
        done = await http.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark", "model": "demo"})
        assert done.status_code == 202


async def test_signing_out_says_so_and_how_to_get_back_in_without_a_password(settings: Settings, services: Services) -> None:
    from tests.conftest import browser_for

    grace = await services.accounts.create_user("grace")
    async with browser_for(settings, services, grace) as browser:
        page = await browser.get("/")
        assert "users link grace" in page.text, "the sign-out button warns before"
        out = await browser.post("/logout", data={"csrf_token": browser.headers["X-CSRF-Token"]})
        assert out.status_code == 303
        login = await browser.get(out.headers["location"])
        assert "You're signed out." in login.text and "toolsmith users link grace" in login.text
    async with browser_for(settings, services) as anonymous:
        answer = await anonymous.get("/signin/not-a-real-link", headers={"Accept": "text/html"})
        assert answer.status_code == 404 and "`" not in answer.text and "users link NAME" in answer.text
