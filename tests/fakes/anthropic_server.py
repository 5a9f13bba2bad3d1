"""A fake Anthropic Messages API speaking the real SSE protocol, driven by a script.

    fake = FakeAnthropic()
    fake.script(rate_limited(times=3))          # steps: see tests/fakes/script.py
    with fake.serve() as server:
        client = AsyncAnthropic(base_url=server.url, api_key="k")
        ...
    fake.requests[-1]["json"]["system"]          # every request, headers and JSON body

`POST /v1/messages` with `"stream": true` answers with the events the real API
sends: message_start, content_block_start, ping, content_block_delta
(text_delta)..., content_block_stop, message_delta (stop_reason and usage),
message_stop. A scripted stream_error sends `event: error` with an
overloaded_error; http_error answers `{"type": "error", "error": {...}}` with
the status. Without "stream" it answers one Message object.

Standalone: `python -m tests.fakes.anthropic_server --port 8766`, then script it
with `POST /_fake/script {"steps": [...]}` and read `GET /_fake/requests`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tests.fakes.script import (
    BAD_JSON_DATA,
    FAILING_MID_STREAM,
    GARBAGE,
    HANG_SECONDS,
    Drop,
    ScriptedFake,
    SSEResponse,
    Step,
    answer_text,
    chunks,
    last_user_prompt,
    main,
    reported_usage,
    user_prompts,
)

# The error type and message the real API sends with each status.
ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "messages: at least one message is required"),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "This request would exceed the rate limit for your organization. Try again later."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}
_ids = itertools.count(1)


def error_body(status: int, message: str | None, error_type: str | None, model: str) -> dict[str, Any]:
    default_type, default_message = ERRORS.get(status, ("api_error", "Internal server error"))
    return {
        "type": "error",
        "error": {"type": error_type or default_type, "message": message or default_message.format(model=model)},
        "request_id": f"req_fake_{next(_ids)}",
    }


def sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


class FakeAnthropic(ScriptedFake):
    """The Anthropic Messages API at `/v1/messages`; see the module docstring."""

    def routes(self) -> list[BaseRoute]:
        return [Route("/v1/messages", self.messages, methods=["POST"])]

    async def messages(self, request: Request) -> Response:
        body = await self.receive(request)
        model = str(body.get("model", ""))
        if not self.key_ok(request):
            return JSONResponse(error_body(401, None, None, model), status_code=401)
        step = self.next_step()
        if step.kind == "hang":
            await asyncio.sleep(HANG_SECONDS)
        if step.kind == "http_error":
            headers = {"request-id": f"req_fake_{next(_ids)}"}
            if step.status in (429, 529) and step.retry_after is not None:
                headers["retry-after"] = step.retry_after
            return JSONResponse(error_body(step.status, step.message, step.error_type, model), step.status, headers)
        missing = [name for name in ("model", "max_tokens", "messages") if name not in body]
        if missing:
            return JSONResponse(error_body(400, f"{missing[0]}: Field required", None, model), status_code=400)

        text = answer_text(step, last_user_prompt(body), user_prompts(body))
        prompt = json.dumps([body.get("system"), body["messages"]])
        input_tokens, output_tokens = reported_usage(step, prompt, text, body["max_tokens"])
        stop_reason = "max_tokens" if step.kind == "cut_off" else "end_turn"
        message = {
            "id": f"msg_fake_{next(_ids)}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        }
        if not body.get("stream"):
            message |= {
                "content": [{"type": "text", "text": text}],
                "stop_reason": stop_reason,
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
            }
            return JSONResponse(message)
        return SSEResponse(
            self._events(step, message, text, stop_reason, output_tokens),
            headers={"request-id": f"req_fake_{next(_ids)}", "cache-control": "no-cache"},
        )

    async def _events(
        self, step: Step, message: dict[str, Any], text: str, stop_reason: str, output_tokens: int
    ) -> AsyncIterator[str]:
        delay, size = self.pace(step)
        yield sse("message_start", {"type": "message_start", "message": message})
        block = {"type": "text", "text": ""}
        yield sse("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block})
        yield sse("ping", {"type": "ping"})
        failing = step.kind in FAILING_MID_STREAM
        pieces = chunks(text, size)
        for piece in pieces[: step.after_chunks] if failing else pieces:
            await asyncio.sleep(delay)
            delta = {"type": "text_delta", "text": piece}
            yield sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        if step.kind == "disconnect":
            raise Drop
        if step.kind == "stall":
            await asyncio.sleep(HANG_SECONDS)
        if step.kind == "garbage":
            yield GARBAGE
            return
        if step.kind == "bad_json":
            yield f"event: content_block_delta\ndata: {BAD_JSON_DATA}\n\n"
            return
        if step.kind == "no_end":
            yield sse("content_block_stop", {"type": "content_block_stop", "index": 0})
            return
        if step.kind == "stream_error":
            error = error_body(529, step.message, step.error_type, str(message["model"]))
            yield sse("error", {"type": "error", "error": error["error"]})
            return
        yield sse("content_block_stop", {"type": "content_block_stop", "index": 0})
        yield sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        )
        yield sse("message_stop", {"type": "message_stop"})


def run(argv: Sequence[str] | None = None) -> None:
    main(FakeAnthropic, "A fake Anthropic Messages API for tests.", argv)


if __name__ == "__main__":
    run()
