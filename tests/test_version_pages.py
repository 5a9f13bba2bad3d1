"""Long histories a page at a time: GET /api/apps/{id} carries the newest versions, `older_url`
walks back to version 1, and the editor page holds a page, not the whole history."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx
import pytest

from app.accounts.users import UserRecord
from app.services import Services
from app.storage import AppRecord, new_id

PAGE = "<!DOCTYPE html><title>Counter</title><p>count</p>"


async def _app_with(services: Services, owner_id: str, count: int) -> str:
    now = datetime.now(UTC)
    history = [
        {"number": n, "parent_number": n - 1 if n > 1 else None, "prompt": f"change {n}", "model": "demo", "system_prompt_hash": None,
         "html": PAGE, "answer": None, "notes": None, "input_tokens": 1, "output_tokens": 1, "duration_ms": 1,
         "stop_reason": "end", "status": "complete", "error": None, "created_at": now, "finished_at": now, "kind": "follow_up" if n > 1 else "create"}
        for n in range(1, count + 1)
    ]  # fmt: skip
    app = AppRecord(new_id(), f"{count} versions", now, now, owner_id)
    await services.store.restore_app(app, history)
    return app.id


async def test_an_app_answers_with_its_newest_versions_and_older_pages_reach_version_one(client: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    app_id = await _app_with(services, user.id, 450)
    first = (await client.get(f"/api/apps/{app_id}")).json()
    assert [v["number"] for v in first["versions"]] == list(range(251, 451))
    assert first["versions_total"] == 450 and first["app"]["id"] == app_id
    seen, url = [v["number"] for v in first["versions"]], first["older_url"]
    while url:
        page = (await client.get(url)).json()
        assert page["versions_total"] == 450
        seen = [v["number"] for v in page["versions"]] + seen
        url = page["older_url"]
    assert seen == list(range(1, 451))

    small = (await client.get(f"/api/apps/{app_id}/versions", params={"before": 4, "limit": 2})).json()
    assert [v["number"] for v in small["versions"]] == [2, 3]
    assert small["older_url"] == f"/api/apps/{app_id}/versions?before=2&limit=2"
    newest = (await client.get(f"/api/apps/{app_id}/versions", params={"limit": 1})).json()
    assert [v["number"] for v in newest["versions"]] == [450] and "html" not in newest["versions"][0]
    # An app of a few versions is answered whole, as always.
    few = await _app_with(services, user.id, 3)
    answer = (await client.get(f"/api/apps/{few}")).json()
    assert [v["number"] for v in answer["versions"]] == [1, 2, 3] and answer["older_url"] is None


@pytest.mark.parametrize("query", ["before=x", "before=-1", "before=%00", "limit=0", "limit=1001", "limit=1e3", "limit=", "before=99999999999999999999"])
async def test_a_page_asked_for_wrongly_is_refused(client: httpx.AsyncClient, services: Services, user: UserRecord, query: str) -> None:
    app_id = await _app_with(services, user.id, 3)
    answer = await client.get(f"/api/apps/{app_id}/versions?{query}")
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "bad_request"


async def test_the_editor_page_holds_the_newest_page_and_the_version_asked_for(client: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    app_id = await _app_with(services, user.id, 450)
    page = await client.get(f"/apps/{app_id}?v=7")
    assert page.status_code == 200
    data = json.loads(re.search(r'<script type="application/json" id="editor-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert [v["number"] for v in data["versions"]] == [7, *range(251, 451)]
    assert (data["current"], data["versions_total"], data["older_url"]) == (7, 450, f"/api/apps/{app_id}/versions?before=251&limit=200")
    assert 'id="version-count">450<' in page.text
