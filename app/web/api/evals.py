"""The JSON API of evals: start one, follow its progress on a stream, read its report. See docs/evals.md."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.errors import InvalidSuite
from app.evals import Suite, builtin_suites, load_builtin, parse_suite
from app.services import Services
from app.web.auth import require_user
from app.web.requests import json_body, owned_eval, services_of

POLL_SECONDS = 0.5


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
    Route("/api/evals", list_evals, methods=["GET"]),
    Route("/api/evals", start_eval, methods=["POST"]),
    Route("/api/evals/{eval_id}", get_eval),
    Route("/api/evals/{eval_id}/stream", stream_eval),
]
