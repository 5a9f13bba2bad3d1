"""Stitching a continuation to the cut-off answer it continues, at once and while it streams."""

from __future__ import annotations

import pytest

from app.generation.continuation import HOLD, Stitcher, stitch

PAGE = "Here it is.\n\n```html\n<!DOCTYPE html>\n<html>\n<body>\n  <h1>Tip calculator</h1>\n  <button id=\"reset\">Reset</button>\n</body>\n</html>\n```\n"


@pytest.mark.parametrize(
    ("cut", "continuation"),
    [
        (60, PAGE[60:]),  # picks up exactly where it stopped
        (60, PAGE[PAGE.index("<!DOCTYPE") :]),  # repeats the lines it was writing
        (PAGE.index("</body>"), PAGE[PAGE.index("  <h1>") :]),  # ...two whole lines
        (90, "```html\n" + PAGE[90:]),  # reopens the code block
        (90, "Continuing:\n```html\n" + PAGE[90:]),  # a line of prose, then the code block again
        (PAGE.index('id="res') + 7, '  <button id="reset">Reset</button>\n' + PAGE[PAGE.index("</body>") :]),  # restarts the cut line
        (PAGE.index('id="res') + 7, '<button id="reset">Reset</button>\n' + PAGE[PAGE.index("</body>") :]),  # ...without its indentation
    ],
)
def test_stitching_joins_without_repeats(cut: int, continuation: str) -> None:
    assert stitch(PAGE[:cut], continuation) == PAGE


def test_a_short_coincidental_repeat_is_kept() -> None:
    # "</div>\n" ends the first part and starts the second, and both are meant.
    assert stitch("<div><div>x</div>\n", "</div>\n<p>") == "<div><div>x</div>\n</div>\n<p>"


def test_a_closing_fence_is_not_taken_for_a_reopened_one() -> None:
    assert stitch(PAGE[: PAGE.index("```\n", 20)], "```\n") == PAGE


def test_outside_a_code_block_fences_are_kept() -> None:
    assert stitch("Some prose ", "```html\n<p>") == "Some prose ```html\n<p>"


def test_a_repeat_from_mid_line_is_taken_as_chance() -> None:
    text = "<p>" + "x" * 100
    assert stitch(text, "x" * 50 + "</p>") == text + "x" * 50 + "</p>"


def test_the_stitcher_holds_back_only_until_it_can_tell() -> None:
    long_page = PAGE.replace("<h1>", "<h1>" + "x" * HOLD)
    cut = long_page.index("x" * 50)
    stitcher = Stitcher(long_page[:cut])
    continuation = long_page[long_page.index("  <h1>") :]
    published = [stitcher.feed(continuation[i : i + 50]) for i in range(0, len(continuation), 50)]
    published.append(stitcher.finish())
    assert published[0] == ""  # held back
    assert long_page[:cut] + "".join(published) == long_page
    assert stitcher.finish() == ""


def test_a_short_continuation_is_decided_when_it_ends() -> None:
    cut = PAGE.index("ton>", PAGE.index("reset"))
    line = PAGE.rindex("\n", 0, cut) + 1
    stitcher = Stitcher(PAGE[:cut])
    assert stitcher.feed(PAGE[line : line + 20]) == ""
    assert stitcher.feed(PAGE[line + 20 :]) == ""
    assert PAGE[:cut] + stitcher.finish() == PAGE
