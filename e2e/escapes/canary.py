"""A canary on loopback, and Chromium's own network log: the two witnesses of the hostile suite.

The canary logs every TCP connection (bare, TLS or HTTP, with the request line) and
every UDP datagram it receives. Each hostile page gets its own port, TCP and UDP, on
127.0.0.1 and ::1, so whatever arrives is put down to the page that sent it, even late.
Chromium is started with host-resolver rules that send every `*.canary.test` name to
`canary.localhost` (loopback, resolved inside Chromium: no DNS packet leaves the
machine), so the pages can name hosts as a real attacker would.

A DNS lookup alone (`<link rel=dns-prefetch>`) sends nothing to any port. Chromium's
NetLog records every host resolution it starts, so `resolutions_of_canary` reads it.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

CANARY_DOMAIN = "canary.test"
CANARY_RESOLVES_TO = "canary.localhost"
HOST_RESOLVER_RULES = f"MAP *.{CANARY_DOMAIN} {CANARY_RESOLVES_TO}, MAP * 127.0.0.1, EXCLUDE localhost"

_HOSTS = ("127.0.0.1", "::1")
_HTTP_METHOD = re.compile(rb"^[A-Z]{3,7} \S+ HTTP/1\.[01]\r\n")
_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nAccess-Control-Allow-Origin: *\r\n"
    b"Content-Length: 6\r\nConnection: close\r\n\r\ncanary"
)


@dataclass(frozen=True)
class Hit:
    """Something that reached the canary on the port of page `name`."""

    name: str
    kind: str  # "tcp" (a connection, whatever it carried), "http", "tls", "udp"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.detail}"


class _TcpLog(asyncio.Protocol):
    def __init__(self, canary: Canary, name: str) -> None:
        self.canary, self.name, self.data = canary, name, b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.canary.record(Hit(self.name, "tcp", f"connection from {transport.get_extra_info('peername')}"))
        asyncio.get_running_loop().call_later(2, transport.close)

    def data_received(self, data: bytes) -> None:
        first = not self.data
        self.data += data
        assert self.transport is not None
        if first and data[:1] == b"\x16":
            self.canary.record(Hit(self.name, "tls", "a TLS handshake"))
        elif _HTTP_METHOD.match(self.data) and b"\r\n\r\n" in self.data:
            head = self.data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            host = next((line for line in head if line.lower().startswith("host:")), "no Host")
            self.canary.record(Hit(self.name, "http", f"{head[0]} ({host})"))
            self.transport.write(_ANSWER)
            self.transport.close()
            self.data = b"\x00"  # answered; log nothing more on this connection


class _UdpLog(asyncio.DatagramProtocol):
    def __init__(self, canary: Canary, name: str) -> None:
        self.canary, self.name = canary, name

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.canary.record(Hit(self.name, "udp", f"{len(data)} bytes from {addr[:2]}"))


class Canary:
    """Listens in a thread of its own; `port(name)` opens (once) the ports of one page."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="canary", daemon=True)
        self._thread.start()
        self._ports: dict[str, int] = {}
        self._closers: list[asyncio.AbstractServer | asyncio.BaseTransport] = []
        self._hits: list[Hit] = []
        self._lock = threading.Lock()

    def record(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def hits(self, name: str | None = None) -> list[Hit]:
        with self._lock:
            return [h for h in self._hits if name is None or h.name == name]

    def port(self, name: str) -> int:
        if name not in self._ports:
            self._ports[name] = asyncio.run_coroutine_threadsafe(self._listen(name), self._loop).result(10)
        return self._ports[name]

    def name_of_host(self, host: str) -> str | None:
        """The page whose port a NetLog host (`http://canary.localhost:PORT`) names, if any."""
        port = host.rsplit(":", 1)[-1]
        return next((name for name, p in self._ports.items() if str(p) == port), None)

    async def _listen(self, name: str) -> int:
        loop = asyncio.get_running_loop()
        for _ in range(50):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
            opened: list[asyncio.AbstractServer | asyncio.BaseTransport] = []
            try:
                for host in _HOSTS:
                    opened.append(await loop.create_server(lambda: _TcpLog(self, name), host, port))
                    transport, _ = await loop.create_datagram_endpoint(lambda: _UdpLog(self, name), local_addr=(host, port))
                    opened.append(transport)
            except OSError:  # taken on ::1 or for UDP: try another
                for item in opened:
                    item.close()
                continue
            self._closers += opened
            return port
        raise RuntimeError("the canary found no port free for TCP and UDP on 127.0.0.1 and ::1")

    def close(self) -> None:
        async def stop() -> None:
            for item in self._closers:
                item.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


_RESOLUTION = re.compile(r'"host":"([^"]*' + re.escape(CANARY_RESOLVES_TO) + r'[^"]*)"')


def resolutions_of_canary(netlog: Path) -> list[str]:
    """Every host resolution of a canary name Chromium has written to its NetLog so far.

    Chromium writes the log in batches while it runs and completes it when it exits.
    The first line holds the command line (with the resolver rules); it is skipped.
    """
    if not netlog.exists():
        return []
    lines = netlog.read_text(errors="replace").splitlines()[1:]
    return sorted({m.group(1) for line in lines for m in _RESOLUTION.finditer(line)})


def netlog_is_complete(netlog: Path) -> bool:
    try:
        json.loads(netlog.read_text(errors="replace"))
    except (OSError, ValueError):
        return False
    return True
