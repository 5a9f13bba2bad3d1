"""The offline demo answers follow-ups in edit blocks when its instructions teach them, and they apply."""

from __future__ import annotations

import httpx
import pytest

from app.generation.edits import Edit, edit_page, edits_between, format_edits, has_edit_blocks, parse_edits
from app.generation.prompting import build_messages, follow_up_system_prompt
from app.generation.providers.base import Message, Request
from app.generation.providers.demo import EXAMPLES, DemoProvider, answer
from tests.conftest import wait_for_version

TIP = next(e for e in EXAMPLES if e.file == "tip.html").page()


async def _answer(messages: list[Message], *, edits: bool) -> str:
    request = Request("demo", follow_up_system_prompt(edits=edits).text, messages, 16000)
    return "".join([i async for i in DemoProvider(delay=0).stream(request) if isinstance(i, str)])


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.file for e in EXAMPLES])
async def test_edit_blocks_make_the_same_page_as_a_whole_answer(example) -> None:  # type: ignore[no-untyped-def]
    messages = build_messages(["a tool"], example.page(), "make it dark, bigger text and rename it to Mine", edits=True)
    whole = answer(messages)
    blocks = await _answer(messages, edits=True)
    assert has_edit_blocks(blocks) and not has_edit_blocks(whole)
    assert blocks.split("\n\n")[0] == whole.split("\n\n")[0]  # the same prose
    expected = whole.split("```html\n", 1)[1].rsplit("\n```", 1)[0]
    assert (edit_page(example.page(), blocks).html or "").strip() == expected
    assert len(blocks) < len(whole) / 5


async def test_without_the_edit_format_the_demo_answers_a_whole_page() -> None:
    messages = build_messages([], TIP, "make it dark")
    assert not has_edit_blocks(await _answer(messages, edits=False))


async def test_an_unchanged_page_is_answered_whole() -> None:
    text = await _answer(build_messages([], TIP, "teach it to sing", edits=True), edits=True)
    assert "can't do" in text and "```html" in text


async def test_the_demo_reads_the_request_after_a_selection() -> None:
    messages = build_messages([], TIP, "make it dark", edits=True, scope="The request is about lines 3–4:\n\n```html\n<p>x</p>\n```")
    assert parse_edits(await _answer(messages, edits=True)).notes.startswith("Offline demo: I made the page dark")


def test_edits_between_finds_unique_small_blocks() -> None:
    old = "<ul>\n<li>a</li>\n<li>a</li>\n<li>b</li>\n</ul>\n"
    new = "<ul>\n<li>a</li>\n<li>A</li>\n<li>b</li>\n<li>c</li>\n</ul>\n"
    blocks = edits_between(old, new)
    # "<li>a</li>" alone is ambiguous, so the first block takes the next line along; an insertion needs an anchor.
    assert blocks == [Edit("<li>a</li>\n<li>b</li>", "<li>A</li>\n<li>b</li>"), Edit("</ul>", "<li>c</li>\n</ul>")]
    assert edit_page(old, format_edits(blocks)).html == new
    assert edits_between(old, old) is None


async def test_a_demo_follow_up_through_the_api_records_the_edit_path(client: httpx.AsyncClient) -> None:
    app_id = (await client.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})).json()["app"]["id"]
    v1 = await wait_for_version(client, app_id, 1)
    await client.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark", "model": "demo"})
    v2 = await wait_for_version(client, app_id, 2)
    assert (v2["status"], v2["path"], v2["edit_count"]) == ("complete", "edits", 1)
    assert "data-toolsmith-demo=\"theme\"" in v2["html"]
    assert v2["output_tokens"] * 5 < v1["output_tokens"]
