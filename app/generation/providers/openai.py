"""OpenAI, or any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio, OpenRouter...),
through the official `openai` SDK: streamed Chat Completions as text chunks and usage."""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import openai

from app.errors import ProviderError, ProviderRateLimited, ProviderRejected, ProviderUnavailable
from app.generation.providers.base import Request, StreamItem, Usage
from app.generation.providers.clients import PerLoop, http_client, never_connected

STOP_REASONS = {"stop": "end", "length": "max_tokens"}
# The SDK insists on a key even for servers that take none; they ignore whatever is sent.
PLACEHOLDER_KEY = "not-needed"
OTHER = "or pick another model"


class OpenAIProvider:
    """One Chat Completions endpoint, streamed; the SDK retries failed calls before streaming begins."""

    def __init__(
        self,
        *,
        name: str,
        api_key: str | None,
        base_url: str | None,
        key_env_var: str | None,
        max_retries: int,
        timeout: float,
    ) -> None:
        self.name = name
        self.api_key = api_key
        self.base_url = base_url
        self.key_env_var = key_env_var
        self.needs_key = key_env_var is not None
        self.max_retries = max_retries
        self.timeout = timeout
        self._client = PerLoop(self._new_client)

    def _new_client(self) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=self.api_key or PLACEHOLDER_KEY, base_url=self.base_url, max_retries=self.max_retries, timeout=self.timeout, http_client=http_client(openai.DefaultAioHttpClient, openai.DEFAULT_CONNECTION_LIMITS))

    async def close(self) -> None:
        await self._client.close()

    @property
    def label(self) -> str:
        return "OpenAI" if self.name == "openai" else self.name

    async def stream(self, request: Request) -> AsyncIterator[StreamItem]:
        if self.needs_key and not self.api_key:
            # Without one the SDK would fall back to OPENAI_API_KEY, even for another endpoint.
            raise ProviderRejected(f"No key for {self.name}: set {self.key_env_var} and restart Toolsmith, {OTHER}.")
        client = self._client.get()
        messages: list[dict[str, str]] = [{"role": "system", "content": request.system}] if request.system else []
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        params: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        # OpenAI's newer models only take max_completion_tokens; compatible servers commonly only know max_tokens.
        params["max_completion_tokens" if self.name == "openai" else "max_tokens"] = request.max_tokens
        if request.temperature is not None:
            params["temperature"] = request.temperature
        input_tokens: int | None = None
        output_tokens: int | None = None
        finish_reason: str | None = None
        began = False
        try:
            # The SDK makes the request (address, key, retries before streaming, errors by status);
            # the chunks are read here as plain JSON. The SDK's own stream builds a typed model of
            # every chunk, which costs more than everything else Toolsmith does with a delta.
            async with client.chat.completions.with_streaming_response.create(**params) as response:
                # The chunks that came in one read from the network go on as one piece of text: a
                # busy server reads many at a time, and each piece costs a publish, a wake-up of its
                # followers and an event to each of them, whatever its length.
                async for batch in _sse_batches(response.iter_bytes(), response.http_request):
                    began = True
                    pieces: list[str] = []
                    for data in batch:
                        chunk = json.loads(data)
                        if not isinstance(chunk, dict):
                            continue
                        if chunk.get("error"):
                            if pieces:
                                yield "".join(pieces)
                            raise _stream_error(chunk["error"], response.http_request)
                        # Compatible servers leave out fields now and then.
                        usage = chunk.get("usage")
                        if isinstance(usage, dict):
                            input_tokens = usage.get("prompt_tokens")
                            output_tokens = usage.get("completion_tokens")
                        for choice in chunk.get("choices") or ():
                            delta = choice.get("delta") if isinstance(choice, dict) else None
                            content = delta.get("content") if isinstance(delta, dict) else None
                            if content and isinstance(content, str):
                                pieces.append(content)
                            if isinstance(choice, dict) and choice.get("finish_reason"):
                                finish_reason = choice["finish_reason"]
                    if pieces:
                        yield "".join(pieces)
        except openai.OpenAIError as exc:
            raise self._translate(exc, began=began) from exc
        except ValueError:
            raise ProviderUnavailable(f"{self.label} sent a piece of its answer that is not valid JSON: try again, {OTHER}.") from None
        if finish_reason is None:
            # Every chunk stream ends with a finish_reason; without it the answer was cut short, however it reads.
            raise ProviderUnavailable(f"The answer from {self.label} stopped before it was complete (it never said it had finished): try again, {OTHER}.")
        # Compatible servers may omit usage: tokens stay None.
        yield Usage(input_tokens, output_tokens, STOP_REASONS.get(finish_reason, finish_reason))

    def _translate(self, exc: openai.OpenAIError, *, began: bool = False) -> ProviderError:
        """Our error for an SDK failure, naming this endpoint and its key variable; `began`: the answer had begun."""
        label = self.label
        if isinstance(exc, openai.APITimeoutError) and never_connected(exc):
            exc = openai.APIConnectionError(request=exc.request)
        if began and isinstance(exc, openai.APITimeoutError):
            return ProviderUnavailable(f"{label} went silent in the middle of the answer for {self.timeout:g} seconds: try again, or raise TOOLSMITH_PROVIDER_TIMEOUT.")
        if began and isinstance(exc, openai.APIConnectionError):
            return ProviderUnavailable(f"The connection to {label} broke in the middle of the answer: try again, {OTHER}.")
        if isinstance(exc, openai.APITimeoutError):
            return ProviderUnavailable(
                f"{label} did not answer within {self.timeout:g} seconds: try again, "
                "or raise TOOLSMITH_PROVIDER_TIMEOUT."
            )
        if isinstance(exc, openai.APIConnectionError):
            where = self.base_url or "https://api.openai.com/v1"
            return ProviderUnavailable(
                f"Could not reach {label} at {where}: is the server running? Check the address and try again."
            )
        if isinstance(exc, openai.RateLimitError):
            if exc.code == "insufficient_quota":
                return ProviderRejected(f"{label} says the account is out of quota: check its billing, {OTHER}.")
            return ProviderRateLimited(f"{label} is rate limiting requests: wait a minute and try again, {OTHER}.")
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return ProviderRejected(f"{label} did not accept the API key ({_detail(exc)}): {self._key_help()}.")
        if isinstance(exc, openai.NotFoundError):
            return ProviderRejected(f"{label} does not know this model ({_detail(exc)}): check the model name, {OTHER}.")
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code < 500:
                return ProviderRejected(f"{label} refused the request ({_detail(exc)}): change the prompt, {OTHER}.")
            return ProviderUnavailable(f"{label} failed ({_detail(exc)}): try again in a moment, {OTHER}.")
        if isinstance(exc, openai.APIError):
            # An error sent inside the stream, after the answer had begun.
            if exc.code == "rate_limit_exceeded" or exc.type in ("rate_limit_error", "requests"):
                return ProviderRateLimited(f"{label} is rate limiting requests: wait a minute and try again, {OTHER}.")
            return ProviderError(f"{label} stopped in the middle of the answer ({_detail(exc)}): try again, {OTHER}.")
        return ProviderError(f"The {label} client failed ({exc}): try again, {OTHER}.")

    def _key_help(self) -> str:
        if self.key_env_var:
            return f"check {self.key_env_var} and restart Toolsmith, or pick another model"
        return (
            f"this endpoint is configured without a key; set key_env for [endpoints.{self.name}] "
            "in toolsmith.toml, export that variable and restart Toolsmith, or pick another model"
        )


