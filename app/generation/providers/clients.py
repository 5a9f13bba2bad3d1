"""SDK clients that live as long as the process: one per provider and event loop, with its connections kept open,
on aiohttp's transport.

Building an SDK client costs tens of milliseconds (an SSL context, a connection pool), and a new
client means a new connection (and, to a real provider, a new TLS handshake) for every answer.
A client's pool belongs to the event loop it first ran on, so a process that runs more than one
loop (the tests do) gets one client per loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import aiohttp
import httpx2


class Closable(Protocol):
    async def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


class PerLoop(Generic[C]):
    """The client `make` builds, built once for each event loop that asks for it."""

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, C] = weakref.WeakKeyDictionary()

    def get(self) -> C:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._make()
        return client

    async def close(self) -> None:
        """Close the running loop's client and its connections; the next `get` builds a new one."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()


# An idle connection is let go after this long, before common servers close theirs (uvicorn and
# Node.js after 5 s). aiohttp learns that a kept connection was closed only once the event loop has
# run the close; a loop busy with many streams could otherwise hand a dead one to the next request,
# which would fail at once, and the SDK's retries could find more of them.
KEEPALIVE_SECONDS = 2.0


def http_client(default_aiohttp_client: Callable[..., httpx2.AsyncClient], limits: httpx2.Limits) -> httpx2.AsyncClient:
    """The SDK's own aiohttp-based client (`openai.DefaultAioHttpClient`, `anthropic.DefaultAioHttpClient`)
    with the SDK's own connection `limits` (`DEFAULT_CONNECTION_LIMITS`) but for the keep-alive:
    aiohttp parses HTTP in C, where the SDKs' default transport does it in Python for every chunk
    of every answer, most of the work of relaying many answers at once (docs/benchmarks.md)."""
    kept = httpx2.Limits(max_connections=limits.max_connections, max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=KEEPALIVE_SECONDS)
    return default_aiohttp_client(limits=kept)


def never_connected(exc: BaseException) -> bool:
    """Whether an SDK's "timeout" was a connection that failed without any wait: refused, reset
    or closed by the server before the request was sent.

    The SDKs' aiohttp transport reports every failure to connect or to send as a timeout, and a
    person told "did not answer within 600 seconds" a moment after asking would look in the wrong
    place. aiohttp's own error is kept as the cause; its timeouts are TimeoutErrors.
    """
    seen: BaseException | None = exc
    for _ in range(8):  # the SDK's error, the transport's, aiohttp's, the socket's
        if seen is None or isinstance(seen, TimeoutError):
            return False
        if isinstance(seen, aiohttp.ClientConnectionError | ConnectionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
