"""A version's two kinds of address on the sandbox host, and the key each carries.

A page alone lives at `/v/{token}?exp=…&sig=…` (the owner's signed preview) or
`/v/{token}?share=…` (a share link's frame). A page with files of its own (an imported folder
or zip) lives at its **folder address**, `/v/{token}/{key}/`, with the same key in the path:
`p.{exp}.{sig}` or `s.{share}`. Relative names then resolve beside it, so the file `app.js` is
`/v/{token}/{key}/app.js`, and every request for a file carries the key that opened the page:
a file is served exactly as long as its page is, and to no one else (sandbox/server.py).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sandbox.headers import PAGES_PATH

_KEY = re.compile(r"^(?:p\.(?P<exp>[0-9]{1,20})\.(?P<sig>[A-Za-z0-9_-]{1,100})|s\.(?P<share>[A-Za-z0-9_-]{1,100}))$")
_KEYED = ("exp", "sig", "share")


def key_query(key: str) -> dict[str, str] | None:
    """The key of a folder address as the query of a page address carries it; None: not a key."""
    match = _KEY.match(key)
    if match is None:
        return None
    return {name: value for name, value in match.groupdict().items() if value is not None}


def folder_url(page_url: str) -> str:
    """The folder address of a page address (`…/v/{token}?exp=…&sig=…` or `?share=…`): the key
    moves into the path, any other parameters stay in the query."""
    parts = urlsplit(page_url)
    query = dict(parse_qsl(parts.query))
    key = f"s.{query['share']}" if "share" in query else f"p.{query['exp']}.{query['sig']}"
    rest = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k not in _KEYED])
    return urlunsplit(parts._replace(path=f"{parts.path}/{key}/", query=rest))


def folder_of(path: str) -> str | None:
    """`/v/{token}/{key}/` for a path at or under a folder address; None for any other path."""
    if not path.startswith(PAGES_PATH):
        return None
    parts = path[len(PAGES_PATH) :].split("/", 2)
    if len(parts) < 3 or not parts[0] or key_query(parts[1]) is None:
        return None
    return f"{PAGES_PATH}{parts[0]}/{parts[1]}/"
