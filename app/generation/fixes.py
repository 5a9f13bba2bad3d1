"""Runtime errors a page reported, checked and bounded before a fix carries them to the model.

The editor learns of them from the sandbox's runtime bridge and sends them
with a fix (`POST /api/apps/{id}/versions` with `errors`). They come from a page
a model wrote, so they are untrusted text: each field is checked and cut to
size, repeats are dropped, and only the first few go to the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from app.errors import BadRequest

MAX_ERRORS = 50  # entries one request may carry
MAX_TO_MODEL = 10  # distinct errors put to the model; the rest are counted
MAX_MESSAGE = 1_000
MAX_STACK = 3_000
MAX_FILENAME = 300
KINDS = {
    "error": "Uncaught error",
    "rejection": "Unhandled promise rejection",
    "console-error": "console.error",
    "csp-violation": "Blocked by the sandbox's Content-Security-Policy (the page may not load anything from the network)",
    "blocked": "Stopped by the sandbox",
}
# What the sandbox stopped (the bridge's `action`, docs/bridge.md), and what the page may do instead.
INSTEAD = {
    "navigation": "Keep the app on its one page: show other views inside it (hide and show sections) instead of links to other pages or addresses.",
    "popup": "Do not open windows or tabs: show the content inside the page, for example in a <dialog> or a panel.",
    "form": "Handle the form in the page: a submit handler that calls event.preventDefault() and uses the values; nothing can be sent to a server.",
    "download": "Save only files the page makes itself: a Blob or data: URL in <a download>; nothing can be fetched from elsewhere.",
    "file-too-big": "Keep files the page saves under 20 MB.",
    "dialog": "Ask with confirm() or prompt() only from a click or key press, or ask with the page's own controls.",
    "dialog-loop": "Open one dialog at a time, only in answer to what the person does.",
    "storage": "Keep data in localStorage or in memory; other storage APIs are unavailable.",
    "package": "Use only Python's standard library with Pyodide: no package (numpy, pandas, micropip...) can be loaded; write the code in plain Python or in JavaScript.",
}
CSP_INSTEAD = "Inline what the page needs, or use one of the offered libraries at its exact address; nothing else can be loaded."


@dataclass(frozen=True)
class PageError:
    """One error the running page reported."""

    kind: str
    message: str
    line: int | None = None
    column: int | None = None
    stack: str | None = None
    filename: str | None = None
    action: str | None = None  # what the sandbox stopped, for kind "blocked"

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def check_errors(raw: object) -> list[PageError]:
    """The errors of a fix request, checked, cut to size and without repeats."""
    if not isinstance(raw, list) or not raw:
        raise BadRequest("“errors” must be a list of the page's errors, each like {\"message\": \"TypeError: …\", \"line\": 12}.")
    if len(raw) > MAX_ERRORS:
        raise BadRequest(f"“errors” has {len(raw)} entries; send at most {MAX_ERRORS}.")
    errors: list[PageError] = []
    seen: set[tuple[object, ...]] = set()
    for i, entry in enumerate(raw):
        error = _check_one(entry, i)
        key = (error.kind, error.message, error.line, error.column)
        if key not in seen:
            seen.add(key)
            errors.append(error)
    return errors


def _check_one(entry: object, i: int) -> PageError:
    if not isinstance(entry, Mapping):
        raise BadRequest(f"errors[{i}] must be an object such as {{\"message\": \"TypeError: …\", \"line\": 12}}.")
    message = entry.get("message")
    if not isinstance(message, str) or not message.strip():
        raise BadRequest(f"errors[{i}] needs a “message”: the text of the error.")
    kind = entry.get("kind", "error")
    if not isinstance(kind, str) or kind not in KINDS:
        raise BadRequest(f"errors[{i}] has the kind {str(kind)[:40]!r}; use one of {', '.join(KINDS)}.")
    numbers = {}
    for name in ("line", "column"):
        value = entry.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise BadRequest(f"errors[{i}].{name} must be a whole number (or left out).")
        numbers[name] = value
    texts = {}
    for name, limit in (("stack", MAX_STACK), ("filename", MAX_FILENAME)):
        value = entry.get(name)
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"errors[{i}].{name} must be a string (or left out).")
        texts[name] = _cut(value, limit) if value and value.strip() else None
    action = entry.get("action")
    if action is not None and (kind != "blocked" or not isinstance(action, str) or action not in INSTEAD):
        raise BadRequest(f"errors[{i}].action goes only with the kind “blocked”, as one of {', '.join(INSTEAD)} (or left out).")
    message = _cut(message.strip(), MAX_MESSAGE)
    return PageError(str(kind), message, numbers["line"], numbers["column"], texts["stack"], texts["filename"], action if isinstance(action, str) else None)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_errors(errors: Sequence[PageError], page: str | None) -> str:
    """The errors as the model reads them: numbered, with the page's own line where one is given."""
    lines = page.splitlines() if page else []
    parts = []
    for n, error in enumerate(errors[:MAX_TO_MODEL], 1):
        where = ""
        if error.line is not None:
            where = f" (line {error.line}" + (f", column {error.column}" if error.column is not None else "") + ")"
        part = [f"{n}. {KINDS[error.kind]}: {error.message}{where}"]
        if error.line is not None and 1 <= error.line <= len(lines) and lines[error.line - 1].strip():
            part.append(f"   Line {error.line} of the page: {lines[error.line - 1].strip()[:300]}")
        if error.kind == "blocked" or error.kind == "csp-violation":
            part.append("   Instead: " + (INSTEAD[error.action] if error.action else CSP_INSTEAD))
        if error.stack:
            stack = "\n".join("     " + s.strip() for s in error.stack.strip().splitlines()[:8])
            part.append("   Stack:\n" + stack)
        parts.append("\n".join(part))
    if len(errors) > MAX_TO_MODEL:
        parts.append(f"…and {len(errors) - MAX_TO_MODEL} more errors.")
    return "\n".join(parts)


def fix_title(errors: Sequence[PageError], note: str | None) -> str:
    """What the version records as the person's request: the errors in a line, and their own words."""
    first = errors[0].message.splitlines()[0]
    first = first if len(first) <= 140 else first[:139] + "…"
    title = f"Fix: {first}" if len(errors) == 1 else f"Fix {len(errors)} errors: {first}"
    return f"{title}\n\n{note}" if note else title
