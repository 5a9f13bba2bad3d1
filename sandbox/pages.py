"""Finished pages as the sandbox host serves them, prepared once: CDN links rewritten, bridge injected, encoded, with an ETag.

A finished version never changes, so the work of serving it (sandbox/cdn.py's rewriting and
sandbox/bridge.py's injection over the whole page) is done the first time and kept. Pages are
kept by sandbox token for `fresh_seconds` after the store last confirmed the version: within
that time a signed address is answered without asking the store, which is what lets the
sandbox host serve a stored page nearly as fast as a bare app returning the same bytes. That
is no longer than the browser itself may keep the page (its signed address is cached
privately for an hour), so a deleted app disappears at the latest when it would have anyway.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ServedPage:
    """One version's page, exactly as sent."""

    version_id: str
    body: bytes
    etag: str  # quoted, as the ETag header carries it


class PageCache:
    """Served pages by sandbox token, least recently used dropped first past `max_bytes`."""

    def __init__(self, render: Callable[[str], str], *, fresh_seconds: float = 60.0, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._render = render
        self._fresh = fresh_seconds
        self._max_bytes = max_bytes
        self._bytes = 0
        self._pages: OrderedDict[str, tuple[ServedPage, float]] = OrderedDict()

    def fresh(self, token: str) -> ServedPage | None:
        """The page at `token` if the store confirmed it less than `fresh_seconds` ago."""
        entry = self._pages.get(token)
        if entry is None or time.monotonic() - entry[1] > self._fresh:
            return None
        self._pages.move_to_end(token)
        return entry[0]

    def page(self, token: str, version_id: str, html: str) -> ServedPage:
        """The served page of a finished version the store just returned; prepared only the first time."""
        entry = self._pages.pop(token, None)
        if entry is not None and entry[0].version_id == version_id:
            page = entry[0]
        else:
            if entry is not None:
                self._bytes -= len(entry[0].body)
            body = self._render(html).encode("utf-8")
            page = ServedPage(version_id, body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')
            self._bytes += len(body)
        self._pages[token] = (page, time.monotonic())
        while self._bytes > self._max_bytes and len(self._pages) > 1:
            _, (dropped, _) = self._pages.popitem(last=False)
            self._bytes -= len(dropped.body)
        return page


def not_modified(if_none_match: str, etag: str) -> bool:
    """Whether a request's If-None-Match names `etag` (or is `*`)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return etag in tags or "*" in tags
