"""The offline demo model: picking examples, honest prose, edits it really makes, pacing.

The last tests drive the example pages in a real Chromium (skipped when none is
installed) to check that they work, not only that they parse.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest

from app.generation.extract import extract_page
from app.generation.prompting import build_messages
from app.generation.providers.base import Message, Provider, Request, Usage
from app.generation.providers.demo import ACCENTS, DEFAULT_EXAMPLE, EXAMPLES, TOOLS_DIR, DemoProvider, Example, answer, choose_example

SYSTEM = "You are Toolsmith."


async def run(messages: list[Message], delay: float = 0) -> tuple[list[str], Usage]:
    items = [item async for item in DemoProvider(delay=delay).stream(Request("demo", SYSTEM, messages, 16000))]
    assert isinstance(items[-1], Usage)
    assert all(isinstance(item, str) for item in items[:-1])
    return items[:-1], items[-1]


async def ask(prompt: str) -> tuple[str, str]:
    """The prose and the page of a first answer."""
    chunks, _ = await run([Message("user", prompt)])
    return split_answer("".join(chunks))


async def follow_up(page: str, request: str) -> tuple[str, str]:
    chunks, _ = await run(build_messages(["a first request"], page, request))
    return split_answer("".join(chunks))


def split_answer(answer: str) -> tuple[str, str]:
    """Prose, then one ```html block holding a whole document, then nothing."""
    match = re.fullmatch(r"(?P<prose>[^`]+)\n\n```html\n(?P<page>.+)\n```\n", answer, re.S)
    assert match, answer[:300]
    page = match.group("page")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    extracted = extract_page(answer)
    assert extracted.complete and extracted.html == page
    return match.group("prose").strip(), page


def example(file: str) -> Example:
    return next(e for e in EXAMPLES if e.file == file)


TIP_PAGE = example("tip.html").page()


# --- Choosing an example -------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "file"),
    [
        ("A tip calculator that splits the bill between friends", "tip.html"),
        ("Paste a CSV and show it as a table I can sort", "csv-table.html"),
        ("pomodoro timer with a sound when time is up", "pomodoro.html"),
        ("Convert Celsius to Fahrenheit and miles to km", "unit-converter.html"),
        ("a simple to-do list", "todo.html"),
        ("Generate a strong random password", "password.html"),
        ("Markdown editor with live preview", "markdown.html"),
        ("WCAG colour contrast checker", "contrast.html"),
        ("How much will my mortgage cost per month?", "loan.html"),
        ("Roll a d20 for my D&D game", "dice.html"),
        ("Count the words in my essay and the reading time", "word-counter.html"),
    ],
)
async def test_a_first_prompt_gets_the_matching_example(prompt: str, file: str) -> None:
    assert choose_example(prompt) == example(file)
    prose, page = await ask(prompt)
    assert page == example(file).page().strip()
    assert prose.startswith("Offline demo: I matched your words to my built-in example")
    assert f"“{example(file).title}”" in prose
    assert "ANTHROPIC_API_KEY" in prose and "OPENAI_API_KEY" in prose


async def test_an_unknown_prompt_gets_the_default_and_says_so() -> None:
    assert choose_example("A BMI calculator for my gym") is None
    prose, page = await ask("A BMI calculator for my gym")
    assert page == DEFAULT_EXAMPLE.page().strip()
    assert "none of my built-in examples matches your words" in prose
    assert f"“{DEFAULT_EXAMPLE.title}”" in prose


async def test_a_first_prompt_can_ask_for_dark_and_a_colour() -> None:
    prose, page = await ask("a dark pomodoro timer in green")
    assert 'data-toolsmith-demo="theme"' in page and "--accent:#15803d" in page
    assert "made the page dark" in prose and "accent colour to green" in prose


# --- Follow-ups ----------------------------------------------------------------------


async def test_dark_and_a_20_percent_button_on_the_tip_calculator() -> None:
    prose, page = await follow_up(TIP_PAGE, "make it dark and add a 20% button")
    assert prose.startswith("Offline demo: I made the page dark and added a 20% tip button.")
    assert "can't do" not in prose
    assert 'data-toolsmith-demo="theme"' in page and "color-scheme:dark" in page
    percents = re.findall(r'data-pct="([\d.]+)"', page)
    assert percents == ["10", "15", "18", "20", "25"]


async def test_the_page_can_be_in_an_earlier_assistant_message() -> None:
    chunks, _ = await run([
        Message("user", "tip calculator"),
        Message("assistant", f"Here it is.\n\n```html\n{TIP_PAGE}\n```"),
        Message("user", "Add a 12.5% option"),
    ])
    prose, page = split_answer("".join(chunks))
    assert "added a 12.5% tip button" in prose
    assert 'data-pct="12.5"' in page


