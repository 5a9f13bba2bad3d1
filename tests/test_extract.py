from __future__ import annotations

import pytest

from app.generation.extract import extract_page, partial_page

DOC = "<!DOCTYPE html>\n<html lang=en><head><title>T</title></head><body><h1>Hi</h1></body></html>"


@pytest.mark.parametrize(
    "answer",
    [
        f"```html\n{DOC}\n```",
        f"Here is your tool:\n\n```html\n{DOC}\n```\n\nEnjoy!",
        f"```HTML\n{DOC}\n```",
        f"```\n{DOC}\n```",
        f"~~~html\n{DOC}\n~~~",
        f"````html\n{DOC}\n````",
        DOC,
        f"Sure! {DOC} Hope it helps.",
        f"Some prose\n```css\nbody{{}}\n```\n```html\n{DOC}\n```",
    ],
)
def test_finds_the_whole_page_in_any_wrapping(answer: str) -> None:
    page = extract_page(answer)
    assert page.html == DOC
    assert page.complete


def test_prose_around_the_page_becomes_notes() -> None:
    page = extract_page(f"I built a greeter.\n```html\n{DOC}\n```\nTry the button.")
    assert page.notes == "I built a greeter.\n\nTry the button."


def test_missing_doctype_is_added() -> None:
    page = extract_page("```html\n<html><body><p>x</p></body></html>\n```")
    assert page.html == "<!DOCTYPE html>\n<html><body><p>x</p></body></html>"
    assert page.complete


def test_a_fragment_in_a_fence_is_a_page() -> None:
    page = extract_page("```html\n<div>hello</div>\n<script>1</script>\n```")
    assert page.html is not None and page.html.startswith("<!DOCTYPE html>\n<div>hello</div>")
    assert page.complete


def test_unclosed_fence_is_incomplete() -> None:
    page = extract_page("Here:\n```html\n<!DOCTYPE html><html><body><script>let x = 1")
    assert page.html == "<!DOCTYPE html><html><body><script>let x = 1"
    assert not page.complete


def test_document_without_closing_html_is_incomplete() -> None:
    page = extract_page("<!DOCTYPE html><html><body><h1>half")
    assert page.html is not None and not page.complete


def test_cut_off_by_token_limit_is_never_complete() -> None:
    page = extract_page(f"```html\n{DOC}\n```", cut_off=True)
    assert page.html == DOC
    assert not page.complete


def test_fence_lines_inside_the_page_do_not_end_it() -> None:
    doc = "<!DOCTYPE html><html><body><textarea>\n```js\ncode\n```\n</textarea></body></html>"
    page = extract_page(f"```html\n{doc}\n```\nDone.")
    assert page.html == doc
    assert page.notes == "Done."
    assert page.complete


def test_the_whole_document_wins_over_a_snippet() -> None:
    page = extract_page(f"First a snippet:\n```html\n<button>x</button>\n```\nThen the page:\n```html\n{DOC}\n```")
    assert page.html == DOC


def test_no_page_at_all() -> None:
    page = extract_page("I cannot help with that.")
    assert page.html is None
    assert page.notes == "I cannot help with that."
    assert not page.complete


def test_partial_page_drops_an_unfinished_script() -> None:
    partial = partial_page("```html\n<!DOCTYPE html><html><body><h1>Tip</h1><script>function a(){")
    assert partial == "<!DOCTYPE html><html><body><h1>Tip</h1>"


def test_partial_page_keeps_finished_scripts() -> None:
    partial = partial_page("```html\n<!DOCTYPE html><html><body><script>a()</script><p>more")
    assert partial == "<!DOCTYPE html><html><body><script>a()</script><p>more"


def test_partial_page_stops_before_a_tag_still_being_written() -> None:
    """No stray "<butt" painted as text while the tag arrives."""
    assert partial_page("```html\n<!DOCTYPE html><html><body><h1>Tip</h1><butt") == "<!DOCTYPE html><html><body><h1>Tip</h1>"
    assert partial_page("```html\n<!DOCTYPE html><html><body><p>1 &lt; 2</p><") == "<!DOCTYPE html><html><body><p>1 &lt; 2</p>"


def test_partial_page_before_any_html() -> None:
    assert partial_page("Let me build that") is None


def test_the_preview_of_edit_blocks_is_the_base_page_with_the_finished_blocks_applied() -> None:
    from app.generation.extract import partial_page

    base = "<!DOCTYPE html>\n<html><body>\n<h1>Old</h1>\n<p>Keep</p>\n</body></html>"
    first = "Renaming.\n<<<<<<< SEARCH\n<h1>Old</h1>\n=======\n<h1>New</h1>\n>>>>>>> REPLACE\n"
    assert partial_page("Renaming.\n", base) == base or partial_page("Renaming.\n", base) is None
    assert partial_page(first[:30], base) == base
    assert partial_page(first, base) == base.replace("Old", "New")
    assert partial_page(first + "<<<<<<< SEARCH\n<p>Keep</p>\n===", base) == base.replace("Old", "New")
    assert partial_page(first + "<<<<<<< SEARCH\n<p>Gone</p>\n=======\n>>>>>>> REPLACE\n", base) == base
