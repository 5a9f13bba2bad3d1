"""AnthropicProvider through the real SDK against the fake Messages API under a real uvicorn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import tests.provider_calls as calls
from app.errors import (
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from app.generation.providers.anthropic import AnthropicProvider
from app.generation.providers.base import Message, Provider, Request, Usage
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.script import (
    answer,
    cut_off,
    disconnect,
    http_error,
    rate_limited,
    stream_error,
)
from tests.fakes.server import free_port

TEXT = "Here is your tool.\n```html\n<h1>Hi</h1>\n```\n"


@pytest.fixture(scope="module")
def served() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(delay=0.001)
    with fake.serve():
        yield fake


@pytest.fixture
def fake(served: FakeAnthropic) -> FakeAnthropic:
    """The module's running fake, with an empty script and request log."""
    served.reset()
    return served


def provider(base_url: str | None, *, max_retries: int = 2, timeout: float = 10.0) -> AnthropicProvider:
    return AnthropicProvider(api_key="sk-ant-test", base_url=base_url, max_retries=max_retries, timeout=timeout)


def request(prompt: str = "Make a timer", **options: object) -> Request:
    return calls.request(prompt, **({"model": "claude-test"} | options))


collect, collect_until_error = calls.collect, calls.collect_until_error


def test_satisfies_the_provider_protocol() -> None:
    p = provider(None)
    assert isinstance(p, Provider)
    assert (p.name, p.needs_key, p.key_env_var) == ("anthropic", True, "ANTHROPIC_API_KEY")


async def test_streams_chunks_in_order_then_one_usage(fake: FakeAnthropic) -> None:
    fake.script(answer(TEXT, chunk_size=5, input_tokens=42, output_tokens=17))
    items = await collect(provider(fake.url), request())
    chunks, usage = items[:-1], items[-1]
    assert all(isinstance(c, str) for c in chunks)
    assert len(chunks) == len(TEXT) // 5 + 1
    assert "".join(chunks) == TEXT  # type: ignore[arg-type]
    assert usage == Usage(input_tokens=42, output_tokens=17, stop_reason="end")


async def test_default_answer_is_a_page_echoing_the_prompt(fake: FakeAnthropic) -> None:
    items = await collect(provider(fake.url), request("Count <clicks>"))
    text = "".join(i for i in items if isinstance(i, str))
    assert "```html" in text and "<h1>Count &lt;clicks&gt;</h1>" in text and "</html>" in text
    usage = items[-1]
    assert isinstance(usage, Usage) and usage.input_tokens and usage.output_tokens


async def test_sends_system_messages_and_limit_where_the_api_wants_them(fake: FakeAnthropic) -> None:
    history = [Message("user", "A timer"), Message("assistant", "<html>v1</html>"), Message("user", "Add a reset")]
    await collect(provider(fake.url), request(messages=history, max_tokens=1234))
    [sent] = fake.requests
    assert sent["path"] == "/v1/messages"
    assert sent["headers"]["authorization"] == "Bearer sk-ant-test" or sent["headers"].get("x-api-key") == "sk-ant-test"
    assert "anthropic-version" in sent["headers"]
    body = sent["json"]
    assert body["model"] == "claude-test"
    assert body["system"] == "You write tools."
    assert body["messages"] == [{"role": m.role, "content": m.content} for m in history]
    assert body["max_tokens"] == 1234
    assert body["stream"] is True
    assert "temperature" not in body


async def test_temperature_is_sent_only_when_asked_for(fake: FakeAnthropic) -> None:
    await collect(provider(fake.url), request(temperature=0.2))
    assert fake.requests[0]["json"]["temperature"] == 0.2


async def test_cut_off_by_the_token_limit(fake: FakeAnthropic) -> None:
    fake.script(cut_off())
    items = await collect(provider(fake.url), request(max_tokens=321))
    usage = items[-1]
    assert isinstance(usage, Usage) and usage.stop_reason == "max_tokens" and usage.output_tokens == 321
    assert "</html>" not in "".join(i for i in items if isinstance(i, str))


async def test_rate_limit_is_retried_then_reported(fake: FakeAnthropic) -> None:
    fake.script(rate_limited(times=3, retry_after="0.01"))
    with pytest.raises(ProviderRateLimited, match="rate limiting requests: wait a minute"):
        await collect(provider(fake.url, max_retries=2), request())
    assert len(fake.requests) == 3  # the first try and max_retries retries
    assert [r["headers"]["x-stainless-retry-count"] for r in fake.requests] == ["0", "1", "2"]


