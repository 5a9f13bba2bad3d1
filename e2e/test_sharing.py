"""Accounts and sharing in real Chromium: sign in with the printed link; share; open the link in a
fresh browser with no cookies and use the app; download it and use it from disk with the network
blocked; remix it as a second user signed in through the sign-in form; revoke it and see it stop."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import ToolsmithServer
from sandbox.headers import APP_SANDBOX

BOB_PASSWORD = "bob's long password"


def _use_the_tip_calculator(frame) -> None:  # type: ignore[no-untyped-def]
    """The demo tip calculator really works: 100 split three ways with 15% is 38.33 each."""
    frame.locator("#bill").fill("100")
    frame.locator('button[data-pct="15"]').click()
    frame.locator("#more").click()
    expect(frame.locator("#people")).to_have_value("3")
    expect(frame.locator("#per-total")).to_contain_text("38.33")


def _make_an_app(page: Page, server: ToolsmithServer) -> None:
    page.goto(server.url + "/")
    page.get_by_test_id("prompt-input").fill("a tip calculator that splits the bill")
    page.get_by_test_id("model-select").select_option("demo")
    page.get_by_test_id("submit-button").click()
    expect(page).to_have_url(re.compile(r"/apps/\w+"))
    expect(page.locator("[data-testid=version-item][data-version='1']")).to_have_attribute("data-status", "complete", timeout=30_000)


def _share(page: Page) -> str:
    page.get_by_test_id("share-button").click()
    dialog = page.get_by_test_id("share-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("share-author").check()
    # The display name is still the user name ("owner"): the dialog asks once for a real one.
    name = dialog.get_by_test_id("share-name")
    if name.is_visible():
        expect(name).to_be_focused()
        name.fill("Ada Lovelace")
    dialog.get_by_test_id("share-create").click()
    url = dialog.get_by_test_id("share-url").first
    expect(url).to_have_value(re.compile(r"^http://localhost:\d+/s/[\w-]{32,}$"))
    return url.input_value()


def test_share_use_download_remix_and_revoke(page: Page, browser: Browser, toolsmith_server, tmp_path: Path) -> None:
    server = toolsmith_server()
    # Printed once both servers listen, which can be a moment after they first answer.
    deadline = time.monotonic() + 15
    while "signs you in as 'owner'" not in server.output:
        assert time.monotonic() < deadline, f"no sign-in link was printed:\n{server.output}"
        time.sleep(0.05)

    # The owner opens the printed link: one click, signed in.
    server.sign_in(page)
    expect(page.get_by_test_id("account-link")).to_have_text("owner")
    _make_an_app(page, server)
    share_url = _share(page)

    # Someone with no account and no cookies opens the link and uses the app.
    visitor = browser.new_context()
    try:
        view = visitor.new_page()
        view.goto(share_url)
        expect(view.get_by_test_id("share-title")).to_contain_text("Tip")
        expect(view.get_by_test_id("share-author")).to_have_text("by Ada Lovelace")
        frame_element = view.get_by_test_id("share-frame")
        assert frame_element.get_attribute("sandbox") == APP_SANDBOX
        frame_src = frame_element.get_attribute("src") or ""
        assert frame_src.startswith(server.sandbox_url + "/v/") and "share=" in frame_src
        _use_the_tip_calculator(view.frame_locator("[data-testid=share-frame]"))
        assert visitor.cookies(server.sandbox_url) == [], "the sandbox origin sets and gets no cookies"

        # View source shows the page as text.
        view.get_by_test_id("share-source").click()
        expect(view.get_by_test_id("share-source-code")).to_contain_text("<!DOCTYPE html>")
        view.go_back()

        # Download: one file that works from disk with the network blocked.
        with view.expect_download() as info:
            view.get_by_test_id("share-download").click()
        saved = tmp_path / info.value.suggested_filename
        info.value.save_as(saved)
        assert saved.suffix == ".html"
    finally:
        visitor.close()

    offline = browser.new_context(offline=True)
    try:
        attempts: list[str] = []
        offline.route(re.compile(r"^(https?|wss?)://"), lambda route: (attempts.append(route.request.url), route.abort()))
        disk = offline.new_page()
        errors: list[str] = []
        disk.on("pageerror", lambda error: errors.append(str(error)))
        disk.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        disk.goto(saved.as_uri())
        # The app runs in the file's one frame, sandboxed as in Toolsmith.
        expect(disk.locator("iframe")).to_have_attribute("sandbox", APP_SANDBOX)
        _use_the_tip_calculator(disk.frame_locator("iframe"))
        assert attempts == [] and errors == []
    finally:
        offline.close()

    # A second person, made on the command line, signs in through the form and remixes the app.
    server.cli("users", "add", "bob", "--password-stdin", stdin=BOB_PASSWORD + "\n")
    second = browser.new_context()
    try:
        bob = second.new_page()
        bob.goto(share_url)
        bob.get_by_test_id("share-remix").click()
        expect(bob).to_have_url(re.compile(r"/login\?next="))
        bob.get_by_test_id("login-username").fill("bob")
        bob.get_by_test_id("login-password").fill(BOB_PASSWORD)
        bob.get_by_test_id("login-submit").click()
        expect(bob).to_have_url(share_url)
        bob.get_by_test_id("share-remix").click()
        expect(bob).to_have_url(re.compile(r"/apps/\w+$"))
        expect(bob.get_by_test_id("remixed-from")).to_contain_text("by Ada Lovelace")
        _use_the_tip_calculator(bob.frame_locator("[data-testid=preview-frame]"))
        bob.goto(server.url + "/apps")
        expect(bob.get_by_test_id("app-list").locator(".app-card")).to_have_count(1)
    finally:
        second.close()

    # The owner revokes the link; it stops working at once, for the page and its frame.
    page.get_by_test_id("share-revoke").first.click()
    expect(page.get_by_test_id("share-item").first).to_have_attribute("data-state", "revoked")
    expect(page.get_by_test_id("share-item").first.locator(".status-chip")).to_have_text("Revoked")
    late = browser.new_context()
    try:
        gone = late.new_page()
        response = gone.goto(share_url)
        assert response is not None and response.status == 404
        expect(gone.get_by_test_id("error-message")).to_contain_text("revoked")
        assert gone.goto(frame_src).status == 404
    finally:
        late.close()


def test_private_apps_are_not_found_by_others(page: Page, browser: Browser, toolsmith_server) -> None:
    server = toolsmith_server()
    server.sign_in(page)
    _make_an_app(page, server)
    editor_url = page.url
    # The finished version's own address, once the preview has swapped to it.
    expect(page.get_by_test_id("preview-frame")).to_have_attribute("src", re.compile(r"/v/[^?]+\?"))
    preview_src = page.get_by_test_id("preview-frame").get_attribute("src") or ""
    server.cli("users", "add", "eve", "--password-stdin", stdin="eve's long password\n")
    other = browser.new_context()
    try:
        eve = other.new_page()
        # Signed out: nothing is there, and the page offers to sign in.
        response = eve.goto(editor_url)
        assert response is not None and response.status == 404
        eve.get_by_test_id("error-sign-in").click()
        eve.get_by_test_id("login-username").fill("eve")
        eve.get_by_test_id("login-password").fill("eve's long password")
        eve.get_by_test_id("login-submit").click()
        # Signed in as someone else: still nothing.
        expect(eve.get_by_test_id("error-message")).to_contain_text("belongs to another account")
        expect(eve.get_by_test_id("account-link")).to_have_text("eve")
        # The bare sandbox address, without its signature, shows nothing either.
        bare = preview_src.split("?")[0]
        assert eve.goto(bare).status == 404
        assert "Tip" not in eve.content()
        # Once the owner shares it, the link shows it to her; the editor stays the owner's.
        link = server.share(page, re.search(r"/apps/(\w+)", editor_url).group(1), version=1)  # type: ignore[union-attr]
        eve.goto(link)
        expect(eve.frame_locator("[data-testid=share-frame]").locator("h1")).to_contain_text("Tip")
        assert eve.goto(editor_url).status == 404
    finally:
        other.close()
    # The owner can sign out; the editor is then not found for them either.
    page.goto(server.url + "/")
    page.get_by_test_id("sign-out").click()
    expect(page).to_have_url(re.compile(r"/login\?signed_out=1"))
    expect(page.get_by_test_id("signed-out")).to_contain_text("You're signed out. Your account has no password")
    expect(page.get_by_test_id("signed-out")).to_contain_text("toolsmith users link owner")
    assert page.goto(editor_url).status == 404


def test_export_and_import_bring_back_the_whole_history(page: Page, toolsmith_server, tmp_path: Path) -> None:
    server = toolsmith_server()
    server.sign_in(page)
    _make_an_app(page, server)
    page.get_by_test_id("followup-input").fill("make it dark")
    page.get_by_test_id("followup-submit").click()
    expect(page.locator("[data-testid=version-item][data-version='2']")).to_have_attribute("data-status", "complete", timeout=30_000)

    # The editor's download is the standalone file of the version shown.
    with page.expect_download() as info:
        page.get_by_test_id("download-button").click()
    assert info.value.suggested_filename.endswith("-v2.html")
    standalone = tmp_path / "v2.html"
    info.value.save_as(standalone)
    assert 'http-equiv="Content-Security-Policy"' in standalone.read_text()

    with page.expect_download() as info:
        page.get_by_test_id("export-link").click()
    exported = tmp_path / info.value.suggested_filename
    info.value.save_as(exported)
    assert exported.name.endswith(".toolsmith.json")

    page.goto(server.url + "/")
    page.locator("#import summary").click()
    page.get_by_test_id("import-file").set_input_files(str(exported))
    page.get_by_test_id("import-submit").click()
    expect(page).to_have_url(re.compile(r"/apps/\w+$"))
    expect(page.locator("[data-testid=version-item]")).to_have_count(2)
    expect(page.frame_locator("[data-testid=preview-frame]").locator("h1")).to_contain_text("Tip")
    page.goto(server.url + "/apps")
    expect(page.get_by_test_id("app-list").locator(".app-card")).to_have_count(2)
