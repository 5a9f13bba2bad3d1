"""Edit blocks: parsing, the corpus of applications (tests/edit_corpus.py), and their reasons for refusing."""

from __future__ import annotations

import pytest

from app.generation.edits import Edit, apply_edits, edit_page, has_edit_blocks, parse_edits
from tests.edit_corpus import CASES, PAGE, Case, answer, block


def test_the_corpus_is_large_and_varied() -> None:
    assert len(CASES) >= 40
    names = " ".join(c.name for c in CASES)
    for kind in ("exact", "drift", "CRLF", "tabs", "several", "matching twice", "matching nowhere", "script", "style", "delete"):
        assert kind in names, kind
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case(case: Case) -> None:
    outcome = edit_page(case.page, case.answer)
    if case.expected is not None:
        assert outcome.problems == ()
        assert outcome.html == case.expected
        assert outcome.applied == len(parse_edits(case.answer).edits)
        assert outcome.tolerant == case.tolerant
    else:
        assert outcome.html is None
        assert outcome.applied == 0
        assert any(case.refused in problem for problem in outcome.problems), outcome.problems


def test_a_refusal_names_each_bad_block_and_keeps_going() -> None:
    outcome = edit_page(PAGE, answer(block("<h2>a</h2>", "x"), block("<h1>Counter</h1>", "<h1>ok</h1>"), block("class=\"button\"", "y")))
    assert outcome.html is None
    assert [p.split(" (")[0] for p in outcome.problems] == ["Block 1", "Block 3"]
    assert "“<h2>a</h2>”" in outcome.problems[0]
    assert "matches 2 places" in outcome.problems[1]


def test_parsing_keeps_the_prose_and_drops_the_fences() -> None:
    parsed = parse_edits("I renamed it.\n\n```html\n" + block("<h1>a</h1>", "<h1>b</h1>") + "```\n\nThat is all.")
    assert parsed.edits == (Edit("<h1>a</h1>", "<h1>b</h1>"),)
    assert parsed.notes == "I renamed it.\n\nThat is all."
    assert (parsed.problems, parsed.unfinished) == ((), False)


def test_an_answer_cut_off_inside_a_block_is_unfinished() -> None:
    parsed = parse_edits(block("<h1>a</h1>", "<h1>b</h1>") + "<<<<<<< SEARCH\n<p>")
    assert parsed.unfinished
    assert len(parsed.edits) == 1
    assert "Block 2 stops" in parsed.problems[0]


def test_a_search_and_replace_keep_their_inner_blank_lines() -> None:
    parsed = parse_edits(block("a\n\nb", "c\n\n\nd"))
    assert parsed.edits == (Edit("a\n\nb", "c\n\n\nd"),)


def test_detecting_edit_answers() -> None:
    assert has_edit_blocks("Sure.\n<<<<<<< SEARCH\n")
    assert has_edit_blocks("```\n  <<<<<<< SEARCH\nx")
    assert not has_edit_blocks("```html\n<!DOCTYPE html><p><<<<<<< not a block</p>\n```")
    assert not has_edit_blocks("<!DOCTYPE html>\n<html></html>")


def test_no_blocks_is_a_refusal() -> None:
    assert apply_edits(PAGE, []).problems == ("The answer has no edit blocks.",)
    assert edit_page(PAGE, "Just prose.").html is None
