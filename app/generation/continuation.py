"""Joining the continuation of a cut-off answer to the answer it continues.

Asked to go on where they stopped, models mostly do, but some first reopen the
code block, or start again from the beginning of the line (or the few lines)
they were writing. `stitch` drops such a repeat and joins the rest, so the page
reads as if it had been written in one go. A repeat is only recognised from the
start of a line, and when longer than a few characters (or the whole cut line,
re-indented): a continuation that merely happens to begin like the text before
it is kept as it is. `Stitcher` does the same while the
continuation streams in: it holds back the first characters until it can tell.
"""

from __future__ import annotations

import re

HOLD = 400  # characters of a continuation to see before deciding what of it repeats
MIN_OVERLAP = 16  # a shorter repeat of the previous ending may be a coincidence: it is kept
_FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n`]*$", re.MULTILINE)
# A fence with a language ("```html"), perhaps after a line of prose (no code in it), opened anew.
_REOPENED_FENCE = re.compile(r"\A\s*(?:[^\n`<>{};]{0,200}\n\s*)?(?:`{3,}|~{3,})[ \t]*[\w-]+[ \t]*\n")


def _inside_fence(text: str) -> bool:
    return len(_FENCE_LINE.findall(text)) % 2 == 1


def continuation_start(previous: str, continuation: str) -> int:
    """How many characters at the start of `continuation` repeat what `previous` already has."""
    start = 0
    if _inside_fence(previous) and (reopened := _REOPENED_FENCE.match(continuation)):
        start = reopened.end()
    rest = continuation[start:]
    longest = min(len(previous), len(rest), 4000)
    for size in range(longest, MIN_OVERLAP - 1, -1):
        # A repeat begins where a line of the previous part began; a match from mid-line is more likely chance.
        begins_line = size == len(previous) or previous[-size - 1] == "\n"
        if begins_line and previous.endswith(rest[:size]):
            return start + size
    # The line that was cut off, begun again (perhaps indented anew).
    last_line = previous[previous.rfind("\n") + 1 :]
    begun = last_line.lstrip(" \t")
    if len(begun.strip()) >= 3:
        indent = len(rest) - len(rest.lstrip(" \t"))
        if rest[indent:].startswith(begun):
            return start + indent + len(begun)
    return start


def stitch(previous: str, continuation: str) -> str:
    return previous + continuation[continuation_start(previous, continuation) :]


class Stitcher:
    """Joins a streaming continuation to `previous`: feed chunks, publish what comes back."""

    def __init__(self, previous: str) -> None:
        self.previous = previous
        self._held = ""
        self._decided = False

    def feed(self, chunk: str) -> str:
        if self._decided:
            return chunk
        self._held += chunk
        return self._decide() if len(self._held) >= HOLD else ""

    def finish(self) -> str:
        return "" if self._decided else self._decide()

    def _decide(self) -> str:
        self._decided = True
        return self._held[continuation_start(self.previous, self._held) :]
