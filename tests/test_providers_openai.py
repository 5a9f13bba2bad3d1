"""OpenAIProvider through the real SDK against the fake Chat Completions API under a real uvicorn."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from collections.abc import Iterator

import pytest

import tests.provider_calls as calls
from app.errors import (
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from app.generation.providers.base import Message, Provider, Request, StreamItem, Usage
from app.generation.providers.openai import OpenAIProvider
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.script import (
    answer,
    cut_off,
    disconnect,
    http_error,
    rate_limited,
    stream_error,
)
from tests.fakes.server import ServerProcess, free_port

TEXT = "Here is your tool.\n```html\n<h1>Hi</h1>\n```\n"


@pytest.fixture(scope="module")
def served() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(delay=0.001)
    with fake.serve():
        yield fake


@pytest.fixture
def fake(served: FakeOpenAI) -> FakeOpenAI:
    """The module's running fake, with an empty script and request log."""
    served.reset()
    return served


def openai_provider(base_url: str | None, *, max_retries: int = 2, timeout: float = 10.0) -> OpenAIProvider:
    return OpenAIProvider(
        name="openai",
        api_key="sk-test",
        base_url=base_url,
        key_env_var="OPENAI_API_KEY",
        max_retries=max_retries,
        timeout=timeout,
    )


def ollama_provider(base_url: str, *, max_retries: int = 2) -> OpenAIProvider:
    """A local OpenAI-compatible server that takes no key."""
    return OpenAIProvider(
        name="ollama", api_key=None, base_url=base_url, key_env_var=None, max_retries=max_retries, timeout=10.0
    )


def request(prompt: str = "Make a timer", **options: object) -> Request:
    return calls.request(prompt, **({"model": "gpt-test"} | options))


collect, collect_until_error = calls.collect, calls.collect_until_error


def text_of(items: list[StreamItem]) -> str:
    return "".join(i for i in items if isinstance(i, str))


def test_satisfies_the_provider_protocol() -> None:
    p = openai_provider(None)
    assert isinstance(p, Provider)
    assert (p.name, p.needs_key, p.key_env_var) == ("openai", True, "OPENAI_API_KEY")
    local = ollama_provider("http://127.0.0.1:11434/v1")
    assert (local.name, local.needs_key, local.key_env_var) == ("ollama", False, None)


async def test_streams_chunks_in_order_then_one_usage(fake: FakeOpenAI) -> None:
    fake.script(answer(TEXT, chunk_size=5, input_tokens=42, output_tokens=17))
    items = await collect(openai_provider(f"{fake.url}/v1"), request())
    chunks, usage = items[:-1], items[-1]
    assert all(isinstance(c, str) for c in chunks)
    assert len(chunks) == len(TEXT) // 5 + 1
    assert "".join(chunks) == TEXT  # type: ignore[arg-type]
    assert usage == Usage(input_tokens=42, output_tokens=17, stop_reason="end")


async def test_default_answer_is_a_page_echoing_the_prompt(fake: FakeOpenAI) -> None:
    items = await collect(openai_provider(f"{fake.url}/v1"), request("Count <clicks>"))
    assert "<h1>Count &lt;clicks&gt;</h1>" in text_of(items) and "```html" in text_of(items)


async def test_request_body_for_openai(fake: FakeOpenAI) -> None:
    history = [Message("user", "A timer"), Message("assistant", "<html>v1</html>"), Message("user", "Add a reset")]
    await collect(openai_provider(f"{fake.url}/v1"), request(messages=history, max_tokens=1234, temperature=0.3))
    [sent] = fake.requests
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == "Bearer sk-test"
    body = sent["json"]
    assert body["model"] == "gpt-test"
    assert body["messages"] == [{"role": "system", "content": "You write tools."}] + [
        {"role": m.role, "content": m.content} for m in history
    ]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_completion_tokens"] == 1234 and "max_tokens" not in body
    assert body["temperature"] == 0.3


async def test_compatible_endpoint_without_key_or_usage() -> None:
    fake = FakeOpenAI(delay=0.001, usage=False)  # like servers that never report usage
    with fake.serve():
        items = await collect(ollama_provider(f"{fake.url}/v1"), request(max_tokens=555))
    assert "</html>" in text_of(items)
    assert items[-1] == Usage(input_tokens=None, output_tokens=None, stop_reason="end")
    body = fake.requests[0]["json"]
    assert body["max_tokens"] == 555 and "max_completion_tokens" not in body
    assert "temperature" not in body
    assert fake.requests[0]["headers"]["authorization"] == "Bearer not-needed"


