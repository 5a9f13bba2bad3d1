"""A fake OpenAI Chat Completions API (or any OpenAI-compatible server), driven by a script.

    fake = FakeOpenAI()
    fake.script(cut_off())                       # steps: see tests/fakes/script.py
    with fake.serve() as server:
        client = AsyncOpenAI(base_url=server.url + "/v1", api_key="k")
        ...
    fake.requests[-1]["json"]["stream_options"]  # every request, headers and JSON body

`POST /v1/chat/completions` (also `/chat/completions`) with `"stream": true`
answers `data: {chat.completion.chunk}` lines: a first chunk with the role,
content deltas, a chunk with finish_reason ("stop", or "length" when cut off),
then, when `stream_options.include_usage` is set, a chunk with no choices and
the usage, and finally `data: [DONE]`. Set `FakeOpenAI(usage=False)` to act as
a compatible server that never reports usage. A scripted stream_error sends
`data: {"error": {...}}` and ends the stream; http_error answers with the
status and `{"error": {"message", "type", "param", "code"}}`. Without
"stream" it answers one chat.completion object.

Standalone, e.g. for end-to-end tests pointing an endpoint at it:
`python -m tests.fakes.openai_server --port 8765`, base_url
http://127.0.0.1:8765/v1; script it with `POST /_fake/script {"steps": [...]}`
and read `GET /_fake/requests` (see tests/fakes/script.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
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

# The error type, code and message the real API sends with each status.
ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-test****."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Country, region, or territory not supported"),
    404: ("invalid_request_error", "model_not_found", "The model `{model}` does not exist or you do not have access to it."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 1s."),
    500: ("server_error", None, "The server had an error while processing your request. Sorry about that!"),
    503: ("server_error", None, "The engine is currently overloaded, please try again later"),
}
_ids = itertools.count(1)


def error_body(status: int, step: Step, model: str) -> dict[str, Any]:
    default_type, code, default_message = ERRORS.get(status, ("server_error", None, "The server had an error."))
    return {
        "error": {
            "message": step.message or default_message.format(model=model),
            "type": step.error_type or default_type,
            "param": None,
            "code": step.code or code,
        }
    }


def data(payload: dict[str, Any] | str) -> str:
    return f"data: {payload if isinstance(payload, str) else json.dumps(payload)}\n\n"


class FakeOpenAI(ScriptedFake):
    """OpenAI Chat Completions at `/v1/chat/completions`; see the module docstring."""

    def __init__(self, *, usage: bool = True, **options: Any) -> None:
        super().__init__(**options)
        self.usage = usage  # False: like compatible servers that never report usage

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/chat/completions", self.completions, methods=["POST"]),
            Route("/chat/completions", self.completions, methods=["POST"]),
        ]

    async def completions(self, request: Request) -> Response:
        body = await self.receive(request)
        model = str(body.get("model", ""))
        if not self.key_ok(request):
            return JSONResponse(error_body(401, Step(), model), status_code=401)
        step = self.next_step()
        if step.kind == "hang":
            await asyncio.sleep(HANG_SECONDS)
        if step.kind == "http_error":
            headers = {"x-request-id": f"req_fake_{next(_ids)}"}
            if step.status == 429 and step.retry_after is not None:
                headers["retry-after"] = step.retry_after
            return JSONResponse(error_body(step.status, step, model), step.status, headers)
        for name in ("model", "messages"):
            if name not in body:
                error = error_body(400, Step(message=f"Missing required parameter: '{name}'."), model)
                error["error"] |= {"param": name, "code": "missing_required_parameter"}
                return JSONResponse(error, status_code=400)

        text = answer_text(step, last_user_prompt(body), user_prompts(body))
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        prompt_tokens, completion_tokens = reported_usage(step, json.dumps(body["messages"]), text, limit)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        finish_reason = "length" if step.kind == "cut_off" else "stop"
        base = {"id": f"chatcmpl-fake{next(_ids)}", "created": int(time.time()), "model": model}
        if not body.get("stream"):
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
            reply = {**base, "object": "chat.completion", "choices": [choice]}
            return JSONResponse(reply | ({"usage": usage} if self.usage else {}))
        include_usage = self.usage and bool((body.get("stream_options") or {}).get("include_usage"))
        return SSEResponse(
            self.counted(self._chunks(step, base, text, finish_reason, usage if include_usage else None)),
            headers={"x-request-id": f"req_fake_{next(_ids)}", "cache-control": "no-cache"},
        )

    async def _chunks(
        self, step: Step, base: dict[str, Any], text: str, finish_reason: str, usage: dict[str, int] | None
    ) -> AsyncIterator[str]:
        delay, size = self.pace(step)
        extra = {"usage": None} if usage is not None else {}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return data({**base, "object": "chat.completion.chunk", "choices": [choice], **extra})

        yield chunk({"role": "assistant", "content": "", "refusal": None})
        failing = step.kind in FAILING_MID_STREAM
        pieces = chunks(text, size)
        for piece in pieces[: step.after_chunks] if failing else pieces:
            await asyncio.sleep(delay)
            yield chunk({"content": piece})
        if step.kind == "disconnect":
            raise Drop
        if step.kind == "stall":
            await asyncio.sleep(HANG_SECONDS)
        if step.kind == "garbage":
            yield GARBAGE
            return
        if step.kind == "bad_json":
            yield data(BAD_JSON_DATA)
            return
        if step.kind == "no_end":
            return
        if step.kind == "stream_error":
            yield data(error_body(500, step, str(base["model"])))
            return
        yield chunk({}, finish_reason)
        if usage is not None:
            yield data({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        yield data("[DONE]")


def run(argv: Sequence[str] | None = None) -> None:
    main(FakeOpenAI, "A fake OpenAI Chat Completions API for tests.", argv)


if __name__ == "__main__":
    run()
