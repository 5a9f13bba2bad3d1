"""Eval suites: TOML files of tool prompts, each with the steps a person takes and what they must see.

docs/evals.md describes the format. A file with mistakes is refused whole, with the line of the
prompt (or of the TOML error) and what is wrong, before anything runs.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.checks import Action, Expectation
from app.errors import InvalidSuite

SUITES_DIR = Path(__file__).with_name("suites")
ACTIONS = ("fill", "click", "press", "select")
TEXT_EXPECTATIONS = ("contains", "matches", "equals")
MAX_PROMPTS = 200
MAX_STEPS = 30
MAX_TEXT = 2_000
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class SuitePrompt:
    id: str
    prompt: str
    steps: list[Action] = field(default_factory=list)
    expect: list[Expectation] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": self.prompt,
            "steps": [{"action": s.action, "selector": s.selector, "value": s.value} for s in self.steps],
            "expect": [{"kind": e.kind, "selector": e.selector, "value": e.value} for e in self.expect],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SuitePrompt:
        return cls(data["id"], data["prompt"], [Action(**s) for s in data["steps"]], [Expectation(**e) for e in data["expect"]])


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    prompts: list[SuitePrompt]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "prompts": [p.to_json() for p in self.prompts]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Suite:
        return cls(data["name"], data.get("description", ""), [SuitePrompt.from_json(p) for p in data["prompts"]])


def builtin_suites() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.toml"))


def load_builtin(name: str) -> Suite:
    if name not in builtin_suites():
        raise InvalidSuite(f"There is no built-in suite {name[:60]!r}: use one of {', '.join(builtin_suites())}, or give a suite file of your own.")
    return parse_suite((SUITES_DIR / f"{name}.toml").read_text(encoding="utf-8"), name)


def parse_suite(text: object, default_name: str = "suite") -> Suite:
    """A suite from the text of its TOML file; InvalidSuite names the line and what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidSuite("The suite is empty: give the text of a TOML file with one [[prompt]] block per prompt (docs/evals.md).")
    if "\x00" in text or len(text) > 1_000_000:
        raise InvalidSuite("The suite file must be text of at most 1,000,000 characters, without NUL bytes.")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidSuite(f"The suite is not valid TOML: {exc}. Fix that line and try again.") from None
    headers = [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[prompt]]")]
    unknown = set(data) - {"name", "description", "prompt"}
    if unknown:
        raise InvalidSuite(f"The suite has unknown keys {sorted(unknown)}: a suite has name, description and [[prompt]] blocks.")
    name = data.get("name", default_name)
    description = data.get("description", "")
    if not isinstance(name, str) or not _ID.match(name) or not isinstance(description, str) or len(description) > MAX_TEXT:
        raise InvalidSuite("The suite's name must be a short word (letters, digits, - _ .) and its description text.")
    raw = data.get("prompt")
    if not isinstance(raw, list) or not raw:
        raise InvalidSuite("The suite has no prompts: add [[prompt]] blocks with id, prompt, steps and expect.")
    if len(raw) > MAX_PROMPTS:
        raise InvalidSuite(f"The suite has {len(raw)} prompts; at most {MAX_PROMPTS} run in one suite.")
    prompts: list[SuitePrompt] = []
    for n, block in enumerate(raw):
        where = f"line {headers[n]}" if n < len(headers) else f"prompt {n + 1}"
        prompt = _prompt(block, where)
        if any(p.id == prompt.id for p in prompts):
            raise InvalidSuite(f"{where}: the id {prompt.id!r} is used twice; give each prompt an id of its own.")
        prompts.append(prompt)
    return Suite(name, description, prompts)


def _text(value: object, what: str, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise InvalidSuite(f"{where}: {what} must be {'text' if empty else 'non-empty text'}.")
    if len(value) > MAX_TEXT or "\x00" in value:
        raise InvalidSuite(f"{where}: {what} must be at most {MAX_TEXT} characters, without NUL bytes.")
    return value


def _prompt(block: object, where: str) -> SuitePrompt:
    if not isinstance(block, dict):
        raise InvalidSuite(f"{where}: a prompt is a [[prompt]] table with id, prompt, steps and expect.")
    unknown = set(block) - {"id", "prompt", "steps", "expect"}
    if unknown:
        raise InvalidSuite(f"{where}: unknown keys {sorted(unknown)}; a prompt has id, prompt, steps and expect.")
    ident = block.get("id")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise InvalidSuite(f"{where}: id must be a short word (letters, digits, - _ .), such as \"tip-calculator\".")
    where = f"{where} (prompt “{ident}”)"
    text = _text(block.get("prompt"), "prompt", where)
    steps = block.get("steps", [])
    expect = block.get("expect", [])
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        raise InvalidSuite(f"{where}: steps must be a list of at most {MAX_STEPS} steps.")
    if not isinstance(expect, list) or not expect or len(expect) > MAX_STEPS:
        raise InvalidSuite(f"{where}: expect must list at least one expectation (and at most {MAX_STEPS}), such as {{ selector = \"#total\", contains = \"42\" }}.")
    return SuitePrompt(ident, text, [_step(s, f"{where}, step {i}") for i, s in enumerate(steps, 1)], [_expectation(e, f"{where}, expectation {i}") for i, e in enumerate(expect, 1)])


def _step(step: object, where: str) -> Action:
    if not isinstance(step, dict):
        raise InvalidSuite(f"{where}: a step is a table such as {{ fill = \"#bill\", value = \"100\" }}.")
    actions = [a for a in ACTIONS if a in step]
    if len(actions) != 1:
        raise InvalidSuite(f"{where}: a step has exactly one of {', '.join(ACTIONS)} (the element's selector); it has {sorted(step) or 'none'}.")
    action = actions[0]
    allowed = {action, {"fill": "value", "select": "value", "press": "key"}.get(action, "")}
    if set(step) - allowed:
        raise InvalidSuite(f"{where}: {action} takes {' and '.join(sorted(a for a in allowed if a))}; remove {sorted(set(step) - allowed)}.")
    selector = _text(step[action], f"the selector of {action}", where)
    value = ""
    if action in ("fill", "select"):
        value = _text(step.get("value"), f"{action}'s value", where, empty=action == "fill")
    elif action == "press":
        value = _text(step.get("key"), "press's key (such as \"Enter\")", where)
    return Action(action, selector, value)


def _expectation(item: object, where: str) -> Expectation:
    if not isinstance(item, dict):
        raise InvalidSuite(f"{where}: an expectation is a table such as {{ selector = \"#total\", contains = \"42\" }}.")
    if item == {"no_problems": True}:
        return Expectation("no_problems")
    kinds = [k for k in (*TEXT_EXPECTATIONS, "count") if k in item]
    if len(kinds) != 1 or set(item) != {"selector", kinds[0]}:
        raise InvalidSuite(f"{where}: an expectation has a selector and one of contains, matches, equals or count, or is {{ no_problems = true }}.")
    kind = kinds[0]
    selector = _text(item["selector"], "selector", where)
    if kind == "count":
        count = item["count"]
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100_000:
            raise InvalidSuite(f"{where}: count must be a whole number from 0 to 100000.")
        return Expectation("count", selector, str(count))
    value = _text(item[kind], kind, where, empty=kind != "matches")
    if kind == "matches":
        try:
            re.compile(value)
        except re.error as exc:
            raise InvalidSuite(f"{where}: matches is not a regular expression ({exc}).") from None
    return Expectation(kind, selector, value)