async def test_rate_limit_that_clears_up_is_invisible(fake: FakeAnthropic) -> None:
    fake.script(rate_limited(times=1, retry_after="0.01"), answer(TEXT))
    items = await collect(provider(fake.url, max_retries=2), request())
    assert "".join(i for i in items if isinstance(i, str)) == TEXT
    assert len(fake.requests) == 2


async def test_overloaded_is_reported_as_rate_limited(fake: FakeAnthropic) -> None:
    fake.script(http_error(529, retry_after="0.01", times=2))
    with pytest.raises(ProviderRateLimited, match="overloaded"):
        await collect(provider(fake.url, max_retries=1), request())
    assert len(fake.requests) == 2


async def test_bad_key_names_the_variable_and_is_not_retried(fake: FakeAnthropic) -> None:
    fake.script(http_error(401))
    with pytest.raises(ProviderRejected, match="ANTHROPIC_API_KEY"):
        await collect(provider(fake.url), request())
    assert len(fake.requests) == 1


async def test_fake_with_a_key_rejects_another_one() -> None:
    fake = FakeAnthropic(api_key="the-right-key")
    with fake.serve(), pytest.raises(ProviderRejected, match="ANTHROPIC_API_KEY"):
        await collect(provider(fake.url), request())


async def test_unknown_model_passes_on_the_providers_message(fake: FakeAnthropic) -> None:
    fake.script(http_error(404))
    with pytest.raises(ProviderRejected, match="model: claude-nope"):
        await collect(provider(fake.url), request(model="claude-nope"))


async def test_bad_request_passes_on_the_providers_message(fake: FakeAnthropic) -> None:
    fake.script(http_error(400, "prompt is too long: 300000 tokens > 200000 maximum"))
    with pytest.raises(ProviderRejected, match="prompt is too long"):
        await collect(provider(fake.url), request())


async def test_error_event_in_the_middle_of_the_stream(fake: FakeAnthropic) -> None:
    fake.script(stream_error(after_chunks=3))
    chunks, error = await collect_until_error(provider(fake.url), request())
    assert calls.arrived(chunks, fake, 3)
    assert isinstance(error, ProviderRateLimited) and "overloaded" in error.message
    assert len(fake.requests) == 1  # an answer already under way is never retried


async def test_connection_dropped_in_the_middle_of_the_stream(fake: FakeAnthropic) -> None:
    fake.script(disconnect(after_chunks=2))
    chunks, error = await collect_until_error(provider(fake.url), request())
    assert calls.arrived(chunks, fake, 2)
    assert isinstance(error, ProviderUnavailable) and "try again" in error.message


async def test_slow_stream_times_out(fake: FakeAnthropic) -> None:
    fake.script(answer(TEXT, delay=2.0))
    chunks, error = await collect_until_error(provider(fake.url, max_retries=0, timeout=0.3), request())
    assert chunks == []
    assert isinstance(error, ProviderUnavailable) and "0.3 seconds" in error.message


async def test_slow_stream_within_the_timeout_arrives_whole(fake: FakeAnthropic) -> None:
    fake.script(answer(TEXT, delay=0.05, chunk_size=20))
    items = await collect(provider(fake.url, timeout=2.0), request())
    assert "".join(i for i in items if isinstance(i, str)) == TEXT


async def test_nothing_listening_is_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ProviderUnavailable, match=f"Could not reach Anthropic at {url}"):
        await collect(provider(url, max_retries=0), request())


async def test_a_server_that_hangs_up_is_not_called_slow() -> None:
    async with calls.hanging_up() as url:
        with pytest.raises(ProviderUnavailable, match=f"Could not reach Anthropic at {url}"):
            await collect(provider(url, max_retries=1), request())


async def test_stopping_early_closes_the_stream(fake: FakeAnthropic) -> None:
    stream = provider(fake.url).stream(request())
    first = await anext(stream)
    assert isinstance(first, str)
    await stream.aclose()  # type: ignore[attr-defined]
    items = await collect(provider(fake.url), request())  # the fake still serves the next one
    assert isinstance(items[-1], Usage)


async def test_no_key_names_the_variable_before_any_request(fake: FakeAnthropic) -> None:
    keyless = AnthropicProvider(api_key=None, base_url=fake.url, max_retries=0, timeout=1.0)
    with pytest.raises(ProviderRejected, match="set ANTHROPIC_API_KEY"):
        await collect(keyless, request())
    assert fake.requests == []
