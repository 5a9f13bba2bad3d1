"""The main service: pages, JSON API and static files on the main origin."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import BadRequest, ToolsmithError
from app.hosts import HostCheck, hosts_of
from app.services import Services
from app.settings import ROOT, Settings
from app.web.api import account as account_api
from app.web.api import apps as apps_api
from app.web.api import arena as arena_api
from app.web.api import data as data_api
from app.web.api import evals as evals_api
from app.web.api import openapi as openapi_api
from app.web.api import sharing as sharing_api
from app.web.auth import SessionOrToken, refuse_credentials, signed_in
from app.web.csrf import CSRFProtect, csrf_token
from app.web.importmap import import_map
from app.web.pages import account as account_pages
from app.web.pages import apps as apps_pages
from app.web.pages import arena as arena_pages
from app.web.pages import evals as evals_pages
from app.web.pages import share as share_pages
from app.web.pages.account import FailedSignIns
from app.web.responses import handle_http_error, handle_toolsmith_error, handle_unexpected
from app.web.streams import OpenStreams
from sandbox.headers import APP_FRAME_ALLOW, APP_SANDBOX, PAGES_PATH, connection_allowlist, permissions_policy

STATIC_DIR = ROOT / "static"
EDITOR_LIBRARIES = STATIC_DIR / "vendor" / "node_modules"
TEMPLATES_DIR = ROOT / "templates"


def main_origin_csp(sandbox_pages: str, import_map: str = "") -> str:
    """Our own pages run only our own scripts and frame nothing but the sandbox host's app pages.

    `import_map` is the hash source of the one inline script allowed: the import map of
    app.web.importmap, which names our vendored modules.
    """
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {import_map}".strip(),
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            # Pinned to the pages of the sandbox host: a preview frame that tries to
            # navigate itself anywhere else is stopped here, whatever the app does.
            f"frame-src {sandbox_pages}",
            "worker-src 'none'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def main_origin_headers(sandbox_pages: str, import_map: str = "") -> dict[str, str]:
    """The headers of every response of the main origin; docs/security.md explains them."""
    return {
        "Content-Security-Policy": main_origin_csp(sandbox_pages, import_map),
        # Chromium: even markup injected into our pages could reach nothing but us and the
        # sandbox host. Our own forms answer with redirects (sign-in, remix), so those are allowed.
        "Connection-Allowlist": connection_allowlist(sandbox_pages, response_origin=True, redirects=True),
        # Denied here, no feature can be granted to the preview frames below.
        "Permissions-Policy": permissions_policy(),
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


class SecurityHeaders:
    """Adds our CSP and companions to every response of the main origin."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class NotStored:
    """Answers depend on who asks: no cache may keep one unless it says otherwise (static files do)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start" and not any(k.lower() == b"cache-control" for k, _ in message.get("headers", [])):
                message["headers"] = [*message.get("headers", []), (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, send_with_header)


class NoNulInAddress:
    """Refuses an address whose path or query carries a NUL character: no name or search here has one,
    and PostgreSQL could not even compare it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")):
            error = BadRequest("The address has a NUL character (%00) in it: check the link.")
            response = await handle_toolsmith_error(Request(scope), error)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RevalidatedStatic(StaticFiles):
    """Static files the browser revalidates (cheaply, by ETag) before each use.

    Entry scripts carry a content hash in their URL, but the modules they import
    do not: without this a browser could mix new and old modules after an upgrade.
    """

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


@lru_cache(maxsize=256)
def _static_hash(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "missing"


def static_url(path: str) -> str:
    """A static file's URL with a content hash, so browsers never run stale code."""
    return f"/static/{path}?v={_static_hash(path)}"


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    """The main service. Without `services`, it opens (and closes) its own."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        own = await Services.open(settings)
        app.state.services = own
        try:
            yield
        finally:
            await own.close()

    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    modules = import_map(EDITOR_LIBRARIES)
    templates.env.globals["import_map"] = modules.text
    templates.env.globals["static_url"] = static_url
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["app_sandbox"] = APP_SANDBOX
    templates.env.globals["app_frame_allow"] = APP_FRAME_ALLOW
    templates.env.globals["viewer"] = lambda request: (who.user if (who := signed_in(request)) else None)
    app = Starlette(
        routes=[
            *apps_pages.routes,
            *account_pages.routes,
            *share_pages.routes,
            *evals_pages.routes,
            *apps_api.routes,
            *data_api.routes,
            *evals_api.routes,
            *arena_pages.routes,
            *arena_api.routes,
            *sharing_api.routes,
            *account_api.routes,
            *openapi_api.routes,
            Mount("/static", RevalidatedStatic(directory=str(STATIC_DIR)), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders, headers=main_origin_headers(settings.resolved_sandbox_url + PAGES_PATH, modules.csp_source if modules.packages else "")),
            Middleware(HostCheck, allowed=hosts_of([settings.resolved_public_url], settings.allowed_hosts), setting="TOOLSMITH_ALLOWED_HOSTS"),
            Middleware(NoNulInAddress),
            Middleware(AuthenticationMiddleware, backend=SessionOrToken(), on_error=refuse_credentials),
            Middleware(CSRFProtect),
            Middleware(NotStored),
        ],
        exception_handlers={ToolsmithError: handle_toolsmith_error, HTTPException: handle_http_error, Exception: handle_unexpected},
        lifespan=lifespan,
    )
    app.state.templates = templates
    app.state.failed_signins = FailedSignIns()
    app.state.streams = OpenStreams(settings.streams_per_person)
    if services is not None:
        app.state.services = services
    return app
