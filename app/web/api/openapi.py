"""The OpenAPI 3.1 description of the JSON API, written from the routes themselves, at /api/openapi.json."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from app.web.api.described import HTML, PATH_PARAMETERS, ApiRoute, Operation, Schema, ref
from app.web.api.schemas import COMPONENTS

_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")

# The answers every route may give besides its own, by what it takes.
_WHY = {
    400: "The request cannot be used as sent (`code` says why; the `Host` header is not one Toolsmith answers to: `bad_host`).",
    401: "Nobody is signed in, or the API token is wrong, expired or revoked.",
    403: "Refused as sent (`csrf_failed`: a browser request without the page's CSRF token; `forbidden`: that needs the person, not a token).",
    404: "No such app, version or share link, or not yours.",
    409: "A version of this app is still being written, or automatic fixes reached their limit.",
    413: "The request body is larger than this route takes.",
    429: "Too many attempts, or too many streams open at once; wait, then try again.",
}


def _path_of(route: Route) -> str:
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)


def _statuses(route: Route, method: str, operation: Operation) -> set[int]:
    statuses = {400, 401, *operation.errors}  # a wrong token is refused on every route, public or not
    if method not in ("GET", "HEAD"):
        statuses.add(403)
    if route.param_convertors:
        statuses.add(404)
    return statuses


def operation_json(route: Route, method: str, operation: Operation) -> dict[str, Any]:
    content: dict[str, Schema] = {}
    responses: dict[str, Any] = {}
    for status, schema in operation.answers.items():
        if status == 204:  # No Content: nothing to describe but the status
            responses[str(status)] = {"description": operation.summary}
            continue
        body = {"schema": schema if operation.media_type != HTML else {"type": "string"}}
        content = {operation.media_type: body}
        responses[str(status)] = {"description": operation.summary, "content": content}
    for status in sorted(_statuses(route, method, operation)):
        responses[str(status)] = {"description": _WHY.get(status, "Refused."), "content": {"application/json": {"schema": ref("Error")}}}
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETERS.get(name, {"type": "string"})} for name in _PARAM.findall(route.path)
    ]
    parameters += [{"name": q.name, "in": "query", "required": q.required, "schema": q.schema, "description": q.description} for q in operation.query]
    described: dict[str, Any] = {
        "operationId": _operation_id(method, route),
        "summary": operation.summary,
        "tags": [operation.tag],
        "responses": responses,
    }
    if parameters:
        described["parameters"] = parameters
    if operation.body is not None:
        bodies = {"application/json": operation.body, **operation.other_bodies}
        described["requestBody"] = {"required": operation.body_required, "content": {kind: {"schema": schema} for kind, schema in bodies.items()}}
    if operation.public:
        described["security"] = [{}, {"token": []}, {"session": []}]
    return described


def api_routes(routes: Iterable[BaseRoute]) -> list[Route]:
    """Every route of the router under /api/, described or not."""
    return [r for r in routes if isinstance(r, Route) and r.path.startswith("/api/")]


def openapi_document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The whole description; a route under /api/ that is not an `ApiRoute` is left out (and fails the test)."""
    paths: dict[str, dict[str, Any]] = {}
    for route in api_routes(routes):
        if not isinstance(route, ApiRoute):
            continue
        for method, operation in route.operations.items():
            paths.setdefault(_path_of(route), {})[method.lower()] = operation_json(route, method, operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Toolsmith",
            "version": "1",
            "description": "Turn a prompt into a single-page HTML app, iterate on it, share it. docs/api.md says it in words.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "An API token: `toolsmith tokens create`, or the account page."},
                "session": {"type": "apiKey", "in": "cookie", "name": "toolsmith_session", "description": "The browser's session; changes need the page's X-CSRF-Token too."},
            },
        },
        "security": [{"token": []}, {"session": []}],
    }


async def openapi_json(request: Request) -> JSONResponse:
    document = getattr(request.app.state, "openapi", None)
    if document is None:
        document = request.app.state.openapi = openapi_document(request.app.routes)
    return JSONResponse(document)


routes = [
    ApiRoute(
        "/api/openapi.json",
        openapi_json,
        doc=Operation("This description of the API (OpenAPI 3.1)", answers={200: {"type": "object"}}, public=True, tag="meta"),
    ),
]


def _operation_id(method: str, route: Route) -> str:
    """The endpoint's name; one endpoint that serves several paths (saved data of an app, of a
    share link) is told apart by its path's first word after /api/."""
    name = f"{method.lower()}_{route.name}"
    if route.path.startswith("/api/shares/") and "shared" not in route.name:
        name += "_of_share"
    return name
