"""The Host header allow-list, against DNS rebinding.

A page on an attacker's domain can make its name resolve to 127.0.0.1 and then
talk to a Toolsmith on localhost as if it were its own origin. The browser still
sends the attacker's name as Host, so answering only to our own names stops it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send


def _split(host: str) -> tuple[str, int | None]:
    """("name", port or None) of "name", "name:port", "[::1]" or "[::1]:port"."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, sep, port = host.rpartition(":")
        if not sep or not (port.isascii() and port.isdigit()):
            name, port = host, ""
    return name.rstrip("."), int(port) if (port.isascii() and port.isdigit()) else None


def hosts_of(urls: Iterable[str], extra: Iterable[str] = ()) -> tuple[tuple[str, int | None], ...]:
    """The allow-list: the host (and port) of each URL, then each extra `host` or `host:port`."""
    entries = []
    for url in urls:
        parts = urlsplit(url)
        if parts.hostname:
            entries.append((parts.hostname.lower(), parts.port))
    entries += [_split(h) for h in extra if h.strip()]
    return tuple(entries)


def host_allowed(header: str, allowed: tuple[tuple[str, int | None], ...]) -> bool:
    name, port = _split(header)
    return bool(name) and any(name == a_name and (a_port is None or port is None or port == a_port) for a_name, a_port in allowed)


class HostCheck:
    """Refuses, with 400, any request whose Host header is not on the list."""

    def __init__(self, app: ASGIApp, allowed: tuple[tuple[str, int | None], ...], setting: str) -> None:
        self.app = app
        self.allowed = allowed
        self.setting = setting  # named in the refusal: how to allow another name
        # Host headers already found allowed, as sent: the check is on every request's path.
        self._passed: set[bytes] = set()

    def allows(self, raw: bytes) -> bool:
        """Whether a request whose (last) Host header is `raw` goes on."""
        if raw in self._passed:
            return True
        if host_allowed(raw.decode("latin-1"), self.allowed):
            if len(self._passed) < 64:  # the few names a deployment answers to
                self._passed.add(raw)
            return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = b""
        for name, value in scope.get("headers", []):
            if name == b"host":
                raw = value  # the last one, if a client sends several
        if self.allows(raw):
            await self.app(scope, receive, send)
            return
        host = raw.decode("latin-1")
        message = f"Toolsmith does not answer to the host name {host[:100]!r}. Open it at its own address, or add the name to {self.setting}."
        body = json.dumps({"error": {"code": "bad_host", "message": message}}).encode()
        await send({"type": "http.response.start", "status": 400, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})
