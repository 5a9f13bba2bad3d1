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
    server = toolsmith_server(TOOLSMITH_DEMO_DELAY="0.1")
    server.sign_in(page)
    app_id = _create(page, server, "a tip calculator")
    # Until the page's first part arrives, the preview shows a page's outline, from the editor's first paint.
    expect(page.get_by_test_id("preview-skeleton")).to_be_visible()
    expect(page.get_by_test_id("preview-overlay")).to_contain_text("Writing your tool…")
    first_paint = page.request.get(f"{server.url}/apps/{app_id}").text()
    assert re.search(r'<div class="preview-overlay" id="preview-overlay" data-kind="loading" data-testid="preview-overlay">\s*<div class="skeleton"', first_paint)
    other = page.context.new_page()  # a second tab on the same app, following the same stream
    other.goto(f"{server.url}/apps/{app_id}")
    page.bring_to_front()
    stop = page.get_by_test_id("stop-button")
    expect(stop).to_be_visible()
    expect(stop).to_have_accessible_name("Stop writing version 1")
    expect(_item(other, 1)).to_have_attribute("data-status", "generating")
    # The model's words stream into its turn before the page does.
    expect(_turn(page, 1).get_by_test_id("live-notes")).to_contain_text("Offline demo")
    page.wait_for_function("() => document.getElementById('code-view').value.includes('<body')", polling=100, timeout=20_000)
    expect(page.get_by_test_id("preview-skeleton")).to_be_hidden()  # the page so far is painted instead
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
    server = toolsmith_server(TOOLSMITH_DEMO_DELAY="0.1")
    server.sign_in(page)
    app_id = _create(page, server, "a dice roller")
    expect(page.get_by_test_id("stop-button")).to_be_visible()
    token = server.api_token()
    answer = page.request.post(f"{server.url}/api/apps/{app_id}/versions/1/cancel", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200, answer.text()
    _wait_for_version(page, 1, "stopped")
    expect(page.get_by_test_id("stop-button")).to_be_hidden()


def test_rename_and_delete_from_the_editor(page: Page, browser, toolsmith_server) -> None:
    server = toolsmith_server()
    server.sign_in(page)
    app_id = _create(page, server, "a tip calculator")
    _wait_for_version(page, 1)
    share = server.share(page, app_id)
    page.get_by_test_id("rename-button").click()
    name = page.get_by_test_id("rename-input")
    expect(name).to_be_focused()
    name.fill("Dinner splitter")
    name.press("Enter")
    expect(page.get_by_test_id("app-title")).to_have_text("Dinner splitter")
    expect(page).to_have_title(re.compile("^Dinner splitter"))
    page.reload()
    expect(page.get_by_test_id("app-title")).to_have_text("Dinner splitter")
    # An empty name is refused in words, and nothing changes.
    page.get_by_test_id("rename-button").click()
    page.get_by_test_id("rename-input").fill("   ")
    page.get_by_test_id("rename-save").click()
    expect(page.get_by_test_id("rename-form").get_by_test_id("error-message")).to_contain_text("The name is empty")
    page.get_by_test_id("rename-input").press("Escape")
    expect(page.get_by_test_id("app-title")).to_have_text("Dinner splitter")

    # Delete asks once; keeping it changes nothing.
    page.get_by_test_id("delete-button").click()
    dialog = page.get_by_test_id("delete-dialog")
    expect(dialog).to_contain_text("Delete “Dinner splitter”?")
    expect(dialog).to_contain_text("share links")
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_be_hidden()
    page.get_by_test_id("delete-button").click()
    dialog.get_by_test_id("delete-confirm").click()
    expect(page).to_have_url(re.compile(r"/apps$"))
    expect(page.get_by_text("Dinner splitter")).to_have_count(0)
    # Gone for everyone: its owner, the API, and whoever holds the share link.
    assert page.goto(f"{server.url}/apps/{app_id}").status == 404
    assert page.request.get(f"{server.url}/api/apps/{app_id}").status == 404
    stranger = browser.new_context()
    try:
        assert stranger.new_page().goto(share).status == 404
    finally:
        stranger.close()


def test_the_version_tree_shows_prompts_branches_under_parents_and_one_tab_stop(page: Page, toolsmith_server) -> None:
    server = toolsmith_server()
    server.sign_in(page)
    _create(page, server, "a tip calculator that splits the bill between friends")
    _wait_for_version(page, 1)
    _follow_up(page, "make it dark")
    _wait_for_version(page, 2)
    _item(page, 1).click()
    _follow_up(page, 'rename to "Split it"')
    _wait_for_version(page, 3)
    items = page.locator("[data-testid=version-item]")
    # Oldest first; the branch from v1 sits right under v1, one level in; v2 continues v1's line.
    expect(items).to_have_count(3)
    assert [items.nth(i).get_attribute("data-version") for i in range(3)] == ["1", "3", "2"]
    expect(_item(page, 3)).to_have_attribute("data-depth", "1")
    expect(_item(page, 2)).to_have_attribute("data-depth", "0")
    # Each row says what was asked; the whole prompt is its tooltip and part of its name.
    expect(_item(page, 2).get_by_test_id("version-prompt")).to_have_text("make it dark")
    expect(_item(page, 1)).to_have_attribute("title", "a tip calculator that splits the bill between friends")
    expect(_item(page, 3)).to_have_accessible_name(re.compile(r"^Version 3 \(shown\), rename to \"Split it\""))
    expect(_item(page, 3)).to_have_attribute("aria-current", "true")
    # One tab stop for the list: the shown version; arrow keys move between versions.
    assert [items.nth(i).get_attribute("tabindex") for i in range(3)] == ["-1", "0", "-1"]
    _item(page, 3).focus()
    page.keyboard.press("ArrowDown")
    expect(_item(page, 2)).to_be_focused()
    page.keyboard.press("Enter")
    expect(_item(page, 2)).to_have_attribute("aria-current", "true")
    expect(page.locator("#announcer")).to_have_text("Showing version 2.")
    # The list folds away, and scrolls on its own when long.
    page.locator("#versions > summary").click()
    expect(items.first).to_be_hidden()
    assert page.locator("#version-list").evaluate("(l) => getComputedStyle(l).overflowY") == "auto"
    # The diff opens on the parent of the shown version; a first version says there is nothing before it.
    page.get_by_test_id("tab-diff").click()
    expect(page.get_by_test_id("diff-summary")).to_contain_text("v1 → v2")
    page.locator("#versions > summary").click()
    _item(page, 1).click()
    expect(page.get_by_test_id("diff-summary")).to_contain_text("v1 is the first version: there is nothing before it")


def test_the_composer_is_reached_in_a_few_key_presses(page: Page, toolsmith_server) -> None:
    server = toolsmith_server()
    server.sign_in(page)
    _create(page, server, "a tip calculator")
    _wait_for_version(page, 1)
    for n, prompt in enumerate(["make it dark", "make it light", "bigger text", "smaller text", "make it dark", "make it light", "bigger text"], start=2):
        _follow_up(page, prompt)
        _wait_for_version(page, n)
    expect(page.locator("[data-testid=version-item]")).to_have_count(8)
    composer = page.get_by_test_id("followup-input")
    # From the top of the page, Tab by Tab, as someone without a mouse.
    page.reload()
    _wait_for_version(page, 8)
    page.locator("body").focus()
    presses = 0
    while not composer.evaluate("(c) => c === document.activeElement") and presses < 40:
        page.keyboard.press("Tab")
        presses += 1
    assert presses <= 20, f"{presses} Tab presses to reach the follow-up box"
    # The skip link at the top: a few presses, then Enter. And "/" from anywhere outside a text field: one.
    page.reload()
    _wait_for_version(page, 8)
    skip = page.get_by_test_id("skip-to-followup")
    for _ in range(3):
        page.keyboard.press("Tab")
        if skip.evaluate("(link) => link === document.activeElement"):
            break
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(composer).to_be_focused()
    _item(page, 3).click()
    page.keyboard.press("/")
    expect(composer).to_be_focused()
    expect(composer).to_have_value("")
    # Buttons say which version they act on.
    expect(_turn(page, 3).get_by_test_id("restore-button")).to_have_accessible_name("Restore version 3")


def test_a_long_history_lists_its_newest_versions_and_the_older_ones_on_asking(page: Page, toolsmith_server) -> None:
    server = toolsmith_server()
    server.sign_in(page)
    stamp = "2025-06-01T12:00:00+00:00"
    export = {
        "format": "toolsmith.app",
        "format_version": 1,
        "exported_at": stamp,
        "app": {"title": "Long history", "created_at": stamp, "updated_at": stamp, "remixed_from_title": None},
        "versions": [
            {"number": n, "parent_number": n - 1 if n > 1 else None, "prompt": f"step {n}", "model": "demo", "html": f"<!DOCTYPE html><title>Long history</title><h1>Step {n}</h1>",
             "status": "complete", "created_at": stamp, "finished_at": stamp}
            for n in range(1, 251)
        ],
    }  # fmt: skip
    csrf = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    imported = page.request.post(server.url + "/api/import", data={"export": export}, headers={"X-CSRF-Token": csrf, "Origin": server.url})
    assert imported.status == 201, imported.text()
    page.goto(server.url + imported.json()["editor_url"])
    expect(_preview(page).locator("h1")).to_have_text("Step 250")
    expect(page.get_by_test_id("version-item")).to_have_count(200)
    expect(page.locator("#version-count")).to_have_text("250")
    older = page.get_by_test_id("older-versions")
    expect(older).to_have_text("Show older versions (50 more)")
    older.click()
    expect(page.get_by_test_id("version-item")).to_have_count(250)
    expect(older).to_be_hidden()
    _item(page, 1).click()
    expect(_preview(page).locator("h1")).to_have_text("Step 1")
