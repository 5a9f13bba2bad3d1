"""The part of the page a follow-up is about: a range of its code, or an element picked in the preview.

The editor sends it with the follow-up (`selection`); the model gets the part
itself, quoted from the page, and is asked to make the change there.
"""

from __future__ import annotations

from typing import Any

from app.errors import BadRequest

MAX_SELECTOR = 500
MAX_TAG = 40
MAX_TEXT = 300
MAX_HTML = 4_000


def check_selection(raw: object, page: str | None) -> dict[str, Any] | None:
    """The selection of a follow-up, checked against the page it selects from; None when there is none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise BadRequest("“selection” must be an object: {\"kind\": \"code\", \"start_line\": 3, \"end_line\": 9} or {\"kind\": \"element\", \"selector\": \"#total\"}.")
    if page is None:
        raise BadRequest("There is no page to select from yet: send the request without a selection.")
    kind = raw.get("kind")
    if kind == "code":
        count = len(page.splitlines())
        start, end = raw.get("start_line"), raw.get("end_line")
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (start, end)) or not 1 <= start <= end <= count:  # type: ignore[operator]
            raise BadRequest(f"A code selection needs “start_line” and “end_line” between 1 and {count} (the page's lines), start first.")
        return {"kind": "code", "start_line": start, "end_line": end}
    if kind == "element":
        selector = raw.get("selector")
        if not isinstance(selector, str) or not selector.strip():
            raise BadRequest("An element selection needs the element's “selector”.")
        picked: dict[str, Any] = {"kind": "element", "selector": _cut(selector.strip(), MAX_SELECTOR)}
        for name, limit in (("tag", MAX_TAG), ("text", MAX_TEXT), ("html", MAX_HTML)):
            value = raw.get(name)
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"The element's “{name}” must be a string.")
            if value and value.strip():
                picked[name] = _cut(" ".join(value.split()) if name == "text" else value.strip(), limit)
        return picked
    raise BadRequest("A selection's “kind” is “code” (a range of lines) or “element” (picked in the preview).")


def describe_selection(selection: dict[str, Any], page: str) -> str:
    """The paragraph that tells the model which part the request is about."""
    if selection["kind"] == "code":
        start, end = selection["start_line"], selection["end_line"]
        lines = "\n".join(page.splitlines()[start - 1 : end])
        where = f"line {start}" if start == end else f"lines {start}–{end}"
        return (
            f"The request is about {where} of the current page, which the person selected. Make the change there, "
            f"and elsewhere only as far as the change needs:\n\n```html\n{lines}\n```"
        )
    what = f"a <{selection['tag']}>" if selection.get("tag") else "an element"
    text = f" showing “{selection['text']}”" if selection.get("text") else ""
    html = f":\n\n```html\n{selection['html']}\n```" if selection.get("html") else "."
    return (
        f"The request is about {what}{text} that the person picked in the preview, at the CSS selector "
        f"`{selection['selector']}`{html}\n\nMake the change to it, and elsewhere only as far as the change needs."
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
