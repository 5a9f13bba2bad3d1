"""Which other files a page, script or stylesheet names by relative path, and how each is served.

Pages made elsewhere name their files in many ways: `<script src>`, `<link href>`, `srcset`,
CSS `url()` and `@import`, `fetch("data.json")`, `import "./lib.js"`,
`new URL("lib.wasm", import.meta.url)`. Rather than parse each language, every string a file
holds (quoted, an attribute value, a `url()`) is a candidate, and a candidate counts only when
it names a file that is really there: a word in a script is never mistaken for a file.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from html.parser import HTMLParser
from urllib.parse import unquote

_QUOTED = re.compile(r""""([^"\n]{0,1000})"|'([^'\n]{0,1000})'|`([^`]{0,1000})`""")
_UNQUOTED_ATTR = re.compile(r"""=\s*([^\s"'`=<>]+)""")
_CSS_URL = re.compile(r"""url\(\s*([^)'"\s]+)\s*\)""", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_SEPARATORS = re.compile(r"[\s,]+")
_LOOKS_LIKE_FILE = re.compile(r"\.[A-Za-z0-9]{1,8}$")

# Files whose text is read for more names.
SCANNED = (".html", ".htm", ".js", ".mjs", ".cjs", ".css", ".json")
# The types browsers insist on (module scripts, instantiateStreaming, stylesheets under nosniff)
# do not depend on the platform's mimetypes tables.
_TYPES = {
    ".js": "text/javascript", ".mjs": "text/javascript", ".cjs": "text/javascript", ".css": "text/css",
    ".json": "application/json", ".map": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml",
    ".txt": "text/plain", ".csv": "text/csv", ".md": "text/markdown", ".xml": "application/xml",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".avif": "image/avif", ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf",
    ".otf": "font/otf", ".mp3": "audio/mpeg", ".wav": "audio/wav", ".ogg": "audio/ogg", ".mp4": "video/mp4", ".webm": "video/webm",
}  # fmt: skip
_TEXT = ("text/", "application/json", "application/xml", "image/svg+xml")


def content_type(path: str, data: bytes) -> str:
    """The Content-Type a file is served with; text that is UTF-8 says so."""
    suffix = posixpath.splitext(path)[1].lower()
    kind = _TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith(_TEXT):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return kind
        return kind + "; charset=utf-8"
    return kind


class _Attributes(HTMLParser):
    """Every attribute value of a page, as a browser reads it: quotes inside script or prose cannot
    pair up wrongly with those of attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for _, value in attrs:
            if value:
                self.values.add(value)
                self.values.update(_SEPARATORS.split(value))


def _candidates(text: str, page: bool) -> set[str]:
    """Every string of `text` that could be a relative address: quoted strings (and each of their
    words, for `srcset` and `import x from "./a.js"`), attribute values, CSS `url()`s."""
    found: set[str] = set()
    if page:
        attributes = _Attributes()
        attributes.feed(text)
        attributes.close()
        found |= attributes.values
    for match in _QUOTED.finditer(text):
        value = next(group for group in match.groups() if group is not None)
        found.add(value)
        found.update(_SEPARATORS.split(value))
    found.update(_UNQUOTED_ATTR.findall(text))
    found.update(_CSS_URL.findall(text))
    return found


def relative_names(text: str, base_dir: str, *, page: bool = False) -> tuple[set[str], set[str]]:
    """The paths, from the root of the page's folder, that `text` (a file in `base_dir`; `page`: an
    HTML page) names, and the file-like addresses it names that lead out of that folder (`../`, `/…`)."""
    inside: set[str] = set()
    outside: set[str] = set()
    for raw in _candidates(text, page):
        value = raw.strip().split("#", 1)[0].split("?", 1)[0]
        if not value or _SCHEME.match(value) or "${" in value or "\\" in value or "\x00" in value:
            continue
        value = unquote(value)
        if value.startswith("/"):
            if _LOOKS_LIKE_FILE.search(value) and not value.startswith("//"):
                outside.add(raw.strip())
            continue
        path = posixpath.normpath(posixpath.join(base_dir, value))
        if path == ".." or path.startswith("../"):
            if _LOOKS_LIKE_FILE.search(value):
                outside.add(raw.strip())
            continue
        if path != "." and _LOOKS_LIKE_FILE.search(path):
            inside.add(path)
    return inside, outside
