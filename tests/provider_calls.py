"""Calling a provider in tests: a small request, all its items, or the chunks before its error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from app.errors import ProviderError
from app.generation.providers.base import Message, Provider, Request, StreamItem
from tests.fakes.script import ScriptedFake, chunks, default_page


def request(prompt: str = "Make a timer", *, model: str = "test-model", **options: object) -> Request:
    fields: dict[str, object] = {
        "model": model,
        "system": "You write tools.",
        "messages": [Message("user", prompt)],
        "max_tokens": 1000,
    }
    return Request(**(fields | options))  # type: ignore[arg-type]


async def collect(provider: Provider, req: Request) -> list[StreamItem]:
    return [item async for item in provider.stream(req)]


def arrived(pieces: list[str], fake: ScriptedFake, count: int, prompt: str = "Make a timer") -> bool:
    """Whether `pieces` hold exactly the text of the first `count` chunks the fake streamed of its
    default page. Chunks that come in one read from the network reach the caller as one piece, so
    how many pieces there are depends on timing; the text they carry does not."""
    return "".join(pieces) == "".join(chunks(default_page(prompt), fake.chunk_size)[:count])


async def collect_until_error(provider: Provider, req: Request) -> tuple[list[str], ProviderError]:
    chunks: list[str] = []
    with pytest.raises(ProviderError) as caught:
        async for item in provider.stream(req):
            assert isinstance(item, str)
            chunks.append(item)
    return chunks, caught.value


@asynccontextmanager
async def hanging_up() -> AsyncIterator[str]:
    """The address of a server that takes each connection and closes it at once, before answering:
    a provider restarting, or a proxy turning requests away."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()
