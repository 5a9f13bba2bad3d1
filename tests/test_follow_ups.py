"""Follow-ups through the API against a fake OpenAI-compatible server: edit blocks, broken edit blocks
and the whole-page fallback, cut-off answers continued and stitched, fixes carrying runtime errors,
selections, and what each version records. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json as jsonlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from app.generation.prompting import CONTINUE_REQUEST, follow_up_system_prompt, recorded_hash, system_prompt
from app.services import Services
from app.settings import Endpoint, Settings
from tests.conftest import LiveServer, api_client, wait_for_version
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.script import answer, cut_off, default_page, edits, http_error

MODEL = "fake:coder"
PAGE = default_page("Counter").split("```html\n", 1)[1].split("```", 1)[0].strip()


@pytest.fixture(scope="module")
def served() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(delay=0, chunk_size=64)
    with fake.serve():
        yield fake


@pytest.fixture
def fake(served: FakeOpenAI) -> FakeOpenAI:
    served.reset()
    return served


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Settings a test changes: parametrize `overrides` to change them."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, database_url: str, fake: FakeOpenAI, overrides: dict[str, Any]) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        demo_delay=0.0,
        provider_retries=0,
        provider_timeout=10.0,
        endpoints=(Endpoint("fake", f"{fake.url}/v1", models=("coder",)),),
        default_model=MODEL,
        **{"auto_fix_attempts": 2, **overrides},
    )


async def _app(client: httpx.AsyncClient, fake: FakeOpenAI) -> str:
    """An app whose version 1 is PAGE (an import), with the fake's request log cleared."""
    app_id = (await client.post("/api/import", json={"html": PAGE})).json()["app"]["id"]
    fake.reset()
    return app_id


async def _follow_up(client: httpx.AsyncClient, app_id: str, body: dict[str, Any], status: int = 202) -> dict:
    response = await client.post(f"/api/apps/{app_id}/versions", json={"model": MODEL, **body})
    assert response.status_code == status, response.text
    if status != 202:
        return response.json()
    return await wait_for_version(client, app_id, response.json()["version"]["number"])


def _messages(fake: FakeOpenAI, i: int = -1) -> list[dict[str, str]]:
    return fake.requests[i]["json"]["messages"]


BROKEN = "Done.\n\n<<<<<<< SEARCH\n<h2>Nowhere</h2>\n=======\n<h2>Here</h2>\n>>>>>>> REPLACE\n"


# ---- edit blocks ---------------------------------------------------------------------------


