"""The event loop that the long-running commands (`serve`, `worker`) run on.

uvloop, where it is installed (every platform but Windows), runs the same asyncio code with its
sockets, timers and scheduling in C: under many streams at once the loop itself, not Toolsmith's
code, is most of the work, and uvloop does it in a fraction of the time. Elsewhere the standard
loop runs everything the same way, only slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
