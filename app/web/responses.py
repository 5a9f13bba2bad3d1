"""How errors reach people: JSON for the API, a page for the browser."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from app.errors import ToolsmithError, Unauthorized

log = logging.getLogger("toolsmith")


class AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: an app's saved data may hold lone surrogates,
    which a JavaScript string allows and UTF-8 cannot encode."""

    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


async def handle_toolsmith_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ToolsmithError)
    if wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return JSONResponse(exc.to_json(), status_code=exc.status, headers=headers)
    if isinstance(exc, Unauthorized) and request.method in ("GET", "HEAD"):
        # A page that needs someone signed in: sign in, then come back here.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {"title": "Error", "status": exc.status, "message": exc.message}, status_code=exc.status)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return await handle_toolsmith_error(request, ToolsmithError("Something went wrong on Toolsmith's side. Try again; if it keeps happening, check the server log."))


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path: one path may be served by several routes, one per method."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        error = ToolsmithError(f"{request.method} is not a method this address takes: use {allowed}.")
        error.status, error.code = 405, "method_not_allowed"
        response = await handle_toolsmith_error(request, error)
        response.headers["Allow"] = allowed
        return response
    error = ToolsmithError(exc.detail if exc.status_code != 404 else "Nothing here: check the address.")
    error.status = exc.status_code
    error.code = "not_found" if exc.status_code == 404 else "http_error"
    response = await handle_toolsmith_error(request, error)
    for name, value in (exc.headers or {}).items():
        response.headers.setdefault(name, value)
    return response
