"""SDK clients that live as long as the process: one per provider and event loop, with its connections kept open.

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
