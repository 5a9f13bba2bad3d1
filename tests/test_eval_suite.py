"""Eval suite files: the built-in suite, the format, and files with mistakes refused with the line and what is wrong."""

from __future__ import annotations

import json

import httpx
import pytest

from app.errors import InvalidSuite
from app.evals import builtin_suites, load_builtin, parse_suite, summarize, table, wilson

GOOD = """
name = "mine"

[[prompt]]
id = "tip"
prompt = "A tip calculator"
steps = [{ fill = "#bill", value = "100" }, { click = "#go" }, { press = "#bill", key = "Enter" }, { select = "#unit", value = "km" }]
expect = [{ selector = "#out", contains = "15" }, { selector = "li", count = 2 }, { selector = "#x", matches = "^\\\\d+$" }, { selector = "h1", equals = "Hi" }, { no_problems = true }]
"""


def test_the_built_in_suite_has_twenty_everyday_prompts_with_checks() -> None:
    assert "everyday" in builtin_suites()
    suite = load_builtin("everyday")
    assert len(suite.prompts) >= 20
    assert all(p.expect and p.prompt for p in suite.prompts)
    assert {"tip", "todo", "csv-table", "chart", "guess-game", "stopwatch", "json-formatter"} <= {p.id for p in suite.prompts}


def test_a_suite_reads_as_written() -> None:
    suite = parse_suite(GOOD)
    (prompt,) = suite.prompts
    assert suite.name == "mine"
    assert [(s.action, s.selector, s.value) for s in prompt.steps] == [("fill", "#bill", "100"), ("click", "#go", ""), ("press", "#bill", "Enter"), ("select", "#unit", "km")]
    assert [(e.kind, e.selector, e.value) for e in prompt.expect] == [("contains", "#out", "15"), ("count", "li", "2"), ("matches", "#x", "^\\d+$"), ("equals", "h1", "Hi"), ("no_problems", "", "")]
    assert type(suite).from_json(suite.to_json()) == suite


HEAD = 'name = "s"\n\n[[prompt]]\nid = "a"\nprompt = "p"\nexpect = [{ no_problems = true }]\n\n[[prompt]]\n'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("name = 'x'\n[[prompt]\n", "not valid TOML"),
        ('name = "s"\n', "no prompts"),
        ('colour = "red"\n[[prompt]]\nid="a"\nprompt="p"\nexpect=[{no_problems=true}]\n', "unknown keys ['colour']"),
        (HEAD + 'id = "a"\nprompt = "q"\nexpect = [{ no_problems = true }]\n', "line 8: the id 'a' is used twice"),
        (HEAD + 'id = "b"\nprompt = ""\nexpect = [{ no_problems = true }]\n', "line 8 (prompt “b”): prompt must be non-empty text"),
        (HEAD + 'id = "b"\nprompt = "q"\nexpect = []\n', "line 8 (prompt “b”): expect must list at least one"),
        (HEAD + 'id = "b"\nprompt = "q"\nsteps = [{ tap = "#x" }]\nexpect = [{ no_problems = true }]\n', "line 8 (prompt “b”), step 1: a step has exactly one of fill, click, press, select"),
        (HEAD + 'id = "b"\nprompt = "q"\nsteps = [{ fill = "#x" }]\nexpect = [{ no_problems = true }]\n', "step 1: fill's value must be text"),
        (HEAD + 'id = "b"\nprompt = "q"\nsteps = [{ click = "#x", value = "1" }]\nexpect = [{ no_problems = true }]\n', "click takes click; remove ['value']"),
        (HEAD + 'id = "b"\nprompt = "q"\nexpect = [{ selector = "li", count = -1 }]\n', "expectation 1: count must be a whole number"),
        (HEAD + 'id = "b"\nprompt = "q"\nexpect = [{ selector = "li", matches = "(" }]\n', "matches is not a regular expression"),
        (HEAD + 'id = "b"\nprompt = "q"\nexpect = [{ selector = "li", contains = "x", equals = "y" }]\n', "expectation 1: an expectation has a selector and one of"),
        (HEAD + 'id = "b c"\nprompt = "q"\nexpect = [{ no_problems = true }]\n', "line 8: id must be a short word"),
        ("name = 'a\x00'\n", "NUL"),
    ],
)
def test_a_suite_with_mistakes_is_refused_with_the_line_and_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidSuite) as refused:
        parse_suite(text)
    assert says in refused.value.message


def test_pass_rates_carry_a_wilson_interval() -> None:
    low, high = wilson(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)  # the textbook values for 8 of 10
    assert wilson(0, 0) == (0.0, 1.0)
    rows = summarize([{"model": "demo", "passed": True, "problems": [], "input_tokens": 5, "output_tokens": 7, "duration_ms": 1000}, {"model": "demo", "passed": False, "problems": [{}], "duration_ms": 500}], ["demo", "other"])
    assert [(r["model"], r["runs"], r["passed"], r["pass_rate"], r["problems"], r["output_tokens"]) for r in rows] == [("demo", 2, 1, 0.5, 1, 7), ("other", 0, 0, None, 0, 0)]
    printed = table(rows)
    assert "demo" in printed and "1/2" in printed and "50% (9%–91%)" in printed


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"suite_toml": "[[prompt]\n"}, "invalid_suite"),
        ({"suite": "nonexistent"}, "invalid_suite"),
        ({"suite": 5}, "invalid_suite"),
        ({"suite": "everyday", "models": "demo"}, "bad_request"),
        ({"suite": "everyday", "models": ["demo"], "repeat": 0}, "bad_request"),
        ({"suite": "everyday", "models": ["demo"], "repeat": 10**30}, "bad_request"),
        ({"suite": "everyday", "models": ["demo"], "repeat": True}, "bad_request"),
        ({"suite": "everyday", "models": ["nobody:model"]}, "unknown_model"),
        # NUL and lone surrogates are refused with every body, before the route reads it.
        ({"suite": "everyday", "models": ["nobody:model\ud800"]}, "invalid_json"),
        ({"suite_toml": "name = 'x\x00'"}, "invalid_json"),
    ],
)
async def test_bad_eval_requests_are_refused_and_write_nothing(client: httpx.AsyncClient, body: dict, code: str) -> None:
    response = await client.post("/api/evals", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert (await client.get("/api/evals")).json()["evals"] == []
