"""Versions no model writes, through the API: hand edits, restores, branches, and diffs of any two.
Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from app.versions.diff import diff_pages
from tests.conftest import wait_for_version

PAGE = "<!DOCTYPE html>\n<html>\n<head><title>Counter</title></head>\n<body>\n<h1>Counter</h1>\n<p id=\"count\">0</p>\n<button id=\"add\">Add</button>\n</body>\n</html>"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, demo_delay=0.0, provider_retries=0, provider_timeout=10.0)


async def _imported(client: httpx.AsyncClient) -> str:
    return (await client.post("/api/import", json={"html": PAGE})).json()["app"]["id"]


async def test_a_hand_edit_is_a_version_by_the_person(client: httpx.AsyncClient) -> None:
    app_id = await _imported(client)
    edited = PAGE.replace("<h1>Counter</h1>", "<h1>My counter</h1>")
    response = await client.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": edited, "note": "  renamed   the heading "})
    assert response.status_code == 201
    v2 = response.json()["version"]
    assert (v2["number"], v2["parent_number"], v2["kind"], v2["model"], v2["status"]) == (2, 1, "hand_edit", "hand", "complete")
    assert (v2["prompt"], v2["html"], v2["is_demo"], v2["path"], v2["input_tokens"]) == ("renamed the heading", edited, False, None, None)
    assert v2["preview_url"]
    listed = (await client.get(f"/api/apps/{app_id}")).json()["versions"]
    assert [v["kind"] for v in listed] == ["import", "hand_edit"]
    plain = await client.post(f"/api/apps/{app_id}/versions/2/hand-edit", json={"html": edited + "\n"})
    assert plain.json()["version"]["prompt"] == "Edited the code by hand"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"html": PAGE}, 400, "the same as version 1"),
        ({"html": "  "}, 400, "empty"),
        ({}, 400, "empty"),
        ({"html": "x" * 2_000_001}, 400, "the limit is 2,000,000"),
        ({"html": PAGE + "!", "note": 3}, 400, "“note”"),
    ],
)
async def test_bad_hand_edits_are_refused(client: httpx.AsyncClient, body: dict, status: int, words: str) -> None:
    app_id = await _imported(client)
    response = await client.post(f"/api/apps/{app_id}/versions/1/hand-edit", json=body)
    assert response.status_code == status
    assert words in response.json()["error"]["message"]
    assert len((await client.get(f"/api/apps/{app_id}")).json()["versions"]) == 1


async def test_restore_makes_a_new_version_with_the_old_page(client: httpx.AsyncClient) -> None:
    app_id = await _imported(client)
    await client.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": PAGE.replace("0", "1")})
    response = await client.post(f"/api/apps/{app_id}/versions/1/restore")
    assert response.status_code == 201
    v3 = response.json()["version"]
    assert (v3["number"], v3["parent_number"], v3["kind"], v3["model"], v3["prompt"], v3["html"]) == (3, 1, "restore", "restore", "Restored v1", PAGE)
    assert [v["number"] for v in (await client.get(f"/api/apps/{app_id}")).json()["versions"]] == [1, 2, 3]


async def test_a_follow_up_from_an_older_version_branches(client: httpx.AsyncClient) -> None:
    app_id = await _imported(client)
    await client.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": PAGE.replace("0", "1")})
    response = await client.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark", "model": "demo", "parent": 1})
    v3 = await wait_for_version(client, app_id, response.json()["version"]["number"])
    assert (v3["parent_number"], v3["kind"]) == (1, "follow_up")
    parents = {v["number"]: v["parent_number"] for v in (await client.get(f"/api/apps/{app_id}")).json()["versions"]}
    assert parents == {1: None, 2: 1, 3: 1}


async def test_versions_without_a_page_cannot_be_restored_or_edited(client: httpx.AsyncClient, services, user) -> None:
    app, version = await services.store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None, owner_id=user.id)
    await services.store.finish_version(version.id, status="failed", error="boom")
    for path in ("restore", "hand-edit"):
        response = await client.post(f"/api/apps/{app.id}/versions/1/{path}", json={"html": PAGE})
        assert response.status_code == 400
        assert "has no page (its answer failed)" in response.json()["error"]["message"]
    assert (await client.post(f"/api/apps/{app.id}/versions/7/restore")).status_code == 404
    assert (await client.post("/api/apps/nope/versions/1/restore")).status_code == 404


async def test_diff_of_any_two_versions(client: httpx.AsyncClient) -> None:
    app_id = await _imported(client)
    edited = PAGE.replace("<h1>Counter</h1>", "<h1>Tally</h1>").replace("<button id=\"add\">Add</button>\n", "")
    await client.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": edited})
    response = await client.get(f"/api/apps/{app_id}/diff?from=1&to=2")
    assert response.status_code == 200
    diff = response.json()
    assert (diff["from"], diff["to"], diff["added"], diff["removed"]) == (1, 2, 1, 2)
    [hunk] = diff["hunks"]
    changed = [(line["op"], line["old"], line["new"], line["text"], line["marks"]) for line in hunk["lines"] if line["op"] != " "]
    assert changed == [
        ("-", 5, None, "<h1>Counter</h1>", [[4, 11]]),
        ("+", None, 5, "<h1>Tally</h1>", [[4, 9]]),
        ("-", 7, None, '<button id="add">Add</button>', []),
    ]
    backwards = (await client.get(f"/api/apps/{app_id}/diff?from=2&to=1")).json()
    assert (backwards["added"], backwards["removed"]) == (2, 1)
    same = (await client.get(f"/api/apps/{app_id}/diff?from=1&to=1")).json()
    assert (same["added"], same["removed"], same["hunks"]) == (0, 0, [])


@pytest.mark.parametrize(("query", "status"), [("", 400), ("?from=1", 400), ("?from=a&to=1", 400), ("?from=1&to=9", 404)])
async def test_bad_diff_requests(client: httpx.AsyncClient, query: str, status: int) -> None:
    app_id = await _imported(client)
    response = await client.get(f"/api/apps/{app_id}/diff{query}")
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_diffs_show_context_and_split_distant_changes_into_hunks() -> None:
    old = "\n".join(f"line {i}" for i in range(1, 41))
    new = old.replace("line 3\n", "line three\n").replace("line 30\n", "")
    diff = diff_pages(old, new)
    assert len(diff["hunks"]) == 2
    first, second = diff["hunks"]
    assert (first["old_start"], first["new_start"]) == (1, 1)
    assert [line["op"] for line in first["lines"]] == [" ", " ", "-", "+", " ", " ", " "]
    assert first["lines"][2]["marks"] == [[5, 6]] and first["lines"][3]["marks"] == [[5, 10]]
    assert [line["text"] for line in second["lines"] if line["op"] == "-"] == ["line 30"]
    assert (second["old_start"], second["new_start"]) == (27, 27)
