"""The editor a person lives in, in real Chromium: Stop, rename and delete, the version tree, the code
view (CodeMirror: line numbers, highlighting, search, lines selected to scope a follow-up, hand
edits in the same view), the diff of parent and shown version, and the keyboard path to the composer.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.conftest import ToolsmithServer


def _preview(page: Page):
    return page.frame_locator("[data-testid=preview-frame]")


def _item(page: Page, number: int):
    return page.locator(f"[data-testid=version-item][data-version='{number}']")


def _turn(page: Page, number: int):
    return page.locator(f".turn[data-version='{number}']")


def _wait_for_version(page: Page, number: int, status: str = "complete") -> None:
    expect(_item(page, number)).to_have_attribute("data-status", status, timeout=30_000)


def _create(page: Page, server: ToolsmithServer, prompt: str) -> str:
    page.goto(server.url + "/")
    page.get_by_test_id("prompt-input").fill(prompt)
    page.get_by_test_id("model-select").select_option("demo")
    page.get_by_test_id("submit-button").click()
    expect(page).to_have_url(re.compile(r"/apps/\w+"))
    return page.url.split("/apps/")[1].split("?")[0]


def _follow_up(page: Page, prompt: str) -> None:
    page.get_by_test_id("followup-input").fill(prompt)
    page.get_by_test_id("followup-submit").click()


def _code_text(page: Page) -> str:
    return page.evaluate("() => document.getElementById('code-view').value")


def _line(page: Page, number: int):
    """Line `number` of the code view as drawn (CodeMirror draws the lines in view)."""
    return page.locator("#code-view .cm-content .cm-line").nth(number - 1)


def test_the_code_view_numbers_highlights_searches_and_scopes_a_follow_up(page: Page, toolsmith_server) -> None:
    server = toolsmith_server()
    server.sign_in(page)
    app_id = _create(page, server, "a dice roller")
    _wait_for_version(page, 1)
    page.get_by_test_id("tab-code").click()
    view = page.get_by_test_id("code-view")
    expect(view).to_have_attribute("data-ready", "codemirror")
    # Line numbers in the gutter, one per line of the page.
    expect(view.locator(".cm-lineNumbers .cm-gutterElement").filter(has_text=re.compile(r"^1$"))).to_be_visible()
    assert _code_text(page).startswith("<!DOCTYPE html>")
    # Highlighted: a tag name is drawn in another colour than the text around it.
    colours = view.locator(".cm-line").filter(has_text="<title>").evaluate(
        "(line) => [getComputedStyle(line).color, ...[...line.querySelectorAll('span')].map((s) => getComputedStyle(s).color)]"
    )
    assert len(set(colours)) >= 2, colours
    # Search: Ctrl+F opens the search box; matches are marked.
    _line(page, 1).click()
    page.keyboard.press("Control+f")
    search = view.locator(".cm-search input[name=search]")
    expect(search).to_be_focused()
    search.fill("<title>")
    search.press("Enter")
    expect(view.locator(".cm-searchMatch").first).to_be_visible()
    search.press("Escape")
    # Select lines 3 to 5 as a person does: click on line 3, shift-click on line 5.
    _line(page, 3).click()
    _line(page, 5).click(modifiers=["Shift"])
    ask = page.get_by_test_id("ask-selection")
    expect(ask).to_have_text("Ask about lines 3–5")
    ask.click()
    expect(page.get_by_test_id("followup-scope")).to_contain_text("About lines 3–5 of v1")
    expect(page.get_by_test_id("followup-input")).to_be_focused()
    _follow_up(page, "make it dark")
    _wait_for_version(page, 2)
    expect(_turn(page, 2).get_by_test_id("turn-scope")).to_have_text("Lines 3–5")
    selection = page.request.get(f"{server.url}/api/apps/{app_id}/versions/2").json()["version"]["selection"]
    assert selection == {"kind": "code", "start_line": 3, "end_line": 5}

    # Hand edits use the same view: typing goes into it, Ctrl+S saves a new version.
    page.get_by_test_id("tab-code").click()
    page.get_by_test_id("edit-code").click()
    content = view.locator(".cm-content")
    expect(content).to_be_focused()
    expect(page.get_by_test_id("save-code")).to_be_disabled()
    page.keyboard.press("Control+Home")
    page.keyboard.type("<!-- by hand -->\n")
    expect(page.get_by_test_id("code-status")).to_have_text("Unsaved changes to v2")
    page.keyboard.press("Control+s")
    _wait_for_version(page, 3)
    expect(_item(page, 3)).to_have_attribute("data-kind", "hand_edit")
    assert _code_text(page).startswith("<!-- by hand -->\n<!DOCTYPE html>")


def test_stop_from_the_editor_keeps_the_partial_page_and_every_tab_hears_it(page: Page, toolsmith_server) -> None:
    server = toolsmith_server(TOOLSMITH_DEMO_DELAY="0.05")
    server.sign_in(page)
    app_id = _create(page, server, "a tip calculator")
    other = page.context.new_page()  # a second tab on the same app, following the same stream
    other.goto(f"{server.url}/apps/{app_id}")
    page.bring_to_front()
    stop = page.get_by_test_id("stop-button")
    expect(stop).to_be_visible()
    expect(stop).to_have_accessible_name("Stop writing version 1")
    expect(_item(other, 1)).to_have_attribute("data-status", "generating")
    page.wait_for_function("() => document.getElementById('code-view').value.includes('<body')", polling=100, timeout=20_000)
    stop.click()
    for tab in (page, other):
        _wait_for_version(tab, 1, "stopped")
        expect(tab.get_by_test_id("stop-button")).to_be_hidden()
        expect(_turn(tab, 1).get_by_test_id("stopped-notice")).to_contain_text("You stopped this version")
        expect(_turn(tab, 1).get_by_test_id("continue-button")).to_be_visible()
        expect(tab.get_by_test_id("status-line")).to_contain_text("Stopped")
    expect(_turn(page, 1).locator(".bubble-user")).to_contain_text("a tip calculator")
    kept = page.request.get(f"{server.url}/api/apps/{app_id}/versions/1").json()["version"]
    assert kept["status"] == "stopped" and "<body" in kept["html"] and "</html>" not in kept["html"]
    # Continue goes on from where it stopped, in a new version.
    _turn(page, 1).get_by_test_id("continue-button").click()
    _wait_for_version(page, 2)
    expect(_item(page, 2)).to_have_attribute("data-kind", "continue")
    expect(_preview(page).locator("h1")).to_contain_text("Tip")
    # The second tab learns of version 2 by itself.
    _wait_for_version(other, 2)
    other.close()


def test_stop_through_the_api_ends_the_editor_stream(page: Page, toolsmith_server) -> None:
    server = toolsmith_server(TOOLSMITH_DEMO_DELAY="0.05")
    server.sign_in(page)
    app_id = _create(page, server, "a dice roller")
    expect(page.get_by_test_id("stop-button")).to_be_visible()
    token = server.api_token()
    answer = page.request.post(f"{server.url}/api/apps/{app_id}/versions/1/cancel", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200, answer.text()
    _wait_for_version(page, 1, "stopped")
    expect(page.get_by_test_id("stop-button")).to_be_hidden()
