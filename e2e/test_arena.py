"""The arena in real Chromium: one prompt to two fake OpenAI-compatible endpoints, both sides
streaming into their sandboxed frames at once, blind; the person tries both apps, votes for the
one that works, sees the models revealed, keeps that side as an app and finds it in the editor
and in their list; the leaderboard ranks the two."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from e2e.conftest import start_fake_openai
from sandbox.headers import APP_FRAME_ALLOW, APP_SANDBOX

PAGE = """Here it is.

```html
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Tally</title></head>
<body>
<h1>Tally</h1>
<p id="count">0</p>
<button id="add" type="button">Add one</button>
<script>
let count = 0;
document.getElementById('add').addEventListener('click', () => {
  %s
});
</script>
</body>
</html>
```
"""
WORKS = PAGE % "count += 1; document.getElementById('count').textContent = String(count);"
BROKEN = PAGE % "document.getElementById('total').textContent = String(count + 1);"  # no #total: it throws


@pytest.fixture
def alpha(tmp_path: Path) -> Iterator[str]:
    yield from start_fake_openai(tmp_path, "alpha")


@pytest.fixture
def beta(tmp_path: Path) -> Iterator[str]:
    yield from start_fake_openai(tmp_path, "beta")


def _answer_always(base_url: str, text: str) -> None:
    # Slow enough (about five seconds a page) that both sides are seen being written.
    body = json.dumps({"steps": [{"kind": "answer", "text": text, "times": 20, "delay": 0.1, "chunk_size": 12}]}).encode()
    request = urllib.request.Request(base_url.removesuffix("/v1") + "/_fake/script", data=body, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def _frame(page: Page, letter: str) -> FrameLocator:
    return page.frame_locator(f"[data-testid=arena-side-{letter}] [data-testid=preview-frame]")


def test_a_blind_match_a_vote_the_reveal_and_a_side_kept(page: Page, toolsmith_server, alpha: str, beta: str, tmp_path: Path) -> None:
    _answer_always(alpha, WORKS)
    _answer_always(beta, BROKEN)
    config = tmp_path / "toolsmith.toml"
    config.write_text(f'[endpoints.alpha]\nbase_url = "{alpha}"\nmodels = ["coder"]\n\n[endpoints.beta]\nbase_url = "{beta}"\nmodels = ["coder"]\n')
    server = toolsmith_server(TOOLSMITH_CONFIG=str(config))
    server.sign_in(page)

    page.get_by_test_id("arena-link").click()
    expect(page).to_have_url(server.url + "/arena")
    page.wait_for_load_state()  # the form's script has run
    page.get_by_test_id("arena-prompt").fill("a tally counter")
    page.get_by_test_id("arena-start").click()
    expect(page).to_have_url(re.compile(r"/arena/\w+$"))
    expect(page.get_by_test_id("arena-match-prompt")).to_have_text("a tally counter")

    sides = {letter: page.get_by_test_id(f"arena-side-{letter}") for letter in "ab"}
    # Both sides are being written at once, each streaming into its own sandboxed frame.
    for side in sides.values():
        expect(side.get_by_test_id("side-status")).to_have_attribute("data-status", "generating")
    for letter, side in sides.items():
        expect(_frame(page, letter).locator("h1")).to_have_text("Tally", timeout=15_000)
        frame = side.get_by_test_id("preview-frame")
        assert frame.get_attribute("sandbox") == APP_SANDBOX  # as the editor's frame
        assert frame.get_attribute("allow") == APP_FRAME_ALLOW
        assert (frame.get_attribute("src") or "").startswith(server.sandbox_url + "/v/")
    expect(page.get_by_test_id("vote-a")).to_be_disabled()
    for side in sides.values():
        expect(side.get_by_test_id("side-status")).to_have_attribute("data-status", "complete", timeout=30_000)

    # Blind: no model is named anywhere on the page, and nothing can be kept yet.
    assert "alpha" not in page.content() and "beta" not in page.content()
    for letter, side in sides.items():
        expect(side.get_by_test_id("side-model")).to_be_hidden()
        expect(page.get_by_test_id(f"keep-{letter}")).to_be_hidden()

    # The person tries both apps: in one of them "Add one" counts, in the other it does nothing.
    counted = {}
    for letter in "ab":
        frame = _frame(page, letter)
        frame.get_by_role("button", name="Add one").click()
        frame.get_by_role("button", name="Add one").click()
        counted[letter] = frame.locator("#count").inner_text()
    assert sorted(counted.values()) == ["0", "2"], counted
    good = next(letter for letter, count in counted.items() if count == "2")
    bad = "b" if good == "a" else "a"

    page.get_by_test_id(f"vote-{good}").click()
    result = page.get_by_test_id("arena-result")
    expect(result).to_contain_text(f"You voted: {good.upper()} is better")
    expect(result).to_contain_text("alpha:coder")
    expect(result).to_contain_text("beta:coder")
    expect(sides[good].get_by_test_id("side-model")).to_have_text("alpha:coder")
    expect(sides[bad].get_by_test_id("side-model")).to_have_text("beta:coder")
    expect(page.get_by_test_id("arena-vote")).to_be_hidden()

    # Keep the side that works: it becomes version 1 of an app of the person's own.
    page.get_by_test_id(f"keep-{good}").click()
    opened = page.get_by_test_id(f"open-{good}")
    expect(opened).to_be_visible()
    expect(page.get_by_test_id(f"keep-{good}")).to_be_hidden()
    expect(page.get_by_test_id(f"keep-{bad}")).to_be_visible()
    opened.click()
    expect(page).to_have_url(re.compile(r"/apps/\w+$"))
    expect(page.get_by_test_id("app-title")).to_have_text("Tally")
    expect(page.locator("[data-testid=version-item]")).to_have_count(1)
    preview = page.frame_locator("[data-testid=preview-frame]")
    preview.get_by_role("button", name="Add one").click()
    expect(preview.locator("#count")).to_have_text("1")

    # Only the kept side is in the list of one's apps.
    page.goto(server.url + "/apps")
    expect(page.locator("[data-testid=app-list] .app-card")).to_have_count(1)

    page.goto(server.url + "/arena/leaderboard")
    rows = page.get_by_test_id("leaderboard-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-model", "alpha:coder")
    expect(rows.nth(0).get_by_test_id("win-rate")).to_have_text("100 %")
    expect(rows.nth(1)).to_have_attribute("data-model", "beta:coder")
    expect(page.get_by_test_id("votes-export")).to_have_attribute("href", "/api/arena/votes")