class _SSELines:
    """Splits Server-Sent Events text into lines as it arrives: at LF, CRLF or CR, as the format
    says, and at no other line break (a JSON string may hold U+2028 as it is)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._rest = ""

    def feed(self, raw: bytes, final: bool = False) -> list[str]:
        text = self._rest + self._decoder.decode(raw, final=final)
        held = ""
        if text.endswith("\r") and not final:  # its \n may come in the next read
            text, held = text[:-1], "\r"
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        *lines, rest = text.split("\n")
        if final:
            self._rest = ""
            return [*lines, rest] if rest else lines
        self._rest = rest + held
        return lines


async def _sse_batches(chunks: AsyncIterator[bytes], request: httpx2.Request) -> AsyncIterator[list[str]]:
    """The data of each Server-Sent Event up to `[DONE]`, as a list for each read from the network
    that completed some; the rest of the body is read so the connection can be reused."""
    lines = _SSELines()
    data: list[str] = []
    done = False

    def events(read: list[str]) -> list[str]:
        nonlocal data, done
        batch: list[str] = []
        for line in read:
            if done:
                break
            if line.startswith("data:"):
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif not line and data:
                event, data = "\n".join(data), []
                if event.startswith("[DONE]"):
                    done = True
                else:
                    batch.append(event)
        return batch

    try:
        async for raw in chunks:
            if not done and (batch := events(lines.feed(raw))):
                yield batch
        if not done and (batch := events(lines.feed(b"", final=True))):
            yield batch
        if data and not done and not "\n".join(data).startswith("[DONE]"):
            yield ["\n".join(data)]
    except httpx2.TimeoutException as exc:
        raise openai.APITimeoutError(request=request) from exc
    except httpx2.TransportError as exc:
        raise openai.APIConnectionError(request=request) from exc


def _stream_error(error: object, request: httpx2.Request) -> openai.APIError:
    """An error sent inside the stream, as the SDK's own stream would raise it."""
    message = error.get("message") if isinstance(error, dict) else None
    return openai.APIError(message if isinstance(message, str) and message else "An error occurred during streaming", request, body=error)


def _detail(exc: openai.APIError) -> str:
    """The provider's own message, which names the unknown model or the bad parameter."""
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return str(body["message"])
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return exc.message
