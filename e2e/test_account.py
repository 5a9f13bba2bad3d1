"""The account page in Chromium: a person renames themselves, makes an API token that works for
a script, and revokes it, after which it works no more."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

from playwright.sync_api import Page, expect


def _me(server_url: str, token: str) -> int:
    """The status of `GET /api/me` for a script that sends `token`."""
    request = urllib.request.Request(server_url + "/api/me", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rename_make_a_token_and_revoke_it(page: Page, toolsmith_server) -> None:
    server = toolsmith_server()
    server.sign_in(page)
    page.goto(server.url + "/account")
    expect(page.get_by_test_id("account-username")).to_have_text("owner")

    page.get_by_test_id("display-name").fill("  Ada L.  ")
    page.locator("#name-form [type=submit]").click()
    expect(page.locator("#name-form [type=submit]")).to_have_text("Saved")
    expect(page.get_by_test_id("display-name")).to_have_value("Ada L.")
    page.reload()
    expect(page.get_by_test_id("display-name")).to_have_value("Ada L.")

    page.locator("#token-name").fill("backup script")
    page.get_by_test_id("token-create").click()
    secret = page.get_by_test_id("token-secret")
    expect(secret).to_contain_text("tsk_")
    token = secret.inner_text()
    # One click copies it, or (our Permissions-Policy denies the clipboard API) selects it for Ctrl+C; the button says which.
    page.get_by_test_id("token-copy").click()
    expect(page.get_by_test_id("token-copy")).to_have_text(re.compile("^(Copied|Press Ctrl\\+C)$"))
    if page.get_by_test_id("token-copy").inner_text() != "Copied":
        assert page.evaluate("() => window.getSelection().toString()") == token
    item = page.get_by_test_id("token-item")
    expect(item).to_have_count(1)
    expect(item).to_have_attribute("data-state", "active")
    expect(item.locator(".status-chip")).to_have_text("Active")
    expect(item).to_contain_text("backup script")
    assert _me(server.url, token) == 200

    item.get_by_role("button", name="Revoke").click()
    expect(item).to_have_attribute("data-state", "revoked")
    expect(item.locator(".status-chip")).to_have_text("Revoked")
    assert _me(server.url, token) == 401
