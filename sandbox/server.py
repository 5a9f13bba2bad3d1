"""The second origin. Generated pages are documents only here, never on the main origin."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import NotFound
from app.extract import partial_page
from app.services import Services
from sandbox.bridge import inject_bridge
from sandbox.headers import sandbox_headers


def _notice(title: str, text: str, status: int = 200) -> HTMLResponse:
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{escape(title)}</title><style>body{{font:15px system-ui,sans-serif;color:#555;display:grid;"
        "place-items:center;min-height:90vh;margin:0;text-align:center}</style></head>"
        f"<body><p>{escape(text)}</p></body></html>"
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


async def serve_version(request: Request) -> Response:
    services: Services = request.app.state.services
    version = await services.store.get_version_by_token(request.path_params["token"])
    if version.status == "generating":
        run = services.live.get(version.id)
        html = partial_page(run.text) if run else None
        if html is None:
            return _notice("Writing…", "The page is being written…")
        page = inject_bridge(html, services.settings.resolved_public_url)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})
    if not version.html:
        return _notice("No page", "This version has no page: the model's answer failed.")
    # A finished version never changes; its address is its key.
    page = inject_bridge(version.html, services.settings.resolved_public_url)
    return HTMLResponse(page, headers={"Cache-Control": "private, max-age=3600"})


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return _notice("Not found", "Nothing is published at this address.", status)


class AlwaysSandboxed:
    """Every response of this host, errors included, carries the sandbox headers."""

    def __init__(self, app: ASGIApp, main_origin: str) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in sandbox_headers(main_origin).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in self.headers}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + self.headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            response = _notice("Error", "Something went wrong serving this page.", 500)
            await response(scope, receive, send_with_headers)


def create_sandbox_app(services: Services) -> ASGIApp:
    main = urlsplit(services.settings.resolved_public_url)
    app = Starlette(
        routes=[Route("/v/{token}", serve_version)],
        exception_handlers={NotFound: not_found, HTTPException: not_found},
    )
    app.state.services = services
    return AlwaysSandboxed(app, f"{main.scheme}://{main.netloc}")
