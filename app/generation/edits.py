"""Edit blocks: a model's targeted changes to the current page, found in its answer and applied.

A follow-up may be answered with search/replace blocks (the format is taught in
`app/prompts/edits-v1.md`) instead of a whole new page:

    <<<<<<< SEARCH
    text copied from the current page
    =======
    the text that replaces it
    >>>>>>> REPLACE

`parse_edits` finds the blocks in an answer; `apply_edits` applies them in
order, each to the page as the earlier ones left it. A block's search text is
looked for exactly first. Only when it is not there may whitespace and line
endings differ (indentation, tabs for spaces, CRLF, blank lines, trailing
spaces); the words and symbols between them must still be the same, in the
same order. A search text found nowhere, or in more than one place, is never
guessed at: the whole set is refused with a reason per block, and the page is
left as it was.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

_SEARCH = re.compile(r"^[ \t]*<{5,9}[ \t]*SEARCH\b.*$")
_DIVIDER = re.compile(r"^[ \t]*={5,9}[ \t]*$")
_REPLACE = re.compile(r"^[ \t]*>{5,9}[ \t]*REPLACE\b.*$")
_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[^`]*$")
_HAS_BLOCK = re.compile(r"^[ \t]*<{5,9}[ \t]*SEARCH\b", re.MULTILINE)
_INDENT = re.compile(r"[ \t]*")


@dataclass(frozen=True)
class Edit:
    """One block: the text to find in the page and the text to put in its place."""

    search: str
    replace: str


@dataclass(frozen=True)
class ParsedEdits:
    """The blocks of an answer, the prose around them, and what was wrong with their form."""

    edits: tuple[Edit, ...]
    notes: str
    problems: tuple[str, ...]
    unfinished: bool  # the answer stops inside a block: it was cut off


@dataclass(frozen=True)
class EditOutcome:
    """The changed page, or None with the reasons the blocks were refused."""

    html: str | None
    applied: int
    tolerant: int  # blocks that matched only once whitespace was allowed to differ
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.html is not None


def has_edit_blocks(answer: str) -> bool:
    """Whether an answer (or the part of it so far) is written as edit blocks."""
    return _HAS_BLOCK.search(answer) is not None


def parse_edits(answer: str) -> ParsedEdits:
    """The blocks in `answer`, in order; code fences around them are ignored."""
    edits: list[Edit] = []
    problems: list[str] = []
    notes: list[str] = []
    state = "outside"  # outside | search | replace
    search: list[str] = []
    replace: list[str] = []

    def number() -> int:
        return len(edits) + len(problems) + 1

    for line in answer.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        if _SEARCH.match(bare):
            if state != "outside":
                problems.append(f"Block {number()} is not finished: a new <<<<<<< SEARCH begins before its {'=======' if state == 'search' else '>>>>>>> REPLACE'} line.")
            state, search, replace = "search", [], []
        elif state == "search" and _DIVIDER.match(bare):
            state = "replace"
        elif state == "search" and _REPLACE.match(bare):
            problems.append(f"Block {number()} has no ======= line between its SEARCH and REPLACE parts.")
            state = "outside"
        elif state == "replace" and _REPLACE.match(bare):
            edits.append(Edit(_block_text(search), _block_text(replace)))
            state = "outside"
        elif state == "search":
            search.append(line)
        elif state == "replace":
            replace.append(line)
        elif not _FENCE.match(bare):
            notes.append(line)
    unfinished = state != "outside"
    if unfinished:
        problems.append(f"Block {number()} stops before its {'=======' if state == 'search' else '>>>>>>> REPLACE'} line.")
    text = re.sub(r"\n{3,}", "\n\n", "".join(notes)).strip()
    return ParsedEdits(tuple(edits), text, tuple(problems), unfinished)


def _block_text(lines: list[str]) -> str:
    # The line break before a marker belongs to the format, not to the text.
    text = "".join(lines)
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def apply_edits(page: str, edits: tuple[Edit, ...] | list[Edit]) -> EditOutcome:
    """Apply every block or none: the changed page, or the reason for each block that did not fit."""
    if not edits:
        return EditOutcome(None, 0, 0, ("The answer has no edit blocks.",))
    problems: list[str] = []
    tolerant = 0
    for i, edit in enumerate(edits, 1):
        result = _apply_one(page, edit)
        if isinstance(result, str):
            problems.append(f"Block {i} ({_preview(edit.search)}): {result}")
            continue
        page, was_tolerant = result
        tolerant += was_tolerant
    if problems:
        return EditOutcome(None, 0, 0, tuple(problems))
    return EditOutcome(page, len(edits), tolerant, ())


def edit_page(page: str, answer: str) -> EditOutcome:
    """Parse `answer` and apply its blocks to `page`; a malformed block refuses them all."""
    parsed = parse_edits(answer)
    if parsed.problems:
        return EditOutcome(None, 0, 0, parsed.problems)
    return apply_edits(page, parsed.edits)


def _preview(text: str, limit: int = 60) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return "empty SEARCH"
    return "“" + (first if len(first) <= limit else first[: limit - 1] + "…") + "”"


def _apply_one(page: str, edit: Edit) -> tuple[str, bool] | str:
    """The page with one block applied and whether it needed the tolerant match, or why it cannot be."""
    if not edit.search.strip():
        return "its SEARCH part is empty; it must copy the lines to change from the current page."
    newline = _newline_of(page)
    exact = _find_all(page, edit.search)
    if len(exact) > 1:
        return f"its SEARCH text matches {len(exact)} places in the page; include more surrounding lines so it matches one."
    if len(exact) == 1:
        start, end = exact[0], exact[0] + len(edit.search)
        return _splice(page, start, end, _with_newline(edit.replace, newline)), False
    spans = _find_tolerant(page, edit.search)
    if len(spans) > 1:
        return f"its SEARCH text matches {len(spans)} places in the page (ignoring whitespace); include more surrounding lines so it matches one."
    if not spans:
        return "its SEARCH text matches nowhere in the page, even ignoring whitespace; copy the lines exactly from the current page."
    start, end = spans[0]
    line_start = page.rfind("\n", 0, start) + 1
    line_end = _line_end(page, end)
    if page[line_start:start].strip() or page[end:line_end].strip():
        # Part of a line: put the replacement in as written.
        return _splice(page, start, end, _with_newline(edit.replace, newline)), True
    replacement = _reindent(page[line_start:line_end], edit.search, edit.replace)
    return _splice(page, line_start, line_end, _with_newline(replacement, newline)), True


def _find_all(page: str, text: str) -> list[int]:
    """Every position of `text` in `page`, overlapping ones included."""
    found = []
    position = page.find(text)
    while position != -1:
        found.append(position)
        position = page.find(text, position + 1)
    return found


def _find_tolerant(page: str, search: str) -> list[tuple[int, int]]:
    """Spans of `page` holding the words of `search` with any whitespace between them.

    Matches begin and end at whitespace (or the ends of the page), so a search
    for whole lines never matches inside a longer word.
    """
    words = search.split()
    pattern = r"\s+".join(re.escape(word) for word in words)
    matcher = re.compile(rf"(?=(?<!\S)({pattern})(?!\S))")
    return [(m.start(1), m.end(1)) for m in matcher.finditer(page)]


def _line_end(page: str, position: int) -> int:
    end = page.find("\n", position)
    if end == -1:
        return len(page)
    return end - 1 if end > 0 and page[end - 1] == "\r" else end


def _splice(page: str, start: int, end: int, replacement: str) -> str:
    if replacement == "" and (start == 0 or page[start - 1] == "\n") and page[end : end + 1] in ("\r", "\n", ""):
        # Deleting whole lines takes their line break too, so no blank line is left behind.
        if page.startswith("\r\n", end):
            end += 2
        elif page.startswith("\n", end):
            end += 1
        elif start > 0:
            start -= 2 if page[start - 2 : start] == "\r\n" else 1
    return page[:start] + replacement + page[end:]


def _newline_of(page: str) -> str:
    crlf = page.count("\r\n")
    return "\r\n" if crlf and crlf >= page.count("\n") - crlf else "\n"


def _with_newline(text: str, newline: str) -> str:
    text = text.replace("\r\n", "\n")
    return text if newline == "\n" else text.replace("\n", newline)


def _reindent(found: str, search: str, replace: str) -> str:
    """The replacement, its indentation translated the way the page's differs from the search's.

    When the search was written with spaces and the page uses tabs, or at
    another depth, the lines of the search and of the page found for it say how
    indentation translates; the replacement's lines are translated the same way.
    """
    page_lines = [line for line in found.replace("\r\n", "\n").split("\n") if line.strip()]
    search_lines = [line for line in search.replace("\r\n", "\n").split("\n") if line.strip()]
    pairs: dict[str, str] = {}
    if len(page_lines) == len(search_lines):
        for page_line, search_line in zip(page_lines, search_lines, strict=True):
            if pairs.setdefault(_indent(search_line), _indent(page_line)) != _indent(page_line):
                pairs = {}  # no consistent translation: keep the replacement as written
                break
    elif page_lines and search_lines:
        pairs = {_indent(search_lines[0]): _indent(page_lines[0])}
    text = replace.replace("\r\n", "\n")
    if all(k == v for k, v in pairs.items()):
        return text
    translate = _translation(pairs)
    return "\n".join(translate(_indent(line)) + line[len(_indent(line)) :] if line.strip() else line for line in text.split("\n"))


def _translation(pairs: dict[str, str]) -> Callable[[str], str]:
    """How any indentation translates, given how the search's indentations map to the page's."""
    # The page is the search shifted by a fixed prefix (the block sits deeper, or shallower).
    shallowest = min(pairs, key=len)
    shifted = pairs[shallowest]
    if shifted.endswith(shallowest):
        extra = shifted[: len(shifted) - len(shallowest)]
        if all(v == extra + k for k, v in pairs.items()):
            return lambda indent: extra + indent
    if shallowest.endswith(shifted):
        cut = shallowest[: len(shallowest) - len(shifted)]
        if all(k == cut + v for k, v in pairs.items()):
            return lambda indent: indent[len(cut) :] if indent.startswith(cut) else indent
    # One unit of the search's indentation is one unit of the page's (four spaces, one tab).
    units = [(k, v) for k, v in pairs.items() if k and v]
    if units:
        unit_from, unit_to = min(units, key=lambda kv: len(kv[0]))
        steps = {k: _steps(k, unit_from) for k in pairs}
        if all(n is not None and pairs[k] == unit_to * n for k, n in steps.items()):

            def by_unit(indent: str) -> str:
                n = _steps(indent, unit_from)
                return indent if n is None else unit_to * n

            return by_unit
    keys = sorted(pairs, key=len, reverse=True)

    def by_prefix(indent: str) -> str:
        prefix = next((k for k in keys if indent.startswith(k)), None)
        return indent if prefix is None else pairs[prefix] + indent[len(prefix) :]

    return by_prefix


def _steps(indent: str, unit: str) -> int | None:
    """How many times `indent` repeats `unit`, or None if it is not a whole number of them."""
    n, rest = divmod(len(indent), len(unit))
    return n if not rest and indent == unit * n else None


def _indent(line: str) -> str:
    match = _INDENT.match(line)
    return match.group(0) if match else ""


def format_edits(edits: list[Edit] | tuple[Edit, ...]) -> str:
    """Edit blocks as a model writes them (the format of app/prompts/edits-v1.md)."""
    return "".join(
        f"<<<<<<< SEARCH\n{e.search}\n=======\n{e.replace + chr(10) if e.replace else ''}>>>>>>> REPLACE\n" for e in edits
    )


def edits_between(old: str, new: str) -> list[Edit] | None:
    """Edit blocks that turn page `old` into page `new`, each searching for just enough lines to be unique.

    This is how the offline demo answers a follow-up in edit blocks, and how
    bench/ writes the edit answer for a change. None when the blocks would not
    reproduce `new` exactly (a page that differs only in its last line break).
    """
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    current = list(a)
    shift = 0  # lines added (or removed, if negative) above the next change by the blocks so far
    edits: list[Edit] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = i1 + shift, i2 + shift
        before = after = 0
        while True:
            lines = current[start - before : end + after]
            search = _block_text(lines)
            if search.strip() and len(_find_all("".join(current), search)) == 1:
                break
            if start - before == 0 and end + after == len(current):
                break  # the whole page: unique by definition
            if end + after < len(current) and (after <= before or start - before == 0):
                after += 1
            else:
                before += 1
        replacement = current[start - before : start] + b[j1:j2] + current[end : end + after]
        edits.append(Edit(search, _block_text(replacement)))
        current[start - before : end + after] = replacement
        shift += (j2 - j1) - (i2 - i1)
    result = apply_edits(old, edits) if edits else None
    if not edits or result is None or result.html != new:
        return None
    return edits
