"""The runtime bridge: a script put first into every page the sandbox host serves.

It tells the editor what the running app does wrong (errors, unhandled rejections,
`console.error`, CSP violations), its content height, answers pings, reports the element
a person picks, and gives apps a `localStorage`, `sessionStorage` and `document.cookie`
where the opaque origin refuses them: the storage filled from the frame's name and each
change sent back, so the page around keeps it ("Saved data" in docs/bridge.md). docs/bridge.md has the protocol;
`static/bridge-host.js` is the editor's side, which trusts nothing the frame says.

Messages, frame → editor, posted to the editor's exact origin:

    {"source": "toolsmith-bridge", "v": 1, "type": ...}
    ready {} · error {message, filename, line, column, stack} · rejection {message, stack}
    console-error {message} · csp-violation {directive, blockedURI, line, column, sourceFile, sample}
    height {height} · pong {nonce} · picked {selector, tag, text, html} · pick-cancel {}
    storage {area, items}

editor → frame: {"source": "toolsmith-host", "v": 1, "type": "ping", "nonce"} and
{"source": "toolsmith-host", "v": 1, "type": "pick-mode", "on": bool}.

The script goes in as one line, so every line of the page keeps its number and the
lines an error names are the lines of the version's code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from sandbox.headers import origin_of

SCRIPT = Path(__file__).with_name("bridge.js")

_SPACE = " \t\n\r\f"


@lru_cache(maxsize=1)
def bridge_code() -> str:
    """bridge.js on one line: its comment lines dropped, its lines joined by spaces."""
    lines = [line.strip() for line in SCRIPT.read_text(encoding="utf-8").splitlines()]
    code = " ".join(line for line in lines if line and not line.startswith("//"))
    # Inside a <script> element, "</script" would end it and "<!--" changes how it is read.
    for bad in ("</script", "<!--", "/*", "\n", "\r"):
        if bad in code.lower():
            raise RuntimeError(f"{SCRIPT} cannot be inlined: it contains {bad!r}")
    if not code.isascii():
        raise RuntimeError(f"{SCRIPT} cannot be inlined: write non-ASCII characters as \\u escapes")
    return code


def bridge_tag(host_origin: str | None, line: int = 1, column: int = 0) -> str:
    """The <script> element, told where it sits (line, UTF-16 column) and its own length.
    With no `host_origin` it posts nothing, and only stands in for storage and cookies."""
    code = bridge_code()
    origin = json.dumps(host_origin).replace("<", "\\u003c")  # a string that cannot end the script
    length = 0
    while True:
        tag = f"<script>{code}({origin},{line},{column},{length});</script>"
        if len(tag) == length:
            return tag
        length = len(tag)


def inject_bridge(html: str, host_url: str | None) -> str:
    """The page with the bridge as its first script; nothing else in it changes.
    `host_url`: the editor's, to which it reports; None in a download, which has no editor."""
    at = insertion_point(html)
    before = html[:at].replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    line = before.count("\n") + 1
    column = len(before[before.rfind("\n") + 1 :].encode("utf-16-le")) // 2
    return html[:at] + bridge_tag(origin_of(host_url) if host_url else None, line, column) + html[at:]


def insertion_point(html: str) -> int:
    """Where a script runs before any of the page's own, without changing the rest of the document.

    Past a byte-order mark, comments, the doctype (a script before it would switch the page to
    quirks mode), `<html>` and the blank space the parser would drop there (after the script it
    would become text), and, if there is one, just inside `<head>`. The scan follows the HTML
    tokenizer for exactly these tokens and stops at anything else: a page's scripts or text
    that mention "<head>" are never reached.
    """
    pos = 1 if html.startswith("\ufeff") else 0
    seen_html = False
    while True:
        while pos < len(html) and html[pos] in _SPACE:
            pos += 1
        if html.startswith("<!--", pos):
            end = _comment_end(html, pos)
        elif html[pos : pos + 9].lower() == "<!doctype" and not seen_html:
            end = _after(html, ">", pos)
        elif html.startswith(("<?", "<!"), pos):
            end = _after(html, ">", pos)  # a bogus comment, such as <?xml ...?>
        elif not seen_html and (end := _start_tag_end(html, pos, "html")) is not None:
            seen_html = True
        else:
            head = _start_tag_end(html, pos, "head")
            return head if head is not None else pos
        if end is None:
            return pos
        pos = end


def _after(html: str, text: str, start: int) -> int | None:
    found = html.find(text, start)
    return None if found < 0 else found + len(text)


def _comment_end(html: str, start: int) -> int | None:
    body = start + 4
    if html.startswith(">", body):  # <!--> and <!---> close at once
        return body + 1
    if html.startswith("->", body):
        return body + 2
    ends = [end for end in (_after(html, "-->", body), _after(html, "--!>", body)) if end is not None]
    return min(ends) if ends else None


def _start_tag_end(html: str, start: int, name: str) -> int | None:
    """The end of a `<name ...>` start tag at `start`, read as the HTML tokenizer reads attributes."""
    pos = start + 1 + len(name)
    if html[start : start + 1] != "<" or html[start + 1 : pos].lower() != name:
        return None
    state = "tag-name"
    while pos < len(html):
        c = html[pos]
        if state == "tag-name":
            if c not in _SPACE + "/>":
                return None  # another tag, such as <header>
            state = "before-name"
            continue
        if state == "before-name":
            if c in "/>":
                state = "after-name"
                continue
            if c not in _SPACE:
                state = "name"  # even "=": here it starts a name
        elif state == "name":
            if c in _SPACE + "/>":
                state = "after-name"
                continue
            if c == "=":
                state = "before-value"
        elif state == "after-name":
            if c == ">":
                return pos + 1
            if c == "=":
                state = "before-value"
            elif c == "/":
                state = "self-closing"
            elif c not in _SPACE:
                state = "name"
        elif state == "before-value":
            if c == ">":
                return pos + 1
            if c in "\"'":
                state = c
            elif c not in _SPACE:
                state = "unquoted"
        elif state in ('"', "'"):
            if c == state:
                state = "after-value"
        elif state == "unquoted":
            if c == ">":
                return pos + 1
            if c in _SPACE:
                state = "before-name"
        else:  # after a quoted value, or after "/"
            if c == ">":
                return pos + 1
            state = "self-closing" if c == "/" else "before-name"
            if c not in _SPACE + "/":
                continue
        pos += 1
    return None
