"""The difference between two versions' pages, line by line, with the changed parts of lines marked.

Python's difflib does the work on the server, so every client (the editor's
Diff view, scripts through the API) gets the same hunks.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

CONTEXT = 3  # unchanged lines shown around each change
SIMILAR = 0.5  # a changed line this similar to the line it replaces gets its changed characters marked


@dataclass
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"old_start": self.old_start, "old_count": self.old_count, "new_start": self.new_start, "new_count": self.new_count, "lines": self.lines}


def diff_pages(old: str, new: str, context: int = CONTEXT) -> dict[str, Any]:
    """`{"added", "removed", "hunks": [{..., "lines": [{"op", "old", "new", "text", "marks"}]}]}`.

    `op` is " " (unchanged), "-" (only in the old page) or "+" (only in the new
    one); `old` and `new` are line numbers from 1; `marks` are [start, end)
    character ranges of the line that changed.
    """
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks = []
    added = removed = 0
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        hunk = Hunk(first[1] + 1, last[2] - first[1], first[3] + 1, last[4] - first[3])
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                hunk.lines += [_line(" ", i + 1, j + 1, a[i]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
                continue
            removed += i2 - i1
            added += j2 - j1
            olds = [_line("-", i + 1, None, a[i]) for i in range(i1, i2)]
            news = [_line("+", None, j + 1, b[j]) for j in range(j1, j2)]
            if tag == "replace":
                for old_line, new_line in zip(olds, news, strict=False):
                    _mark(old_line, new_line)
            hunk.lines += olds + news
        hunks.append(hunk.to_json())
    return {"added": added, "removed": removed, "hunks": hunks}


def _line(op: str, old: int | None, new: int | None, text: str) -> dict[str, Any]:
    return {"op": op, "old": old, "new": new, "text": text, "marks": []}


def _mark(old_line: dict[str, Any], new_line: dict[str, Any]) -> None:
    """Mark the characters that differ between a line and the line that replaced it."""
    matcher = difflib.SequenceMatcher(None, old_line["text"], new_line["text"], autojunk=False)
    if matcher.ratio() < SIMILAR:
        return
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete") and i2 > i1:
            old_line["marks"].append([i1, i2])
        if tag in ("replace", "insert") and j2 > j1:
            new_line["marks"].append([j1, j2])
