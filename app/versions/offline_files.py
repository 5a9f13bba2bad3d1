"""A page's own files (an imported folder's) in the standalone download, which has no sandbox host
to serve them: scripts and stylesheets inlined where the page names them (by download.py, through
`own_lookup`), images as data: URLs, and what scripts fetch (fetch, XHR, WebAssembly's
instantiateStreaming of a fetch) answered from data: URLs by a small script that runs first.
The offline policy already allows data: for each, so nothing new is allowed out.

Names a script builds at run time for anything but fetch and XHR (a module's `import`, a
`new Worker("w.js")`) do not resolve from disk: docs/accounts.md says so.
"""

from __future__ import annotations

import base64
import json
import posixpath
import re
from collections.abc import Callable, Sequence
from urllib.parse import unquote, urlsplit

from app.storage import VersionFile

_MEDIA = re.compile(r"""(<(?:img|source|video|audio|input)\b[^>]*?\b(?:src|poster)\s*=\s*)(["'])([^"']*)\2""", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def _path(name: str) -> str | None:
    parts = urlsplit(name.strip())
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    return posixpath.normpath(unquote(parts.path))


def own_lookup(files: Sequence[VersionFile], fallback: Callable[[str], bytes | None]) -> Callable[[str], bytes | None]:
    """`lookup(name)`: the page's own file a relative name names, else what `fallback` finds."""
    by_path = {f.path: f.data for f in files}

    def lookup(name: str) -> bytes | None:
        path = _path(name)
        if path is not None and path in by_path:
            return by_path[path]
        return fallback(name)

    return lookup


def _data_url(file: VersionFile) -> str:
    return f"data:{file.content_type.split(';')[0]};base64,{base64.b64encode(file.data).decode()}"


def inline_own_files(html: str, files: Sequence[VersionFile]) -> str:
    """Images and media the page names by relative path as data: URLs, and the script that answers
    its fetches of the others, placed first in <head> (before the bridge goes in before it)."""
    if not files:
        return html
    by_path = {f.path: f for f in files}

    def media(match: re.Match[str]) -> str:
        path = _path(match.group(3))
        own = by_path.get(path) if path is not None else None
        return match.group(0) if own is None else f"{match.group(1)}{match.group(2)}{_data_url(own)}{match.group(2)}"

    page = _MEDIA.sub(media, html)
    table = json.dumps({f.path: _data_url(f) for f in files}).replace("</", "<\\/")
    shim = (
        "<script>(function(files){var base=document.baseURI,map={};"
        "for(var k in files)map[new URL(k,base).href]=files[k];"
        "function own(u){try{return map[new URL(String(u),base).href.split('#')[0].split('?')[0]]}catch(e){}}"
        "var f=window.fetch;window.fetch=function(input,init){var d=own(input&&input.url!==undefined?input.url:input);"
        "return d?f.call(this,d,init):f.apply(this,arguments)};"
        "var o=XMLHttpRequest.prototype.open;XMLHttpRequest.prototype.open=function(m,u){var d=own(u);"
        f"if(d)arguments[1]=d;return o.apply(this,arguments)}}}})({table});</script>"
    )
    if head := _HEAD.search(page):
        return page[: head.end()] + shim + page[head.end() :]
    return shim + page
