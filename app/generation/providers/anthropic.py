"""Claude through the official `anthropic` SDK: the streamed Messages API as text chunks and usage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2

from app.errors import ProviderError, ProviderRateLimited, ProviderRejected, ProviderUnavailable
from app.generation.providers.base import Request, StreamItem, Usage
from app.generation.providers.clients import PerLoop, http_client, never_connected

STOP_REASONS = {"end_turn": "end", "stop_sequence": "end", "max_tokens": "max_tokens"}
OTHER = "or pick another model"
KEY_HELP = f"check ANTHROPIC_API_KEY and restart Toolsmith, {OTHER}"
WAIT = f"wait a minute and try again, {OTHER}"


class AnthropicProvider:
    """Anthropic's Messages API, streamed; the SDK retries failed calls before streaming begins."""

    name = "anthropic"
    needs_key = True
    key_env_var: str | None = "ANTHROPIC_API_KEY"

    def __init__(self, *, api_key: str | None, base_url: str | None, max_retries: int, timeout: float) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.max_retries = max_retries
        self.timeout = timeout
        self._client = PerLoop(self._new_client)

    def _new_client(self) -> anthropic.AsyncAnthropic:
        return anthropic.AsyncAnthropic(api_key=self.api_key, base_url=self.base_url, max_retries=self.max_retries, timeout=self.timeout, http_client=http_client(anthropic.DefaultAioHttpClient, anthropic.DEFAULT_CONNECTION_LIMITS))

    async def close(self) -> None:
        await self._client.close()

    async def stream(self, request: Request) -> AsyncIterator[StreamItem]:
        if not self.api_key:
            # Without one the SDK would hunt for keys in the environment and its own profile files.
            raise ProviderRejected(f"No key for anthropic: set ANTHROPIC_API_KEY and restart Toolsmith, {OTHER}.")
        client = self._client.get()
        params: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
        }
        if request.system:
            params["system"] = request.system
        # This SDK version has no temperature argument, so send it only when someone asked for one.
        extra_body = {"temperature": request.temperature} if request.temperature is not None else None
        input_tokens: int | None = None
        output_tokens: int | None = None
        stop_reason: str | None = None
        finished = False
        answering = False  # an event has arrived: a failure from now on is in the middle of the answer
        try:
            # Closing the stream however it ends hands its connection back to the client's pool.
            async with await client.messages.create(**params, stream=True, extra_body=extra_body) as events:
                async for event in events:
                    answering = True
                    if event.type == "message_start":
                        input_tokens = event.message.usage.input_tokens
                        output_tokens = event.message.usage.output_tokens
                    elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                        if event.delta.text:
                            yield event.delta.text
                    elif event.type == "message_delta":
                        # message_delta usage is cumulative and the last word on the count.
                        output_tokens = event.usage.output_tokens
                        if event.usage.input_tokens is not None:
                            input_tokens = event.usage.input_tokens
                        stop_reason = event.delta.stop_reason
                    elif event.type == "message_stop":
                        finished = True
        except (anthropic.AnthropicError, httpx2.TransportError) as exc:
            raise self._translate(exc, answering=answering) from exc
        except ValueError:
            raise ProviderUnavailable("Anthropic sent a piece of its answer that is not valid JSON: try again, or pick another model.") from None
        if not finished:
            raise ProviderUnavailable("The answer from Anthropic stopped before it was complete: try again.")
        yield Usage(input_tokens, output_tokens, STOP_REASONS.get(stop_reason or "", stop_reason))

    def _translate(self, exc: Exception, *, answering: bool = False) -> ProviderError:
        """Our error for an SDK or transport failure, with a message that says what to do.

        `answering`: the stream had begun. Some SDK releases let a failure there through as the
        transport's own error, others wrap it as they wrap a failed request: both mean the same.
        """
        if isinstance(exc, anthropic.APITimeoutError) and never_connected(exc):
            exc = anthropic.APIConnectionError(request=exc.request)
        if answering and isinstance(exc, anthropic.APITimeoutError):
            exc = httpx2.ReadTimeout(str(exc))
        elif answering and isinstance(exc, anthropic.APIConnectionError):
            exc = httpx2.RemoteProtocolError(str(exc))
        if isinstance(exc, httpx2.TimeoutException):
            return ProviderUnavailable(
                f"Anthropic went silent in the middle of the answer for {self.timeout:g} seconds: try again, "
                "or raise TOOLSMITH_PROVIDER_TIMEOUT."
            )
        if isinstance(exc, anthropic.APITimeoutError):
            return ProviderUnavailable(
                f"Anthropic did not answer within {self.timeout:g} seconds: try again, "
                "or raise TOOLSMITH_PROVIDER_TIMEOUT."
            )
        if isinstance(exc, anthropic.APIConnectionError):
            return ProviderUnavailable(
                f"Could not reach Anthropic at {self.base_url or 'https://api.anthropic.com'}: "
                "check the network (and ANTHROPIC_BASE_URL if set), then try again."
            )
        # The SDK lets a failure in the middle of a stream (dropped connection) through unwrapped.
        if isinstance(exc, httpx2.TransportError):
            return ProviderUnavailable("The connection to Anthropic broke in the middle of the answer: try again.")
        if not isinstance(exc, anthropic.APIStatusError):
            return ProviderError(f"The Anthropic client failed ({exc}): try again, or pick another model.")

        # An error event inside a stream comes with the stream's status (200): its type says what it is.
        kind, status, detail = exc.type, exc.status_code, exc.api_message or str(exc)
        if status == 529 or kind == "overloaded_error":
            return ProviderRateLimited(f"Anthropic is overloaded right now: {WAIT}.")
        if status == 429 or kind == "rate_limit_error":
            return ProviderRateLimited(f"Anthropic is rate limiting requests: {WAIT}.")
        if status == 401 or kind == "authentication_error":
            return ProviderRejected(f"Anthropic did not accept the API key: {KEY_HELP}.")
        if status == 403 or kind == "permission_error":
            return ProviderRejected(f"Anthropic says this API key may not do that ({detail}): {KEY_HELP}.")
        if status == 404 or kind == "not_found_error":
            return ProviderRejected(
                f"Anthropic does not know this model ({detail}): check the model name or pick another model."
            )
        if 400 <= status < 500 or kind in ("invalid_request_error", "request_too_large"):
            return ProviderRejected(f"Anthropic refused the request ({detail}): change the prompt, or pick another model.")
        return ProviderUnavailable(f"Anthropic failed ({detail}): try again in a moment, or pick another model.")
