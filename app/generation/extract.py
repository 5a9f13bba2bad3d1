"""Find the HTML page in whatever a model answered.

Models wrap the page in prose, fence it with or without a language, forget the
doctype, or stop mid-page at the token limit. `extract_page` copes with each and
says whether the page is whole; it never calls a cut-off page complete.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.generation.edits import apply_edits, has_edit_blocks, parse_edits

# An opening fence (``` or ~~~, optional info string) on its own line.
_FENCE_OPEN = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n", re.MULTILINE)
_DOC_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_HTML_CLOSE = re.compile(r"</html\s*>", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(r"<(?:!doctype|html|head|body|div|main|section|script|style|h1|canvas|svg|table|form|button)[\s>/]", re.IGNORECASE)
_HTML_INFO = {"html", "htm", "xhtml", "html5", "xml", ""}


@dataclass(frozen=True)
class ExtractedPage:
    """The page found in an answer, the prose around it, and whether it is whole."""

    html: str | None
    notes: str
    complete: bool


@dataclass(frozen=True)
class _Block:
    start: int  # where the fence (or document) begins in the answer
    end: int  # where it ends, closing fence included
    body: str
    closed: bool
    info: str


def _fenced_blocks(answer: str) -> list[_Block]:
    blocks = []
    position = 0
    while match := _FENCE_OPEN.search(answer, position):
        fence = match.group("fence")
        body_start = match.end()
        close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.MULTILINE)
        closing = close.search(answer, body_start)
        if closing and _DOC_START.search(answer, body_start, closing.start()) and not _HTML_CLOSE.search(answer, body_start, closing.start()):
            # A fence-like line inside the page (a Markdown sample in a string,
            # say) is not the end of the page when </html> is still to come.
            late_close = _HTML_CLOSE.search(answer, closing.start())
            if late_close:
                closing = close.search(answer, late_close.end())
        if closing:
            blocks.append(_Block(match.start(), closing.end(), answer[body_start : closing.start()], True, match.group("info").strip().lower()))
            position = closing.end()
        else:
            blocks.append(_Block(match.start(), len(answer), answer[body_start:], False, match.group("info").strip().lower()))
            break
    return blocks


def _best_block(answer: str) -> _Block | None:
    candidates = [b for b in _fenced_blocks(answer) if b.info.split(" ")[0] in _HTML_INFO and _LOOKS_LIKE_HTML.search(b.body)]
    if candidates:
        # The page is the block holding a whole document, else the largest.
        return max(candidates, key=lambda b: (bool(_DOC_START.search(b.body)), len(b.body)))
    start = _DOC_START.search(answer)
    if start is None:
        return None
    closes = list(_HTML_CLOSE.finditer(answer, start.start()))
    end = closes[-1].end() if closes else len(answer)
    return _Block(start.start(), end, answer[start.start() : end], bool(closes), "html")


def extract_page(answer: str, *, cut_off: bool = False) -> ExtractedPage:
    """The page in `answer`; `cut_off` says the provider stopped at its token limit."""
    block = _best_block(answer)
    if block is None:
        return ExtractedPage(None, answer.strip(), False)
    html = block.body.strip()
    has_document = bool(_DOC_START.search(html))
    whole = block.closed and (not has_document or bool(_HTML_CLOSE.search(html)))
    if not re.match(r"<!doctype", html, re.IGNORECASE):
        html = "<!DOCTYPE html>\n" + html
    notes = re.sub(r"\n{3,}", "\n\n", answer[: block.start] + "\n" + answer[block.end :]).strip()
    return ExtractedPage(html, notes, whole and not cut_off)


_OPEN_SCRIPT = re.compile(r"<script\b", re.IGNORECASE)
_CLOSE_SCRIPT = re.compile(r"</script\s*>", re.IGNORECASE)


def partial_page(answer_so_far: str, base: str | None = None) -> str | None:
    """The page as far as it has been written, for the live preview.

    A script whose end has not arrived yet is dropped: running half a script
    only produces errors that the finished page will not have. An answer in edit
    blocks to a `base` page previews as that page with the blocks finished so
    far applied (or as it was, while they do not fit yet).
    """
    if base is not None and has_edit_blocks(answer_so_far):
        parsed = parse_edits(answer_so_far)
        return apply_edits(base, parsed.edits).html or base if parsed.edits else base
    page = extract_page(answer_so_far).html
    if page is None:
        return None
    opens = [m.start() for m in _OPEN_SCRIPT.finditer(page)]
    if opens and len(opens) > len(_CLOSE_SCRIPT.findall(page)):
        page = page[: opens[-1]]
    # A tag still being written ("<butt") would be painted as text: stop before it.
    last_open = page.rfind("<")
    if last_open > page.rfind(">"):
        page = page[:last_open]
    return page
