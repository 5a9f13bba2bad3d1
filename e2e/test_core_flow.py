"""The core flow in real Chromium: prompt → streamed code and progressive preview → finished app
in the sandboxed iframe → follow-up → version 2 → back to version 1 → reload and restart keep it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.conftest import ToolsmithServer
from sandbox.headers import APP_SANDBOX


def _preview(page: Page):
    return page.frame_locator("[data-testid=preview-frame]")


def _start_from_home(page: Page, server: ToolsmithServer, prompt: str, model: str) -> None:
    page.goto(server.url + "/")
    page.get_by_test_id("prompt-input").fill(prompt)
    page.get_by_test_id("model-select").select_option(model)
    page.get_by_test_id("submit-button").click()
    expect(page).to_have_url(re.compile(r"/apps/\w+"))


def _wait_for_version(page: Page, number: int, status: str = "complete") -> None:
    item = page.locator(f"[data-testid=version-item][data-version='{number}']")
    expect(item).to_have_attribute("data-status", status, timeout=30_000)


def _follow_up(page: Page, prompt: str, model: str | None = None) -> None:
    page.get_by_test_id("followup-input").fill(prompt)
    if model:
        page.locator("[data-testid=followup-model], [data-testid=model-select]").first.select_option(model)
    page.get_by_test_id("followup-submit").click()


def _versions_iterate_and_survive(page: Page, server: ToolsmithServer, v1_heading: str) -> None:
    expect(page.locator("[data-testid=version-item]")).to_have_count(2)
    # Back to version 1: the preview shows it, and the choice survives a reload and a restart.
    page.locator("[data-testid=version-item][data-version='1']").click()
    expect(page).to_have_url(re.compile(r"[?&]v=1"))
    expect(_preview(page).locator("h1")).to_contain_text(v1_heading)
    page.reload()
    expect(_preview(page).locator("h1")).to_contain_text(v1_heading)
    expect(page.locator("[data-testid=version-item][data-version='1']")).to_have_attribute("aria-current", "true")
    server.restart()
    page.reload()
    expect(page.locator("[data-testid=version-item]")).to_have_count(2)
    expect(_preview(page).locator("h1")).to_contain_text(v1_heading)


def test_demo_model_end_to_end(page: Page, toolsmith_server) -> None:
    server = toolsmith_server(TOOLSMITH_DEMO_DELAY="0.02")
    server.sign_in(page)
    page.goto(server.url + "/")
    expect(page.get_by_text("offline demo", exact=False).first).to_be_visible()
    _start_from_home(page, server, "a tip calculator that splits the bill between friends", "demo")

    # While the answer is being written the code grows and the preview already draws the page.
    expect(page.get_by_test_id("status-line")).to_contain_text(re.compile("Writing|Generating", re.I))
    page.wait_for_function("() => document.getElementById('code-view').value.includes('<!DOCTYPE html>')", timeout=15_000)
    first_length = page.evaluate("() => document.getElementById('code-view').value.length")
    expect(_preview(page).locator("h1")).to_be_visible(timeout=15_000)
    assert page.locator("[data-testid=version-item][data-version='1']").get_attribute("data-status") == "generating", (
        "the preview should be drawn before the answer is complete"
    )
    page.wait_for_function(
        "n => document.getElementById('code-view').value.length > n", arg=first_length
    )

    _wait_for_version(page, 1)
    expect(_preview(page).locator("h1")).to_contain_text("Tip")
    frame_src = page.get_by_test_id("preview-frame").get_attribute("src") or ""
    assert frame_src.startswith(server.sandbox_url + "/v/")
    assert page.get_by_test_id("preview-frame").get_attribute("sandbox") == APP_SANDBOX
    expect(page.get_by_test_id("demo-badge").first).to_be_visible()

    _follow_up(page, "make it dark and add a 20% button")
    _wait_for_version(page, 2)
    # The preview swaps to the finished page a moment after the version completes.
    expect(_preview(page).locator('style[data-toolsmith-demo="theme"]')).to_have_count(1)
    dark = _preview(page).locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    r, g, b = (int(x) for x in re.findall(r"\d+", dark)[:3])
    assert r + g + b < 200, f"version 2 should be dark, background is {dark}"
    expect(_preview(page).get_by_role("button", name=re.compile("20")).first).to_be_visible()

    _versions_iterate_and_survive(page, server, "Tip")


def test_openai_compatible_endpoint_end_to_end(page: Page, toolsmith_server, fake_openai: str, tmp_path: Path) -> None:
    config = tmp_path / "toolsmith.toml"
    config.write_text(f'[endpoints.localai]\nbase_url = "{fake_openai}"\nmodels = ["coder-1"]\n')
    server = toolsmith_server(TOOLSMITH_CONFIG=str(config))
    server.sign_in(page)
    _start_from_home(page, server, "a pomodoro timer with sounds", "localai:coder-1")
    _wait_for_version(page, 1)
    expect(_preview(page).locator("h1")).to_contain_text("a pomodoro timer with sounds")
    _follow_up(page, "add a reset button")
    _wait_for_version(page, 2)
    expect(_preview(page).locator("h1")).to_contain_text("add a reset button")
    _versions_iterate_and_survive(page, server, "a pomodoro timer with sounds")
