"""The editor in Chromium, pointed at one Toolsmith process, follows a generation that another
process writes: code and preview grow while it runs, then the finished app works in its frame.

Process A serves the editor and takes no queue work (TOOLSMITH_WORKER_JOBS=0); process B, on the
same PostgreSQL and Redis, writes the version. Everything A shows comes through Redis Streams.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.test_many_workers import Start, shared_server

__all__ = ["shared_server"]  # the fixture, for this module's tests


def test_the_editor_on_one_process_follows_a_generation_written_by_another(page: Page, shared_server: Start) -> None:
    shared_server(TOOLSMITH_DEMO_DELAY="0.03")  # B: writes
    a = shared_server(TOOLSMITH_WORKER_JOBS="0")  # A: only serves
    a.sign_in(page)
    page.get_by_test_id("prompt-input").fill("a tip calculator that splits the bill between friends")
    page.get_by_test_id("model-select").select_option("demo")
    page.get_by_test_id("submit-button").click()
    expect(page).to_have_url(re.compile(r"/apps/\w+"))

    code = page.get_by_test_id("code-view")
    expect(code).to_contain_text("<!DOCTYPE html>", timeout=20_000)
    preview = page.frame_locator("[data-testid=preview-frame]")
    expect(preview.locator("h1")).to_be_visible(timeout=20_000)
    item = page.locator("[data-testid=version-item][data-version='1']")
    assert item.get_attribute("data-status") == "generating", "A's preview should draw B's page before it is finished"

    expect(item).to_have_attribute("data-status", "complete", timeout=60_000)
    assert (page.get_by_test_id("preview-frame").get_attribute("src") or "").startswith(a.sandbox_url + "/v/")
    # The finished page replaces the one drawn while it was written: type into the page that stays.
    expect(page.locator("#frame-stack")).to_have_attribute("aria-busy", "false", timeout=20_000)
    preview.locator("#bill").fill("100")
    expect(preview.locator("#per-total")).to_contain_text("57.50")  # 15% on 100, between 2
    preview.get_by_role("button", name="10%").click()
    expect(preview.locator("#per-total")).to_contain_text("55.00")
