"""The editor's screenshots in docs/ (the README shows them), taken in Chromium from a real server.

    .venv/bin/python -m e2e.screenshots

It makes an app with the offline demo, a follow-up and a branch, then saves the editor at
1280×800 (preview, code) and at 390×844 (a phone: preview and chat) to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from e2e.conftest import ROOT, ToolsmithServer, server_env

OUT = ROOT / "docs" / "screenshots"


def _wait(page: Page, number: int) -> None:
    expect(page.locator(f"[data-testid=version-item][data-version='{number}']")).to_have_attribute("data-status", "complete", timeout=30_000)


def _follow_up(page: Page, prompt: str, number: int) -> None:
    page.get_by_test_id("followup-input").fill(prompt)
    page.get_by_test_id("followup-submit").click()
    _wait(page, number)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = ToolsmithServer(Path(tmp), server_env(TOOLSMITH_DEMO_DELAY="0.002"))
        server.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=os.environ.get("TOOLSMITH_CHROMIUM", "/usr/bin/chromium"))
                desktop = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
                page = desktop.new_page()
                server.sign_in(page)
                page.get_by_test_id("prompt-input").fill("a tip calculator that splits the bill between friends")
                page.get_by_test_id("model-select").select_option("demo")
                page.get_by_test_id("submit-button").click()
                expect(page).to_have_url(re.compile(r"/apps/\w+"))
                _wait(page, 1)
                _follow_up(page, "make it dark", 2)
                page.locator("[data-testid=version-item][data-version='1']").click()
                _follow_up(page, 'rename to "Split the bill"', 3)
                _follow_up(page, "add a 20% button", 4)
                page.get_by_test_id("followup-input").fill("make the buttons bigger")
                page.wait_for_timeout(600)
                page.screenshot(path=OUT / "editor-1280.png")
                page.get_by_test_id("tab-code").click()
                expect(page.get_by_test_id("code-view")).to_have_attribute("data-ready", "codemirror")
                page.wait_for_timeout(300)
                page.screenshot(path=OUT / "editor-code-1280.png")
                url = page.url

                phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
                mobile = phone.new_page()
                mobile.context.add_cookies(desktop.cookies())
                mobile.goto(url.split("?")[0])
                _wait(mobile, 4)
                mobile.wait_for_timeout(600)
                mobile.screenshot(path=OUT / "editor-390.png")
                mobile.get_by_test_id("tab-chat").click()
                mobile.locator("#versions > summary").click()
                mobile.wait_for_timeout(300)
                mobile.screenshot(path=OUT / "editor-chat-390.png")
                browser.close()
        finally:
            server.stop()
    print(f"Saved the screenshots to {OUT.relative_to(ROOT)}/", file=sys.stderr)


if __name__ == "__main__":
    main()
