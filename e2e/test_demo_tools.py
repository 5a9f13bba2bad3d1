"""Every built-in tool of the offline demo (app/generation/providers/demo_tools/) does its main job
inside the sandbox, in the editor's preview, used as a person uses it: one test per tool."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from app.generation.providers.demo import EXAMPLES, TOOLS_DIR
from e2e.conftest import ToolsmithServer, server_env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolsmithServer]:
    running = ToolsmithServer(tmp_path_factory.mktemp("demo-tools"), server_env(TOOLSMITH_DEMO_DELAY="0.001"))
    running.start()
    yield running
    running.stop()


def _open(page: Page, server: ToolsmithServer, file: str) -> FrameLocator:
    """The demo's tool as an app of the owner's, opened in the editor."""
    server.sign_in(page, "owner")
    csrf = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    html = (TOOLS_DIR / file).read_text(encoding="utf-8")
    response = page.request.post(server.url + "/api/import", data={"html": html}, headers={"X-CSRF-Token": csrf, "Origin": server.url})
    assert response.status == 201, response.text()
    page.goto(server.url + response.json()["editor_url"])
    return page.frame_locator("[data-testid=preview-frame]")


def _problems(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("runtime-errors").get_by_test_id("runtime-error")


def todo(page: Page, frame: FrameLocator) -> None:
    """Adds by click and by Enter, ticks, deletes."""
    items = frame.locator("#list li")
    expect(items).to_have_count(3)
    frame.locator("#new-item").fill("Buy oat milk")
    frame.get_by_role("button", name=re.compile("^Add")).click()
    frame.locator("#new-item").fill("Call the plumber")
    frame.locator("#new-item").press("Enter")
    expect(items).to_have_count(5)
    expect(items.nth(3)).to_contain_text("Buy oat milk")
    expect(items.nth(4)).to_contain_text("Call the plumber")
    frame.get_by_role("checkbox", name="Buy oat milk").check()
    expect(items.nth(3)).to_have_class("done")
    expect(frame.locator("#left")).to_have_text("3 to do · 2 done")
    frame.get_by_role("button", name="Delete “Call the plumber”").click()
    expect(items).to_have_count(4)
    expect(frame.locator("#list")).not_to_contain_text("Call the plumber")


def tip(page: Page, frame: FrameLocator) -> None:
    frame.locator("#bill").fill("100")
    frame.locator('button[data-pct="15"]').click()
    frame.locator("#more").click()
    expect(frame.locator("#people")).to_have_value("3")
    expect(frame.locator("#per-total")).to_contain_text("38.33")


def csv_table(page: Page, frame: FrameLocator) -> None:
    """Sorts by a column, and filters."""
    first_name = frame.locator("#table tbody tr").first.locator("td").first
    expect(first_name).to_have_text("Ada Lovelace")
    frame.locator("#table thead").get_by_role("button", name=re.compile("score", re.I)).click()
    expect(first_name).to_have_text("Edsger Dijkstra")  # the lowest score first
    frame.locator("#filter").fill("boston")
    expect(frame.locator("#table tbody tr")).to_have_count(1)
    expect(first_name).to_have_text("Margaret Hamilton")


def pomodoro(page: Page, frame: FrameLocator) -> None:
    """Starts, and a skip moves to the break."""
    expect(frame.locator("#time")).to_have_text("25:00")
    frame.locator("#start").click()
    expect(frame.locator("#time")).not_to_have_text("25:00", timeout=5000)
    frame.locator("#skip").click()
    expect(frame.locator("#phase")).to_contain_text(re.compile("break", re.I))


def unit_converter(page: Page, frame: FrameLocator) -> None:
    frame.locator("#from-value").fill("10")
    expect(frame.locator("#to-value")).to_have_value(re.compile(r"^6\.21"))


def password(page: Page, frame: FrameLocator) -> None:
    """Generates a password of the length asked, and copies it to the clipboard."""
    first = frame.locator("#password").input_value()
    frame.locator("#generate").click()
    expect(frame.locator("#password")).not_to_have_value(first)
    made = frame.locator("#password").input_value()
    assert len(made) == 20
    frame.locator("#copy").click()
    expect(frame.locator("#status")).to_have_text("Copied to the clipboard.")
    page.get_by_test_id("followup-input").focus()
    page.keyboard.press("Control+V")
    expect(page.get_by_test_id("followup-input")).to_have_value(made)


def markdown(page: Page, frame: FrameLocator) -> None:
    frame.locator("#source").fill("# Shopping\n\n- **milk**\n- eggs")
    expect(frame.locator("#preview h1")).to_have_text("Shopping")
    expect(frame.locator("#preview li strong")).to_have_text("milk")


def contrast(page: Page, frame: FrameLocator) -> None:
    frame.locator("#fg-text").fill("#000000")
    frame.locator("#bg-text").fill("#ffffff")
    expect(frame.locator("#ratio")).to_have_text("21.00:1")


def loan(page: Page, frame: FrameLocator) -> None:
    """100,000 at 6% over 30 years is 599.55 a month."""
    frame.locator("#amount").fill("100000")
    frame.locator("#rate").fill("6")
    frame.locator("#term").fill("30")
    expect(frame.locator("#monthly")).to_contain_text("599.55")


def dice(page: Page, frame: FrameLocator) -> None:
    """Two d6 add up to 2–12, and the roll is kept in the history."""
    frame.locator("#roll").click()
    expect(frame.locator("#total")).to_have_text(re.compile(r"^([2-9]|1[0-2])$"))
    expect(frame.locator("#history-empty")).to_be_hidden()


def word_counter(page: Page, frame: FrameLocator) -> None:
    frame.locator("#text").fill("One two three. Four five!")
    expect(frame.locator("#words")).to_have_text("5")
    expect(frame.locator("#sentences")).to_have_text("2")


MAIN_INTERACTION: dict[str, Callable[[Page, FrameLocator], None]] = {
    "todo.html": todo,
    "tip.html": tip,
    "csv-table.html": csv_table,
    "pomodoro.html": pomodoro,
    "unit-converter.html": unit_converter,
    "password.html": password,
    "markdown.html": markdown,
    "contrast.html": contrast,
    "loan.html": loan,
    "dice.html": dice,
    "word-counter.html": word_counter,
}


def test_every_demo_tool_has_a_test() -> None:
    assert sorted(MAIN_INTERACTION) == sorted(example.file for example in EXAMPLES)


@pytest.mark.parametrize("file", sorted(MAIN_INTERACTION))
def test_the_demo_tool_does_its_job_in_the_sandbox(file: str, page: Page, server: ToolsmithServer) -> None:
    frame = _open(page, server, file)
    MAIN_INTERACTION[file](page, frame)
    # Nothing it did was stopped, and nothing went wrong.
    expect(frame.locator("h1").first).to_be_visible()
    expect(_problems(page)).to_have_count(0)
