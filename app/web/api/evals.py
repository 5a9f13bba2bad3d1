"""The JSON API of evals: start one, follow its progress on a stream, read its report. See docs/evals.md."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import JSONResponse

from app.errors import InvalidSuite
from app.evals import Suite, builtin_suites, load_builtin, parse_suite
from app.services import Services
from app.web.api.described import INTEGER, SSE, STRING, ApiRoute, Operation, array, obj
from app.web.auth import require_user
from app.web.requests import json_body, owned_eval, services_of

POLL_SECONDS = 0.5

# An eval run as docs/evals.md describes it: its suite, models, progress and, when asked for one, its results.
EVAL = obj({"id": STRING, "status": STRING, "total": INTEGER, "done": INTEGER})
EVAL_ANSWER = obj({"eval": EVAL}, required=["eval"], extra=False)


def suite_of(body: dict[str, Any]) -> Suite:
    """`{"suite": "everyday"}` names a built-in suite; `{"suite_toml": "..."}` gives one's own."""
    if "suite_toml" in body:
        return parse_suite(body["suite_toml"])
    name = body.get("suite", "everyday")
    if not isinstance(name, str):
        raise InvalidSuite(f"“suite” must name a built-in suite ({', '.join(builtin_suites())}); send your own as “suite_toml”.")
    return load_builtin(name)


async def list_evals(request: Request) -> JSONResponse:
    user = require_user(request)
    return JSONResponse({"evals": await services_of(request).evals.runs.list(user.id), "suites": builtin_suites()})


async def start_eval(request: Request) -> JSONResponse:
    user = require_user(request)
    services = services_of(request)
    body = await json_body(request)
    suite = suite_of(body)
    eval_id = await services.evals.start(suite, body.get("models", [services.settings.resolved_default_model]), body.get("repeat", 1), owner_id=user.id)
    return JSONResponse({"eval": await services.evals.runs.get(eval_id, user.id)}, status_code=202)


async def get_eval(request: Request) -> JSONResponse:
    return JSONResponse({"eval": await owned_eval(request)})


async def stream_eval(request: Request) -> EventSourceResponse:
    """Server-Sent Events: `progress` {done, total, result} as each run finishes, then `done` {eval}."""
    first = await owned_eval(request)
    user = require_user(request)
    services = services_of(request)
    return EventSourceResponse(_events(services, first, user.id), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(services: Services, current: dict[str, Any], owner_id: str) -> AsyncIterator[ServerSentEvent]:
    sent = 0
    while True:
        for result in current["results"][sent:]:
            sent += 1
            yield ServerSentEvent(data=json.dumps({"done": sent, "total": current["total"], "result": result}), event="progress", id=str(sent))
        if current["status"] != "running":
            yield ServerSentEvent(data=json.dumps({"eval": current}), event="done", id=str(sent + 1))
            return
        await asyncio.sleep(POLL_SECONDS)
        current = await services.evals.runs.get(current["id"], owner_id)


routes = [
    ApiRoute(
        "/api/evals",
        list_evals,
        doc=Operation("Your eval runs, newest first, and the built-in suites", answers={200: obj({"evals": array(EVAL), "suites": array(STRING)}, required=["evals", "suites"], extra=False)}, tag="evals"),
    ),
    ApiRoute(
        "/api/evals",
        start_eval,
        methods=["POST"],
        doc=Operation(
            "Run a suite of prompts through models, each checked in the browser",
            body=obj(
                {
                    "suite": {"type": "string", "description": "a built-in suite (default: everyday)"},
                    "suite_toml": {"type": "string", "description": "your own suite, as the TOML of docs/evals.md"},
                    "models": array(STRING),
                    "repeat": {**INTEGER, "minimum": 1},
                }
            ),
            body_required=False,
            answers={202: EVAL_ANSWER},
            errors=(409,),
            tag="evals",
        ),
    ),
    ApiRoute("/api/evals/{eval_id}", get_eval, doc=Operation("One eval run with every result", answers={200: EVAL_ANSWER}, tag="evals")),
    ApiRoute(
        "/api/evals/{eval_id}/stream",
        stream_eval,
        doc=Operation("Server-Sent Events of a run: progress as each prompt is checked, then done", answers={200: STRING}, media_type=SSE, tag="evals"),
    ),
]