async def test_a_follow_up_answered_with_edit_blocks_applies_them(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    fake.script(edits(input_tokens=900, output_tokens=40))
    v2 = await _follow_up(client, app_id, {"prompt": "call it Tally"})
    assert v2["status"] == "complete"
    assert (v2["kind"], v2["path"], v2["edit_count"], v2["edit_error"], v2["continuations"]) == ("follow_up", "edits", 1, None, 0)
    assert "<h1>call it Tally</h1>" in v2["html"] and "<h1>Counter</h1>" not in v2["html"]
    assert v2["html"].replace("<h1>call it Tally</h1>", "<h1>Counter</h1>") == PAGE
    assert (v2["input_tokens"], v2["output_tokens"]) == (900, 40)
    assert v2["notes"] == "I changed the heading."
    messages = _messages(fake)
    assert messages[0] == {"role": "system", "content": follow_up_system_prompt(edits=True).text}
    assert "<<<<<<< SEARCH" in messages[0]["content"]
    assert messages[1]["content"].endswith("answering with edit blocks or with the complete updated document as your instructions say:\n\ncall it Tally")
    assert v2["system_prompt_hash"] == recorded_hash(follow_up_system_prompt(edits=True), fix=False)
    assert v2["system_prompt_hash"] != system_prompt().hash
    # What was sent: the system prompt of a first request (v2 with the libraries, else v1), then the edit-block format.
    assert messages[0]["content"].startswith(system_prompt().text + "\n\n## Changing a page you already wrote")
    assert v2["system_prompt_hash"] == hashlib.sha256(messages[0]["content"].encode("utf-8")).hexdigest()[:16]


async def test_a_whole_page_answer_to_a_follow_up_is_still_taken(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    v2 = await _follow_up(client, app_id, {"prompt": "rewrite it"})
    assert (v2["status"], v2["path"], v2["edit_count"]) == ("complete", "page", None)
    assert len(fake.requests) == 1


async def test_broken_edit_blocks_fall_back_to_a_whole_page(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    fake.script(answer(BROKEN, input_tokens=1000, output_tokens=30), answer(input_tokens=1100, output_tokens=300))
    v2 = await _follow_up(client, app_id, {"prompt": "a second heading"})
    assert (v2["status"], v2["path"], v2["edit_count"]) == ("complete", "edits_then_page", None)
    assert "Block 1 (“<h2>Nowhere</h2>”): its SEARCH text matches nowhere" in v2["edit_error"]
    assert (v2["input_tokens"], v2["output_tokens"]) == (2100, 330)
    assert v2["html"].startswith("<!DOCTYPE html>")
    assert len(fake.requests) == 2
    retry = _messages(fake, 1)
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert retry[2]["content"] == BROKEN
    assert "could not be applied" in retry[3]["content"] and "matches nowhere" in retry[3]["content"]
    assert "complete updated document" in retry[3]["content"]


async def test_corrected_edit_blocks_after_broken_ones(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    fake.script(answer(BROKEN), edits())
    v2 = await _follow_up(client, app_id, {"prompt": "Renamed"})
    assert (v2["status"], v2["path"], v2["edit_count"]) == ("complete", "edits_retried", 1)
    assert "<h1>" in v2["html"] and v2["edit_error"]


async def test_edit_blocks_that_fail_twice_fail_the_version(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    fake.script(answer(BROKEN), answer(BROKEN.replace("Nowhere", "Still nowhere")))
    v2 = await _follow_up(client, app_id, {"prompt": "a second heading"})
    assert (v2["status"], v2["html"], v2["path"]) == ("failed", None, None)
    assert "did not fit the page, twice" in v2["error"] and "Still nowhere" in v2["error"]
    assert "matches nowhere" in v2["edit_error"]
    assert len(fake.requests) == 2


async def test_malformed_edit_blocks_also_fall_back(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    fake.script(answer("<<<<<<< SEARCH\n<h1>Counter</h1>\n>>>>>>> REPLACE\n"), answer())
    v2 = await _follow_up(client, app_id, {"prompt": "x"})
    assert (v2["status"], v2["path"]) == ("complete", "edits_then_page")
    assert "no ======= line" in v2["edit_error"]


@pytest.mark.parametrize("overrides", [{"edits": False}])
async def test_with_edits_turned_off_follow_ups_ask_for_the_whole_page(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    v2 = await _follow_up(client, app_id, {"prompt": "make it blue"})
    assert v2["path"] == "page"
    messages = _messages(fake)
    assert messages[0]["content"] == system_prompt().text
    assert messages[1]["content"].endswith("Change it as follows and answer with the complete updated document:\n\nmake it blue")


# ---- cut-off answers ---------------------------------------------------------------------------


FULL = f"Here it is.\n\n```html\n{PAGE}\n```\n"


async def test_a_cut_off_answer_is_continued_and_stitched(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    cut = len(FULL) // 2
    # The continuation starts again from the beginning of the line that was cut; stitching drops the repeat.
    fake.script(cut_off(FULL[:cut], output_tokens=100), answer(FULL[FULL.rindex("\n", 0, cut) + 1 :], output_tokens=60))
    v2 = await _follow_up(client, app_id, {"prompt": "again"})
    assert (v2["status"], v2["continuations"], v2["path"]) == ("complete", 1, "page")
    assert v2["html"] == PAGE
    assert v2["output_tokens"] == 160
    asked = _messages(fake, 1)
    assert asked[-2] == {"role": "assistant", "content": FULL[:cut]}
    assert asked[-1] == {"role": "user", "content": CONTINUE_REQUEST}


async def test_an_answer_still_cut_off_is_incomplete_and_can_be_continued(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    parts = [FULL[:300], FULL[300:600], FULL[600:900]]
    fake.script(*(cut_off(p) for p in parts))
    v2 = await _follow_up(client, app_id, {"prompt": "again"})
    assert (v2["status"], v2["continuations"]) == ("incomplete", 2)
    assert "cut off" in v2["error"]
    assert len(fake.requests) == 3
    assert v2["html"].startswith("<!DOCTYPE html>")

    fake.reset()
    fake.script(answer(FULL[900:]))
    response = await client.post(f"/api/apps/{app_id}/versions/2/continue", json={})
    assert response.status_code == 202
    v3 = await wait_for_version(client, app_id, 3)
    assert (v3["status"], v3["kind"], v3["parent_number"], v3["continuations"]) == ("complete", "continue", 2, 1)
    assert v3["html"] == PAGE
    asked = _messages(fake)
    assert asked[-2] == {"role": "assistant", "content": FULL[:900]}
    assert "Here is the current page" in asked[1]["content"] and asked[1]["content"].endswith("again")


async def test_only_an_incomplete_version_can_be_continued(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    response = await client.post(f"/api/apps/{app_id}/versions/1/continue")
    assert response.status_code == 400
    assert "only an unfinished version" in response.json()["error"]["message"]
    assert (await client.post(f"/api/apps/{app_id}/versions/9/continue")).status_code == 404


@pytest.mark.parametrize("overrides", [{"max_continuations": 0}])
async def test_cut_off_edit_blocks_apply_nothing_until_continued(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    blocks = "<<<<<<< SEARCH\n<h1>Counter</h1>\n=======\n<h1>Tally</h1>\n>>>>>>> REPLACE\n"
    fake.script(cut_off(blocks[:30]))
    v2 = await _follow_up(client, app_id, {"prompt": "rename"})
    assert (v2["status"], v2["html"], v2["path"]) == ("incomplete", None, "edits")
    assert "none were applied" in v2["error"]
    fake.script(answer(blocks[30:]))
    await client.post(f"/api/apps/{app_id}/versions/2/continue")
    v3 = await wait_for_version(client, app_id, 3)
    assert (v3["status"], v3["path"], v3["edit_count"]) == ("complete", "edits", 1)
    assert v3["html"] == PAGE.replace("<h1>Counter</h1>", "<h1>Tally</h1>")


# ---- fixes -------------------------------------------------------------------------------------


ERRORS = [
    {"kind": "error", "message": "TypeError: Cannot read properties of null (reading 'addEventListener')", "line": 15, "column": 26, "stack": "at http://sandbox/v/x:15:26"},
    {"kind": "console-error", "message": "count is NaN"},
    {"kind": "error", "message": "TypeError: Cannot read properties of null (reading 'addEventListener')", "line": 15, "column": 26},
]


async def test_a_fix_carries_the_errors_to_the_model(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    fake.script(edits())
    v2 = await _follow_up(client, app_id, {"errors": ERRORS, "prompt": "It happens on load."})
    assert (v2["status"], v2["kind"], v2["automatic"], v2["path"]) == ("complete", "fix", False, "edits")
    assert v2["prompt"] == "Fix 2 errors: TypeError: Cannot read properties of null (reading 'addEventListener')\n\nIt happens on load."
    assert v2["runtime_errors"] == [ERRORS[0], ERRORS[1]]
    assert v2["system_prompt_hash"] == recorded_hash(follow_up_system_prompt(edits=True), fix=True)
    sent = _messages(fake)[1]["content"]
    assert "When the current page runs in the browser, it reports these errors:" in sent
    assert "1. Uncaught error: TypeError: Cannot read properties of null (reading 'addEventListener') (line 15, column 26)" in sent
    line_15 = PAGE.splitlines()[14].strip()
    assert f"Line 15 of the page: {line_15}" in sent
    assert "at http://sandbox/v/x:15:26" in sent
    assert "2. console.error: count is NaN" in sent
    assert sent.endswith("It happens on load.")


async def test_a_fix_of_what_the_sandbox_stopped_tells_the_model_what_to_do_instead(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    fake.script(edits())
    stopped = [
        {"kind": "blocked", "action": "form", "message": "This app's form tried to send what was typed to https://example.com/add; apps cannot send forms anywhere."},
        {"kind": "csp-violation", "message": "Blocked https://cdn.example/x.js (script-src-elem)"},
    ]
    v2 = await _follow_up(client, app_id, {"errors": stopped})
    assert v2["runtime_errors"] == stopped
    sent = _messages(fake)[1]["content"]
    assert "1. Stopped by the sandbox: This app's form tried to send what was typed to https://example.com/add" in sent
    assert "   Instead: Handle the form in the page: a submit handler that calls event.preventDefault()" in sent
    assert "   Instead: Inline what the page needs, or use one of the offered libraries" in sent


@pytest.mark.parametrize(
    ("errors", "words"),
    [
        ([{"message": "x", "kind": "blocked", "action": "teleport"}], "as one of navigation, popup, form"),
        ([{"message": "x", "kind": "error", "action": "form"}], "goes only with the kind “blocked”"),
        ([{"message": "x", "kind": "blocked", "action": ["form"]}], "goes only with the kind “blocked”"),
        ([{"message": "x", "kind": ["error"]}], "use one of error, rejection"),
        ([], "must be a list"),
        ("boom", "must be a list"),
        ([{"line": 3}], "needs a “message”"),
        ([{"message": "x", "kind": "warning"}], "use one of error, rejection"),
        ([{"message": "x", "line": -1}], "whole number"),
        ([{"message": "x", "line": True}], "whole number"),
        ([{"message": "x", "stack": 5}], "must be a string"),
        ([{"message": "x"}] * 51, "at most 50"),
    ],
)
async def test_bad_fix_requests_are_refused(client: httpx.AsyncClient, fake: FakeOpenAI, errors: object, words: str) -> None:
    app_id = await _app(client, fake)
    body = await _follow_up(client, app_id, {"errors": errors}, status=400)
    assert words in body["error"]["message"]
    assert fake.requests == []


async def test_long_error_fields_are_cut_to_size(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    v2 = await _follow_up(client, app_id, {"errors": [{"message": "x" * 5000, "stack": "s" * 9000}]})
    stored = v2["runtime_errors"][0]
    assert (len(stored["message"]), len(stored["stack"])) == (1000, 3000)


async def test_automatic_fixes_stop_at_the_configured_number_in_a_row(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    errors = [{"message": "ReferenceError: total is not defined", "line": 3}]
    for n in (2, 3):
        version = await _follow_up(client, app_id, {"errors": errors, "automatic": True})
        assert (version["number"], version["kind"], version["automatic"]) == (n, "fix", True)
    refused = await _follow_up(client, app_id, {"errors": errors, "automatic": True}, status=409)
    assert "2 automatic fixes in a row" in refused["error"]["message"]
    manual = await _follow_up(client, app_id, {"errors": errors})
    assert (manual["kind"], manual["automatic"]) == ("fix", False)
    # After a fix the person asked for, automatic attempts may start again.
    assert (await _follow_up(client, app_id, {"errors": errors, "automatic": True}))["automatic"] is True


async def test_only_a_fix_can_be_automatic(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    body = await _follow_up(client, app_id, {"prompt": "x", "automatic": True}, status=400)
    assert "Only a fix" in body["error"]["message"]


@pytest.mark.parametrize("overrides", [{"auto_fix_attempts": 0}])
async def test_automatic_fixes_are_off_unless_configured(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    body = await _follow_up(client, app_id, {"errors": [{"message": "m"}], "automatic": True}, status=400)
    assert "TOOLSMITH_AUTO_FIX_ATTEMPTS" in body["error"]["message"]


# ---- selections --------------------------------------------------------------------------------


async def test_a_code_selection_scopes_the_request(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    v2 = await _follow_up(client, app_id, {"prompt": "make this bigger", "selection": {"kind": "code", "start_line": 11, "end_line": 12}})
    assert v2["selection"] == {"kind": "code", "start_line": 11, "end_line": 12}
    sent = _messages(fake)[1]["content"]
    lines = "\n".join(PAGE.splitlines()[10:12])
    assert "The request is about lines 11–12 of the current page, which the person selected." in sent
    assert f"```html\n{lines}\n```" in sent
    assert sent.index("The request is about") < sent.index("make this bigger")


async def test_an_element_selection_scopes_the_request(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    picked = {"kind": "element", "selector": "#add", "tag": "button", "text": "  Add\n one ", "html": '<button id="add" type="button">Add one</button>'}
    v2 = await _follow_up(client, app_id, {"prompt": "make it green", "selection": picked})
    assert v2["selection"] == {**picked, "text": "Add one"}
    sent = _messages(fake)[1]["content"]
    assert "a <button> showing “Add one” that the person picked in the preview, at the CSS selector `#add`" in sent


@pytest.mark.parametrize(
    ("selection", "words"),
    [
        ({"kind": "code", "start_line": 0, "end_line": 2}, "between 1 and"),
        ({"kind": "code", "start_line": 5, "end_line": 2}, "start first"),
        ({"kind": "code", "start_line": 1, "end_line": 999}, "between 1 and"),
        ({"kind": "element"}, "selector"),
        ({"kind": "element", "selector": "#a", "html": 3}, "must be a string"),
        ({"kind": "words"}, "“code”"),
        ("lines 1-3", "must be an object"),
    ],
)
async def test_bad_selections_are_refused(client: httpx.AsyncClient, fake: FakeOpenAI, selection: object, words: str) -> None:
    app_id = await _app(client, fake)
    body = await _follow_up(client, app_id, {"prompt": "x", "selection": selection}, status=400)
    assert words in body["error"]["message"]


# ---- history and failures ----------------------------------------------------------------------


async def test_history_leaves_out_restores_and_notes_hand_edits(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    await _follow_up(client, app_id, {"prompt": "first change"})
    await client.post(f"/api/apps/{app_id}/versions/2/hand-edit", json={"html": PAGE + "\n<!-- mine -->"})
    await client.post(f"/api/apps/{app_id}/versions/3/restore")
    fake.reset()
    await _follow_up(client, app_id, {"prompt": "next change", "parent": 4})
    sent = _messages(fake)[1]["content"]
    assert "1. Imported “Counter”\n2. first change\n3. (The person edited the code by hand.)\n\nHere is" in sent


async def test_a_provider_failure_during_a_fallback_fails_the_version(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    app_id = await _app(client, fake)
    fake.script(answer(BROKEN), http_error(500))
    v2 = await _follow_up(client, app_id, {"prompt": "x"})
    assert v2["status"] == "failed"
    assert "fake" in v2["error"]


def test_the_stream_tells_of_a_retry_and_a_continuation(fake: FakeOpenAI, live_server: LiveServer) -> None:
    """Through a real server: `phase` events between the answers of one version."""
    with httpx.Client(base_url=live_server.url, timeout=30, headers=live_server.headers) as http:
        app_id = http.post("/api/import", json={"html": PAGE}).json()["app"]["id"]
        fake.script(cut_off(BROKEN[:40]), answer(BROKEN[40:]), answer(delay=0.01))
        created = http.post(f"/api/apps/{app_id}/versions", json={"prompt": "x", "model": MODEL}).json()
        events = []
        with connect_sse(http, "GET", created["stream_url"]) as source:
            for event in source.iter_sse():
                events.append(event)
                if event.event in ("done", "error"):
                    break
    phases = [jsonlib.loads(e.data)["phase"] for e in events if e.event == "phase"]
    assert phases == ["continue", "retry"]
    names = [e.event for e in events]
    assert names.index("phase") < len(names) - 1 and names[-1] == "done"
    version = jsonlib.loads(events[-1].data)["version"]
    assert (version["path"], version["continuations"]) == ("edits_then_page", 1)
    deltas = "".join(jsonlib.loads(e.data)["text"] for e in events if e.event == "delta")
    assert deltas.startswith(BROKEN)  # the cut-off answer and its continuation, stitched
    assert version["html"] in deltas[len(BROKEN) :]  # then the whole page of the retry


# ---- export and import -------------------------------------------------------------------------


MADE = ("number", "parent_number", "kind", "path", "edit_count", "edit_error", "continuations", "runtime_errors", "automatic", "selection", "model", "status")


async def test_an_export_carries_how_each_version_was_made(client: httpx.AsyncClient, fake: FakeOpenAI, tmp_path: Path) -> None:
    """Edits, a fallback, a continuation, fixes, a selection, a hand edit and a restore survive export and import."""
    app_id = await _app(client, fake)
    fake.script(edits())
    await _follow_up(client, app_id, {"prompt": "call it Tally", "selection": {"kind": "code", "start_line": 11, "end_line": 12}})  # v2
    fake.script(answer(BROKEN), answer())
    await _follow_up(client, app_id, {"prompt": "a second heading", "parent": 1})  # v3, a branch
    fake.script(cut_off(FULL[:300]), answer(FULL[300:]))
    await _follow_up(client, app_id, {"prompt": "again"})  # v4
    fake.script(edits())
    await _follow_up(client, app_id, {"errors": ERRORS, "automatic": True, "parent": 2})  # v5
    await client.post(f"/api/apps/{app_id}/versions/5/hand-edit", json={"html": PAGE + "\n<!-- mine -->"})  # v6
    await client.post(f"/api/apps/{app_id}/versions/1/restore")  # v7
    originals = (await client.get(f"/api/apps/{app_id}")).json()["versions"]
    assert [v["kind"] for v in originals] == ["import", "follow_up", "follow_up", "follow_up", "fix", "hand_edit", "restore"]
    assert [v["path"] for v in originals] == [None, "edits", "edits_then_page", "page", "edits", None, None]
    data = (await client.get(f"/api/apps/{app_id}/export")).json()

    elsewhere = Settings(data_dir=tmp_path / "b", database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite'}", demo_delay=0.0)
    other = await Services.open(elsewhere)
    try:
        async with api_client(elsewhere, other) as http:
            imported = await http.post("/api/import", json={"export": jsonlib.loads(jsonlib.dumps(data))})
            assert imported.status_code == 201, imported.text
            restored = (await http.get(f"/api/apps/{imported.json()['app']['id']}")).json()["versions"]
    finally:
        await other.close()
    assert [{k: v[k] for k in MADE} for v in restored] == [{k: v[k] for k in MADE} for v in originals]
    assert restored[1]["selection"] == {"kind": "code", "start_line": 11, "end_line": 12}
    assert restored[2]["edit_error"] and restored[3]["continuations"] == 1
    assert restored[4]["runtime_errors"] == [ERRORS[0], ERRORS[1]] and restored[4]["automatic"] is True


async def test_an_export_from_before_versions_recorded_how_they_were_made(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    """Without those fields, versions are described as the database migration describes older ones."""
    app_id = await _app(client, fake)
    await _follow_up(client, app_id, {"prompt": "rewrite it"})
    data = (await client.get(f"/api/apps/{app_id}/export")).json()
    for version in data["versions"]:
        for name in ("kind", "path", "edit_count", "edit_error", "continuations", "runtime_errors", "automatic", "selection"):
            del version[name]
    imported = (await client.post("/api/import", json={"export": data})).json()
    restored = (await client.get(f"/api/apps/{imported['app']['id']}")).json()["versions"]
    assert [(v["kind"], v["path"], v["continuations"], v["automatic"]) for v in restored] == [("import", None, 0, False), ("follow_up", "page", 0, False)]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"kind": "magic"}, "versions[1].kind must be one of"),
        ({"path": "somehow"}, "versions[1].path must be one of"),
        ({"automatic": "yes"}, "versions[1].automatic must be true or false"),
        ({"continuations": -1}, "versions[1].continuations must be a whole number"),
        ({"runtime_errors": [{"line": 3}]}, "versions[1]: errors[0] needs a “message”"),
        ({"selection": {"kind": "code", "start_line": 1, "end_line": 999}}, "versions[1]: A code selection needs"),
    ],
)
async def test_an_export_with_a_bad_record_of_how_a_version_was_made_is_refused(client: httpx.AsyncClient, fake: FakeOpenAI, change: dict, words: str) -> None:
    app_id = await _app(client, fake)
    await _follow_up(client, app_id, {"prompt": "rewrite it"})
    data = (await client.get(f"/api/apps/{app_id}/export")).json()
    data["versions"][1].update(change)
    response = await client.post("/api/import", json={"export": data})
    assert response.status_code == 400 and words in response.json()["error"]["message"]
