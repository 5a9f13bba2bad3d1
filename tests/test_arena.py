"""The arena through HTTP against two fake OpenAI-compatible endpoints: a match streams both models
blind, a vote reveals them, a side kept becomes an app of one's own; bad input and other people's
matches are refused and write nothing; the leaderboard and the JSONL export of the votes.
Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from httpx_sse import aconnect_sse

from app.services import Services
from app.settings import Endpoint, Settings
from app.storage import apps, arena_matches
from tests.conftest import api_client
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.script import answer, http_error

LEFT, RIGHT = "left:coder", "right:coder"
PROMPT = "a tip calculator that splits the bill"


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    left, right = FakeOpenAI(delay=0, chunk_size=64), FakeOpenAI(delay=0, chunk_size=64)
    with left.serve(), right.serve():
        yield left, right


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fakes: tuple[FakeOpenAI, FakeOpenAI]) -> Settings:
    for fake in fakes:
        fake.reset()
    left, right = fakes
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        demo_delay=0.0,
        provider_retries=0,
        provider_timeout=10.0,
        endpoints=(Endpoint("left", f"{left.url}/v1", models=("coder",)), Endpoint("right", f"{right.url}/v1", models=("coder",))),
    )


async def _start(client: httpx.AsyncClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/api/arena", json={"prompt": PROMPT, **(body or {})})
    assert response.status_code == 202, response.text
    match: dict[str, Any] = response.json()["match"]
    return match


async def _finished(client: httpx.AsyncClient, match_id: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        match: dict[str, Any] = (await client.get(f"/api/arena/{match_id}")).json()["match"]
        if all(side["status"] != "generating" for side in match["sides"].values()):
            return match
        if time.monotonic() > deadline:
            raise AssertionError(f"match {match_id} still generating after {timeout} s")
        await asyncio.sleep(0.02)


async def _counts(services: Services) -> tuple[int, int]:
    async with services.store.engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(apps)) or 0), int(await conn.scalar(sa.select(sa.func.count()).select_from(arena_matches)) or 0)


async def test_a_match_is_blind_until_the_vote_and_a_kept_side_becomes_an_app(settings: Settings, services: Services, fakes: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    async with api_client(settings, services) as client:
        started = await _start(client)
        assert set(started["sides"]) == {"a", "b"} and not started["revealed"]
        match = await _finished(client, started["id"])
        # Both models answered the same prompt through the normal generation path.
        for fake in fakes:
            assert len(fake.requests) == 1 and PROMPT in json.dumps(fake.requests[0]["json"]["messages"])
        blind = (await client.get(f"/api/arena/{match['id']}")).text
        assert "left" not in blind and "right" not in blind, "nothing names a model before the vote"
        assert all(side["status"] == "complete" and side["has_page"] and side["model"] is None for side in match["sides"].values())
        # Both sides are real apps, kept out of the person's list.
        assert (await client.get("/api/apps")).json()["apps"] == []
        assert all(side["preview_url"].startswith(settings.resolved_sandbox_url + "/v/") for side in match["sides"].values())

        keep_early = await client.post(f"/api/arena/{match['id']}/sides/a/keep")
        assert keep_early.status_code == 409 and keep_early.json()["error"]["code"] == "conflict"

        voted = await client.post(f"/api/arena/{match['id']}/vote", json={"vote": "a"})
        assert voted.status_code == 200, voted.text
        revealed = voted.json()["match"]
        assert revealed["revealed"] and revealed["vote"] == "a"
        assert {revealed["sides"]["a"]["model"], revealed["sides"]["b"]["model"]} == {LEFT, RIGHT}
        again = await client.post(f"/api/arena/{match['id']}/vote", json={"vote": "b"})
        assert again.status_code == 409

        kept = await client.post(f"/api/arena/{match['id']}/sides/a/keep")
        assert kept.status_code == 200, kept.text
        app_id = kept.json()["app"]["id"]
        assert kept.json()["editor_url"] == f"/apps/{app_id}"
        assert (await client.post(f"/api/arena/{match['id']}/sides/a/keep")).json()["app"]["id"] == app_id
        listed = (await client.get("/api/apps")).json()["apps"]
        assert [a["id"] for a in listed] == [app_id]
        version = (await client.get(f"/api/apps/{app_id}/versions/1")).json()["version"]
        assert (version["number"], version["status"], version["model"], version["kind"]) == (1, "complete", revealed["sides"]["a"]["model"], "create")
        assert PROMPT in version["html"]
        after = (await client.get(f"/api/arena/{match['id']}")).json()["match"]
        assert after["sides"]["a"]["kept"] and after["sides"]["a"]["editor_url"] == f"/apps/{app_id}"
        assert not after["sides"]["b"]["kept"] and after["sides"]["b"]["editor_url"] is None


async def test_a_side_streams_like_any_version_and_its_last_event_is_blind(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as client:
        match = await _finished(client, (await _start(client))["id"])
        events = []
        async with aconnect_sse(client, "GET", match["sides"]["b"]["stream_url"]) as source:
            async for event in source.aiter_sse():
                events.append(event)
        assert events[-1].event == "done"
        final = json.loads(events[-1].data)["version"]
        assert (final["side"], final["status"], final["model"]) == ("b", "complete", None)
        assert "html" not in final and "right" not in events[-1].data and "left" not in events[-1].data
        assert (await client.get(f"/api/arena/{match['id']}/sides/c/stream")).status_code == 404


async def test_models_can_be_chosen_and_still_land_on_a_random_side(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as client:
        seen = set()
        for _ in range(8):
            match = await _start(client, {"models": ["demo", RIGHT]})
            match = await _finished(client, match["id"])
            await client.post(f"/api/arena/{match['id']}/vote", json={"vote": "tie"})
            revealed = (await client.get(f"/api/arena/{match['id']}")).json()["match"]
            seen.add((revealed["sides"]["a"]["model"], revealed["sides"]["b"]["model"]))
            if len(seen) == 2:
                break
        assert seen == {("demo", RIGHT), (RIGHT, "demo")}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"prompt": ""}, "invalid_prompt"),
        ({"prompt": "   "}, "invalid_prompt"),
        ({"prompt": 7}, "invalid_prompt"),
        ({"prompt": "x" * 20_001}, "invalid_prompt"),
        ({"prompt": PROMPT, "models": "left:coder"}, "bad_request"),
        ({"prompt": PROMPT, "models": [LEFT, RIGHT, "demo"]}, "bad_request"),
        ({"prompt": PROMPT, "models": [LEFT, LEFT]}, "bad_request"),
        ({"prompt": PROMPT, "models": [LEFT, None]}, "bad_request"),
        ({"prompt": PROMPT, "models": [LEFT, "nowhere:model"]}, "unknown_model"),
        ({"prompt": PROMPT, "models": ["anthropic:claude-sonnet-5-5"]}, "missing_key"),
        ({"prompt": PROMPT, "models": ["left:\x00coder\ud800"]}, "invalid_json"),  # NUL and lone surrogates: refused with every body
        ({"prompt": PROMPT, "models": ["left:" + "c" * 300]}, "bad_request"),
    ],
)
async def test_a_match_asked_for_wrongly_is_refused_and_writes_nothing(settings: Settings, services: Services, body: dict[str, Any], code: str) -> None:
    async with api_client(settings, services) as client:
        response = await client.post("/api/arena", content=json.dumps(body), headers={"Content-Type": "application/json"})  # \u escapes: lone surrogates too
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == code
        assert await _counts(services) == (0, 0)
        assert (await client.post("/api/arena", content=b"[1, 2]")).json()["error"]["code"] == "invalid_json"


async def test_with_fewer_than_two_models_the_arena_says_what_to_configure(tmp_path: Path, services: Services) -> None:
    alone = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'alone.db'}", demo_delay=0.0)
    opened = await Services.open(alone)
    try:
        async with api_client(alone, opened) as client:
            response = await client.post("/api/arena", json={"prompt": PROMPT})
            assert response.status_code == 400
            assert "toolsmith.toml" in response.json()["error"]["message"]
            assert await _counts(opened) == (0, 0)
    finally:
        await opened.close()


async def test_votes_are_refused_unless_right_and_on_ones_own_finished_match(settings: Settings, services: Services, fakes: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    for fake in fakes:
        fake.script(answer(delay=0.05))
    async with api_client(settings, services) as client:
        match = await _start(client)
        writing = await client.post(f"/api/arena/{match['id']}/vote", json={"vote": "a"})
        assert writing.status_code == 409 and "still being written" in writing.json()["error"]["message"]
        await _finished(client, match["id"])
        for bad in ({"vote": "A"}, {"vote": "c"}, {"vote": None}, {"vote": ["a"]}, {"vote": "a\x00"}, {}, {"vote": 1e308}):
            refused = await client.post(f"/api/arena/{match['id']}/vote", json=bad)
            # NUL is refused with every body, before the route reads it.
            assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_json" if bad == {"vote": "a\x00"} else "bad_request"), bad
        assert (await client.post(f"/api/arena/{match['id']}/sides/c/keep")).status_code == 404

        other = await services.accounts.create_user("mallory")
        async with api_client(settings, services, other) as intruder:
            for method, path, body in [
                ("GET", f"/api/arena/{match['id']}", None),
                ("GET", f"/api/arena/{match['id']}/sides/a/stream", None),
                ("POST", f"/api/arena/{match['id']}/vote", {"vote": "a"}),
                ("POST", f"/api/arena/{match['id']}/sides/a/keep", None),
                ("POST", "/api/arena/0123456789abcdef/vote", {"vote": "a"}),
                ("GET", "/api/arena/%00", None),
                ("GET", "/api/arena/%ED%A0%80/sides/a/stream", None),
                ("GET", "/arena/" + "f" * 5000, None),
            ]:
                response = await intruder.request(method, path, json=body)
                # An address with NUL in it is refused before any route, as everywhere.
                assert response.status_code == (400 if "%00" in path else 404), (method, path, response.text)
                assert PROMPT not in response.text
            assert (await intruder.get("/api/arena")).json()["matches"] == []
            assert (await intruder.get("/api/arena/votes")).text == ""
            assert (await intruder.get("/api/arena/leaderboard")).json() == {"votes": 0, "models": []}
        still = (await client.get(f"/api/arena/{match['id']}")).json()["match"]
        assert still["vote"] is None, "no refused vote was recorded"


async def test_the_leaderboard_and_the_jsonl_export_of_the_votes(settings: Settings, services: Services) -> None:
    async with api_client(settings, services) as client:
        verdicts = []
        for vote in ("a", "b", "tie", "both_bad"):
            match = await _finished(client, (await _start(client, {"models": [LEFT, RIGHT]}))["id"])
            revealed = (await client.post(f"/api/arena/{match['id']}/vote", json={"vote": vote})).json()["match"]
            verdicts.append((vote, revealed["sides"]["a"]["model"], revealed["sides"]["b"]["model"]))
        unvoted = await _finished(client, (await _start(client))["id"])

        exported = await client.get("/api/arena/votes")
        assert exported.headers["content-type"].startswith("application/x-ndjson")
        assert "arena-votes.jsonl" in exported.headers["content-disposition"]
        lines = [json.loads(line) for line in exported.text.splitlines()]
        assert [(line["vote"], line["model_a"], line["model_b"]) for line in lines] == verdicts
        assert all(line["prompt"] == PROMPT and line["voted_at"] for line in lines)
        assert lines[0]["winner"] == verdicts[0][1] and lines[1]["winner"] == verdicts[1][2] and lines[2]["winner"] is None
        assert unvoted["id"] not in exported.text

        board = (await client.get("/api/arena/leaderboard")).json()
        assert board["votes"] == 4
        rows = {row["model"]: row for row in board["models"]}
        assert set(rows) == {LEFT, RIGHT}
        # A and B were drawn at random each time: who won the two decided votes depends on the draw.
        wins = {LEFT: 0, RIGHT: 0}
        for vote, model_a, model_b in verdicts[:2]:
            wins[model_a if vote == "a" else model_b] += 1
        for model, row in rows.items():
            assert (row["votes"], row["wins"], row["losses"], row["ties"], row["win_rate"]) == (4, wins[model], 2 - wins[model], 2, wins[model] / 4)
            assert row["interval"][0] <= row["score"] <= row["interval"][1]
        if wins[LEFT] == 1:
            assert rows[LEFT]["score"] == pytest.approx(1000, abs=0.5) == rows[RIGHT]["score"]
        else:
            best = max(wins, key=lambda m: wins[m])
            assert rows[best]["rank"] == 1 and rows[best]["score"] > 1000 > rows[min(wins, key=lambda m: wins[m])]["score"]
        listed = (await client.get("/api/arena")).json()["matches"]
        assert len(listed) == 5 and listed[0]["id"] == unvoted["id"] and listed[0]["models"] is None


async def test_a_failed_side_stays_blind_until_the_vote_and_cannot_be_kept(settings: Settings, services: Services, fakes: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    left, _ = fakes
    left.script(http_error(404, "The model `coder` does not exist at left."))
    async with api_client(settings, services) as client:
        match = await _finished(client, (await _start(client))["id"])
        statuses = sorted(side["status"] for side in match["sides"].values())
        assert statuses == ["complete", "failed"]
        failed = next(letter for letter, side in match["sides"].items() if side["status"] == "failed")
        assert "error" not in match["sides"][failed] and "left" not in (await client.get(f"/api/arena/{match['id']}")).text
        async with aconnect_sse(client, "GET", match["sides"][failed]["stream_url"]) as source:
            events = [event async for event in source.aiter_sse()]
        assert events[-1].event == "error" and "does not exist" not in events[-1].data and "left" not in events[-1].data
        revealed = (await client.post(f"/api/arena/{match['id']}/vote", json={"vote": "both_bad"})).json()["match"]
        assert revealed["sides"][failed]["model"] == LEFT and "does not exist" in revealed["sides"][failed]["error"]
        refused = await client.post(f"/api/arena/{match['id']}/sides/{failed}/keep")
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "bad_request")
        assert (await client.get("/api/apps")).json()["apps"] == []
