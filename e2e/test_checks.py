"""The browser check as a person meets it: a chip in the version list, the problem strip with Fix,
thumbnails on the apps list and a share link's preview image."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.test_iterate import _fake_control, _fake_server
from tests.check_corpus import CASES

BROKEN = next(c for c in CASES if c.name == "a handler that throws on click")


def test_a_checked_version_shows_its_problems_fix_carries_them_and_the_thumbnail_shows(page: Page, toolsmith_server, fake_openai: str, tmp_path: Path, chromium_path: str) -> None:
    # Fix needs a model that reads code (the offline demo says it cannot): the fake one answers with the page as it was.
    server = _fake_server(toolsmith_server, fake_openai, tmp_path, TOOLSMITH_CHECKS="on", TOOLSMITH_CHROMIUM=chromium_path)
    _fake_control(fake_openai, "/_fake/script", {"steps": [{"kind": "answer", "text": "```html\n" + BROKEN.html + "\n```\n"}]})
    server.sign_in(page)
    page.locator("#import summary").click()
    page.get_by_test_id("import-html").fill(BROKEN.html)
    page.get_by_test_id("import-title").fill("Tasks")
    page.get_by_test_id("import-submit").click()
    expect(page).to_have_url(re.compile(r"/apps/\w+"))
    app_id = page.url.split("/apps/")[1].split("?")[0]

    item = page.locator("[data-testid=version-item][data-version='1']")
    expect(item.get_by_test_id("check-chip")).to_have_text("1 problem", timeout=90_000)
    strip = page.get_by_test_id("check-strip")
    expect(strip.get_by_test_id("check-strip-title")).to_have_text("The check of v1 found 1 problem")
    problem = strip.get_by_test_id("check-problem")
    expect(problem).to_contain_text("TypeError")
    expect(problem).to_contain_text("clicking “Add”")

    page.get_by_test_id("model-select").select_option("localai:coder-1")
    strip.get_by_test_id("fix-button").click()
    expect(page.locator("[data-testid=version-item][data-version='2']")).to_have_attribute("data-kind", "fix", timeout=30_000)
    fix = page.request.get(f"{server.url}/api/apps/{app_id}/versions/2").json()["version"]
    assert fix["model"] == "localai:coder-1"
    assert "TypeError" in fix["runtime_errors"][0]["message"] and "clicking “Add”" in fix["runtime_errors"][0]["message"]

    page.goto(server.url + "/apps")
    thumbnail = page.get_by_test_id("app-thumbnail").first
    expect(thumbnail).to_be_visible()
    # Lazily loaded: wait for the picture itself, then measure it.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle(), timeout=30_000)
    assert page.evaluate("img => img.naturalWidth", thumbnail.element_handle()) == 320

    link = server.share(page, app_id, 1)
    page.goto(link)
    image = page.locator("meta[property='og:image']").get_attribute("content")
    assert image == f"{link}/screenshot"
    shot = page.request.get(image)
    assert shot.status == 200 and shot.headers["content-type"] == "image/png"


SUITE = """
name = "two"

[[prompt]]
id = "words"
prompt = "A word counter. Text goes in a textarea with id text; the number of words is shown in an element with id words."
steps = [{ fill = "#text", value = "one two three" }]
expect = [{ selector = "#words", equals = "3" }, { no_problems = true }]

[[prompt]]
id = "bmi"
prompt = "A BMI calculator with inputs weight and height and the BMI in an element with id bmi."
steps = [{ fill = "#weight", value = "70" }]
expect = [{ selector = "#bmi", contains = "22.9" }]
"""


@pytest.mark.slow
def test_an_eval_from_the_page_shows_its_progress_and_report(page: Page, toolsmith_server, chromium_path: str) -> None:
    server = toolsmith_server(TOOLSMITH_CHROMIUM=chromium_path)  # checks of every version off: the eval runs its own
    server.sign_in(page)
    page.goto(server.url + "/evals")
    page.get_by_test_id("eval-suite").select_option("")
    page.get_by_test_id("eval-toml").fill(SUITE)
    page.get_by_test_id("eval-start").click()
    bar = page.get_by_test_id("eval-progress-bar")
    expect(bar).to_have_attribute("max", "2")
    expect(page.get_by_test_id("eval-progress-text")).to_contain_text("Finished: demo: 1/2 passed", timeout=120_000)
    expect(bar).to_have_js_property("value", 2)
    page.get_by_test_id("eval-report-link").click()
    runs = page.get_by_test_id("eval-run")
    expect(runs).to_have_count(2)
    expect(page.locator("[data-testid=eval-run][data-prompt=words]")).to_have_attribute("data-passed", "true")
    expect(page.locator("[data-testid=eval-run][data-prompt=bmi]")).to_have_attribute("data-passed", "false")
    shot = page.locator("[data-testid=eval-run][data-prompt=words] [data-testid=eval-shot]")
    expect(shot).to_be_visible()
    # Lazily loaded: wait for the picture itself, then measure it.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=shot.element_handle(), timeout=30_000)
    assert page.evaluate("img => img.naturalWidth", shot.element_handle()) == 320
    expect(page.get_by_test_id("eval-summary")).to_contain_text("50%")
    # The eval's apps stay out of the person's own list, until one is kept from its editor.
    report = page.url
    page.goto(server.url + "/apps")
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.goto(report)
    page.locator("[data-testid=eval-run][data-prompt=words]").get_by_role("link", name="Open").click()
    notice = page.get_by_test_id("eval-app")
    expect(notice).to_contain_text("An eval run made this app")
    notice.get_by_test_id("keep-app").click()
    expect(notice).to_have_text("Kept: this app is in your apps now.")
    page.goto(server.url + "/apps")
    expect(page.get_by_test_id("app-list").locator(".app-card")).to_have_count(1)


def test_an_automatic_fix_starts_from_the_checks_problems(page: Page, toolsmith_server, fake_openai: str, tmp_path: Path, chromium_path: str) -> None:
    """A handler that throws only on a click: the running preview reports nothing until someone
    clicks, so it is the check that finds it, and an automatic fix carries what it found."""
    server = _fake_server(toolsmith_server, fake_openai, tmp_path, TOOLSMITH_CHECKS="on", TOOLSMITH_CHROMIUM=chromium_path, TOOLSMITH_AUTO_FIX_ATTEMPTS="1")
    _fake_control(fake_openai, "/_fake/script", {"steps": [{"kind": "answer", "text": "```html\n" + BROKEN.html + "\n```\n"}]})
    server.sign_in(page)
    page.get_by_test_id("prompt-input").fill("a task list")
    page.get_by_test_id("model-select").select_option("localai:coder-1")
    page.get_by_test_id("submit-button").click()
    expect(page).to_have_url(re.compile(r"/apps/\w+"))
    app_id = page.url.split("/apps/")[1].split("?")[0]
    expect(page.locator("[data-testid=version-item][data-version='1'] [data-testid=check-chip]")).to_have_text("1 problem", timeout=90_000)
    second = page.locator("[data-testid=version-item][data-version='2']")
    expect(second).to_have_attribute("data-kind", "fix", timeout=30_000)
    fix = page.request.get(f"{server.url}/api/apps/{app_id}/versions/2").json()["version"]
    assert fix["automatic"] is True and "clicking “Add”" in fix["runtime_errors"][0]["message"]