async def test_base_url_without_v1_is_honoured(fake: FakeOpenAI) -> None:
    await collect(ollama_provider(fake.url), request())
    assert fake.requests[0]["path"] == "/chat/completions"


async def test_cut_off_by_the_token_limit(fake: FakeOpenAI) -> None:
    fake.script(cut_off())
    items = await collect(openai_provider(f"{fake.url}/v1"), request(max_tokens=321))
    usage = items[-1]
    assert isinstance(usage, Usage) and usage.stop_reason == "max_tokens" and usage.output_tokens == 321
    assert "</html>" not in text_of(items)


async def test_rate_limit_is_retried_then_reported(fake: FakeOpenAI) -> None:
    fake.script(rate_limited(times=3, retry_after="0.01"))
    with pytest.raises(ProviderRateLimited, match="OpenAI is rate limiting requests: wait a minute"):
        await collect(openai_provider(f"{fake.url}/v1", max_retries=2), request())
    assert len(fake.requests) == 3  # the first try and max_retries retries
    assert [r["headers"]["x-stainless-retry-count"] for r in fake.requests] == ["0", "1", "2"]


async def test_rate_limit_that_clears_up_is_invisible(fake: FakeOpenAI) -> None:
    fake.script(rate_limited(retry_after="0.01"), answer(TEXT))
    items = await collect(openai_provider(f"{fake.url}/v1"), request())
    assert text_of(items) == TEXT and len(fake.requests) == 2


async def test_out_of_quota_is_a_rejection(fake: FakeOpenAI) -> None:
    quota = "You exceeded your current quota, please check your plan and billing details."
    fake.script(
        http_error(429, quota, error_type="insufficient_quota", code="insufficient_quota", retry_after="0.01", times=3)
    )
    with pytest.raises(ProviderRejected, match="out of quota"):
        await collect(openai_provider(f"{fake.url}/v1"), request())


async def test_bad_key_names_the_variable(fake: FakeOpenAI) -> None:
    fake.script(http_error(401))
    with pytest.raises(ProviderRejected, match="OPENAI_API_KEY") as caught:
        await collect(openai_provider(f"{fake.url}/v1"), request())
    assert "Incorrect API key" in caught.value.message
    assert len(fake.requests) == 1


async def test_keyless_endpoint_asked_for_a_key_says_how_to_configure_one(fake: FakeOpenAI) -> None:
    fake.script(http_error(401))
    with pytest.raises(ProviderRejected, match=r"ollama.*key_env for \[endpoints.ollama\]"):
        await collect(ollama_provider(f"{fake.url}/v1"), request())


async def test_unknown_model_passes_on_the_providers_message(fake: FakeOpenAI) -> None:
    fake.script(http_error(404))
    with pytest.raises(ProviderRejected, match="The model `gpt-nope` does not exist"):
        await collect(openai_provider(f"{fake.url}/v1"), request(model="gpt-nope"))


async def test_error_chunk_in_the_middle_of_the_stream(fake: FakeOpenAI) -> None:
    fake.script(stream_error(after_chunks=3, message="The server had an error while processing your request."))
    chunks, error = await collect_until_error(openai_provider(f"{fake.url}/v1"), request())
    assert calls.arrived(chunks, fake, 3)
    assert "in the middle of the answer" in error.message and "server had an error" in error.message
    assert len(fake.requests) == 1


async def test_connection_dropped_in_the_middle_of_the_stream(fake: FakeOpenAI) -> None:
    fake.script(disconnect(after_chunks=2))
    chunks, error = await collect_until_error(openai_provider(f"{fake.url}/v1"), request())
    assert calls.arrived(chunks, fake, 2)
    assert isinstance(error, ProviderUnavailable)


async def test_slow_stream_times_out(fake: FakeOpenAI) -> None:
    fake.script(answer(TEXT, delay=2.0))
    slow = openai_provider(f"{fake.url}/v1", max_retries=0, timeout=0.3)
    chunks, error = await collect_until_error(slow, request())
    assert chunks == []
    assert isinstance(error, ProviderUnavailable) and "0.3 seconds" in error.message