async def test_a_request_it_does_not_understand_leaves_the_page_unchanged() -> None:
    prose, page = await follow_up(TIP_PAGE, "Add a chart of my past bills")
    assert page == TIP_PAGE.strip()
    assert prose.startswith('Offline demo: I can\'t do "Add a chart of my past bills", so the page below is unchanged')


async def test_the_prose_names_what_was_done_and_what_was_not() -> None:
    prose, page = await follow_up(TIP_PAGE, "Make the text bigger, then add a login page")
    assert "made the text bigger" in prose
    assert "I can't do the rest of your request (\"add a login page\")" in prose
    assert 'data-toolsmith-demo="size">html{font-size:112.5%}' in page


async def test_a_new_name_may_contain_and() -> None:
    prose, page = await follow_up(TIP_PAGE, "Rename it to Salt and Pepper and make it green")
    assert prose.startswith("Offline demo: I renamed it to “Salt and Pepper” and changed the accent colour to green.")
    assert "<title>Salt and Pepper</title>" in page


async def test_an_empty_request_changes_nothing() -> None:
    prose, page = await follow_up(TIP_PAGE, "")
    assert page == TIP_PAGE.strip()
    assert prose == "Offline demo: I found no request to act on, so the page below is unchanged."


async def test_tip_percentages_only_apply_to_the_tip_calculator() -> None:
    page = example("dice.html").page()
    prose, new_page = await follow_up(page, "add a 20% button")
    assert new_page == page.strip()
    assert "unchanged" in prose


@pytest.mark.parametrize("file", [e.file for e in EXAMPLES])
async def test_core_edits_work_on_every_example(file: str) -> None:
    prose, page = await follow_up(example(file).page(), 'Make it dark, bigger text, purple and rename it to "My Own Tool"')
    assert prose.startswith(
        "Offline demo: I made the page dark, made the text bigger (112.5% of normal), "
        "changed the accent colour to purple and renamed it to “My Own Tool”."
    )
    assert "<title>My Own Tool</title>" in page
    assert re.search(r"<h1[^>]*>My Own Tool</h1>", page)
    assert "--accent:#7c3aed" in page and "color-scheme:dark" in page and "font-size:112.5%" in page


async def test_edits_build_on_each_other_and_reset_removes_them() -> None:
    _, page = await follow_up(TIP_PAGE, "bigger text")
    _, page = await follow_up(page, "even bigger")
    assert "font-size:125%" in page and page.count('data-toolsmith-demo="size"') == 1
    _, page = await follow_up(page, "dark mode, monospace font")
    prose, page = await follow_up(page, "light")
    assert "back to its light theme" in prose and 'data-toolsmith-demo="theme"' not in page
    prose, page = await follow_up(page, "reset")
    assert "removed my style changes" in prose and "data-toolsmith-demo" not in page


def test_accent_colours_keep_white_text_readable() -> None:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    for name, colour in ACCENTS.items():
        assert 1.05 / (luminance(colour) + 0.05) >= 4.5, name


# --- Streaming -----------------------------------------------------------------------


async def test_delay_zero_is_fast_and_usage_comes_last() -> None:
    messages = [Message("user", "tip calculator")]
    started = time.perf_counter()
    chunks, usage = await run(messages)
    assert time.perf_counter() - started < 1
    assert usage.stop_reason == "end"
    assert usage.input_tokens == math.ceil(len(SYSTEM + "tip calculator") / 4)
    assert usage.output_tokens == math.ceil(len("".join(chunks)) / 4)


async def test_chunks_are_small_and_the_same_every_time() -> None:
    first, _ = await run([Message("user", "markdown")])
    second, _ = await run([Message("user", "markdown")])
    assert first == second
    assert all(1 <= len(c) <= 96 for c in first)


@pytest.mark.parametrize("file", [e.file for e in EXAMPLES])
async def test_an_answer_takes_a_few_seconds_at_the_default_delay(file: str) -> None:
    chunks, _ = await run([Message("user", example(file).title)])
    assert 2 <= (len(chunks) - 1) * 0.03 <= 8


async def test_the_delay_is_really_waited() -> None:
    started = time.perf_counter()
    chunks, _ = await run([Message("user", "dice")], delay=0.001)
    assert time.perf_counter() - started >= (len(chunks) - 1) * 0.001


def test_it_is_a_provider_that_needs_no_key() -> None:
    provider = DemoProvider(delay=0)
    assert isinstance(provider, Provider)
    assert (provider.name, provider.needs_key, provider.key_env_var) == ("demo", False, None)


# --- The example pages themselves -----------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> at line {self.getpos()[0]} closes <{self.stack[-1] if self.stack else ''}>")
        else:
            self.stack.pop()