async def test_nothing_listening_asks_whether_the_server_runs() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ProviderUnavailable, match=f"Could not reach ollama at {url}: is the server running?"):
        await collect(ollama_provider(url, max_retries=0), request())


async def test_a_server_that_hangs_up_is_not_called_slow() -> None:
    """A connection closed before any answer fails at once; the person is not told to wait longer."""
    async with calls.hanging_up() as base:
        with pytest.raises(ProviderUnavailable, match=f"Could not reach ollama at {base}/v1: is the server running?"):
            await collect(ollama_provider(f"{base}/v1", max_retries=1), request())


async def test_standalone_fake_in_a_subprocess_is_scripted_over_http() -> None:
    with ServerProcess.module("tests.fakes.openai_server", "--delay", "0") as server:
        steps = json.dumps({"steps": [{"kind": "cut_off", "text": "half a pa"}]}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{server.url}/_fake/script", data=steps, method="POST")).close()
        items = await collect(ollama_provider(f"{server.url}/v1"), request("Hello"))
        with urllib.request.urlopen(f"{server.url}/_fake/requests") as response:
            seen = json.loads(response.read())
    assert text_of(items) == "half a pa"
    assert isinstance(items[-1], Usage) and items[-1].stop_reason == "max_tokens"
    assert seen[0]["json"]["messages"][-1] == {"role": "user", "content": "Hello"}


async def test_no_key_names_the_variable_before_any_request(fake: FakeOpenAI) -> None:
    keyless = OpenAIProvider(
        name="openrouter",
        api_key=None,
        base_url=f"{fake.url}/v1",
        key_env_var="OPENROUTER_API_KEY",
        max_retries=0,
        timeout=1.0,
    )
    with pytest.raises(ProviderRejected, match="No key for openrouter: set OPENROUTER_API_KEY"):
        await collect(keyless, request())
    assert fake.requests == []


async def _serve_in_pieces(pieces: list[bytes]) -> tuple[asyncio.Server, str]:
    """A Chat Completions server whose streamed body is written in exactly these pieces, each
    flushed apart: the reader must join what the network splits anywhere."""

    async def answer_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in pieces:
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.02)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_request, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/v1"


async def test_chunks_split_anywhere_by_the_network_are_read_whole() -> None:
    def event(payload: dict[str, object], end: str = "\n\n") -> str:
        return "data: " + json.dumps(payload, ensure_ascii=False) + end

    def content(text: str) -> dict[str, object]:
        return {"choices": [{"index": 0, "delta": {"content": text}}]}

    body = (
        event(content("Prix: 5 €"))
        + event(content(" ✓ line\u2028separator kept"), "\r\n\r\n")  # CRLF endings; U+2028 inside a JSON string
        + event(content(" done"), "\r\r")  # CR endings
        + event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        + event({"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}})
        + "data: [DONE]\n\n"
    ).encode()
    # Cut inside "€" (3 bytes), between a CR and its LF, and inside "data:".
    euro = body.index("€".encode()) + 1
    crlf = body.index(b"\r\n") + 1
    cuts = sorted({euro, crlf, body.index(b"data", crlf) + 2, len(body) - 3})
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    server, base_url = await _serve_in_pieces(pieces)
    try:
        items = await calls.collect(openai_provider(base_url, max_retries=0), calls.request())
    finally:
        server.close()
        await server.wait_closed()
    text = "".join(item for item in items if isinstance(item, str))
    assert text == "Prix: 5 € ✓ line\u2028separator kept done"
    assert items[-1] == Usage(3, 4, "end")


async def test_chunks_that_arrive_together_go_on_as_one_piece() -> None:
    body = "".join(
        "data: " + json.dumps({"choices": [{"index": 0, "delta": {"content": word}}]}) + "\n\n" for word in ("one ", "two ", "three")
    ) + "data: " + json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}) + "\n\ndata: [DONE]\n\n"
    server, base_url = await _serve_in_pieces([body.encode()])
    try:
        items = await calls.collect(openai_provider(base_url, max_retries=0), calls.request())
    finally:
        server.close()
        await server.wait_closed()
    assert items == ["one two three", Usage(None, None, "end")]