def test_there_are_at_least_eight_examples_each_with_a_file() -> None:
    assert len(EXAMPLES) >= 8
    assert sorted(e.file for e in EXAMPLES) == sorted(p.name for p in TOOLS_DIR.glob("*.html"))
    assert len({e.title for e in EXAMPLES}) == len(EXAMPLES)


@pytest.mark.parametrize("file", [e.file for e in EXAMPLES])
def test_example_page_is_a_complete_self_contained_document(file: str) -> None:
    page = example(file).page()
    assert 4_000 <= len(page.encode()) <= 14_000
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">") and page.rstrip().endswith("</html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert re.search(r"<h1>[^<]+</h1>", page)
    assert "--accent:" in page and "var(--accent)" in page
    for banned in ("http://", "https://", "//cdn", "@import", "```", "alert("):
        assert banned not in page, banned
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#|data:|\$\{)""", page)
    for use in re.finditer(r"(?:local|session)Storage", page):
        assert "try" in page[max(0, use.start() - 120) : use.start()], "storage must be guarded"


@pytest.mark.parametrize("file", [e.file for e in EXAMPLES])
def test_example_page_tags_are_balanced(file: str) -> None:
    parser = _Balance()
    parser.feed(example(file).page())
    parser.close()
    assert parser.errors == []
    assert parser.stack == []


# --- In a real browser ---------------------------------------------------------------


def _chromium() -> str | None:
    if path := os.environ.get("TOOLSMITH_CHROMIUM"):
        return path
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    path = _chromium()
    if path is None:
        pytest.skip("No Chromium installed (set TOOLSMITH_CHROMIUM to use one)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):  # type: ignore[no-untyped-def]
    """Open HTML at a phone's width; fails the test on any script error."""
    pages = []

    def opener(html: str, width: int = 375):  # type: ignore[no-untyped-def]
        page = browser.new_page(viewport={"width": width, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.set_content(html)
        pages.append((page, errors))
        return page

    yield opener
    for page, errors in pages:
        page.close()
        assert errors == []


@pytest.mark.parametrize("file", [e.file for e in EXAMPLES])
@pytest.mark.parametrize("width", [375, 1280])
def test_example_page_runs_and_fits_the_screen(open_page, file: str, width: int) -> None:  # type: ignore[no-untyped-def]
    page = open_page(example(file).page(), width)
    assert page.locator("h1").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_20_percent_button_added_by_a_follow_up_works(open_page) -> None:  # type: ignore[no-untyped-def]
    text = answer(build_messages([], TIP_PAGE, "make it dark and add a 20% button"))
    page = open_page(extract_page(text).html)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 18, 23)"
    page.fill("#bill", "100")
    page.fill("#people", "1")
    page.click('button[data-pct="20"]')
    assert page.locator("#tip-total").inner_text().endswith("20.00")
    assert page.locator("#grand-total").inner_text().endswith("120.00")
    assert page.get_attribute('button[data-pct="20"]', "aria-pressed") == "true"


def test_the_tip_calculator_splits_the_bill(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(TIP_PAGE)
    page.fill("#bill", "100")
    page.click('button[data-pct="15"]')
    page.click("#more")
    assert page.input_value("#people") == "3"
    assert page.locator("#per-total").inner_text().endswith("38.33")
    page.fill("#bill", "")
    assert page.locator("#bill-error").inner_text() == "Enter the bill amount."


def test_the_csv_table_parses_quotes_and_sorts_numbers(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(example("csv-table.html").page())
    page.fill("#csv", 'item,price\n"Widget, large",10\nGadget,9\n"Say ""hi""",100\n')
    cells = lambda column: page.locator(f"tbody tr td:nth-child({column})").all_inner_texts()  # noqa: E731
    assert cells(1) == ["Widget, large", "Gadget", 'Say "hi"']
    page.click("th:nth-child(2) button")
    assert cells(2) == ["9", "10", "100"]
    page.click("th:nth-child(2) button")
    assert cells(2) == ["100", "10", "9"]
    page.click("th:nth-child(1) button")
    assert cells(1) == ["Gadget", 'Say "hi"', "Widget, large"]


def test_the_pomodoro_timer_counts_down_and_beeps(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(example("pomodoro.html").page())
    page.click("summary")
    page.fill("#len-focus", "1")
    page.dispatch_event("#len-focus", "change")
    assert page.inner_text("#time") == "01:00"
    page.click("#start")
    page.wait_for_function("document.getElementById('time').textContent === '00:59'", timeout=3000)
    page.click("#start")
    assert page.inner_text("#start") == "Resume"
    page.click("#test-sound")  # the WebAudio beep must not throw

