"""The second origin. Generated pages are documents only here, never on the main origin."""

from __future__ import annotations

import time
from html import escape
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import NotFound
from app.generation import partial_page
from app.hosts import HostCheck, hosts_of
from app.services import Services
from app.storage import VersionRecord
from sandbox.addresses import folder_of, key_query
from sandbox.headers import PAGES_PATH, Origins, app_headers, file_headers, origin_of, top_level_headers, vendor_headers
from sandbox.libraries import VENDOR_PATH, VendoredFiles, serve_vendored
from sandbox.pages import PageCache, ServedPage, not_modified
from sandbox.serving import served_page
from sandbox.top_level import FRAMED, SCRIPTS, SCRIPTS_PATH, TOP_LEVEL, is_framed_by_view, is_top_level, top_level_view


def _notice(title: str, text: str, status: int = 200) -> HTMLResponse:
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{escape(title)}</title><style>body{{font:15px system-ui,sans-serif;color:#555;display:grid;"
        "place-items:center;min-height:90vh;margin:0;text-align:center}</style></head>"
        f"<body><p>{escape(text)}</p></body></html>"
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


async def serve_version(request: Request) -> Response:
    """A version's page, for an address that carries a key to it; 404 for any other.

    Two keys open `/v/{token}`: the signature and expiry the owner's editor was given
    (`?exp=…&sig=…`, app.accounts.signing), or a working share link that shows this version now
    (`?share=…`). Other parameters are ignored: the editor adds `_r=N` to reload.
    """
    return await _serve_page(request, request.path_params["token"], dict(request.query_params))


async def serve_folder_page(request: Request) -> Response:
    """A version's page at its folder address, `/v/{token}/{key}/` (sandbox/addresses.py): the key
    in the path opens it as it would in the query, and relative names resolve beside it."""
    key = key_query(request.path_params["key"])
    if key is None:
        raise NotFound("No app is published at this address.")
    query = {k: v for k, v in request.query_params.items() if k not in key and k not in ("exp", "sig", "share")}
    return await _serve_page(request, request.path_params["token"], query | key)


async def _serve_page(request: Request, token: str, query: dict[str, str]) -> Response:
    services: Services = request.app.state.services
    pages = pages_for(request)
    if services.signer.preview_allowed(token, query):
        if not is_top_level(request) and (page := pages.fresh(token)) is not None:
            return _finished(request, page, PRIVATE)
        return await _answer(request, services, pages, await services.store.get_version_by_token(token), PRIVATE)
    if query.get("share"):
        shared = await services.shares.open(query["share"])
        if shared.version.sandbox_token == token:
            # A revoked link must stop at the next load.
            return await _answer(request, services, pages, shared.version, "no-store")
    if services.signer.preview_expired(token, query):
        # Still a 404, as for any address without a working key; the words say what to do.
        return _notice("Preview expired", EXPIRED, 404)
    raise NotFound("No app is published at this address.")


async def serve_file(request: Request) -> Response:
    """A file of a version's folder (an imported folder's app.js), opened by the key its page was
    opened with; 404 for any other key, any other version's file, or any path not stored."""
    services: Services = request.app.state.services
    token, path = request.path_params["token"], request.path_params["path"]
    query = key_query(request.path_params["key"]) or {}
    version: VersionRecord | None = None
    cache_control = PRIVATE
    if services.signer.preview_allowed(token, query):
        version = await services.store.get_version_by_token(token)
    elif query.get("share"):
        shared = await services.shares.open(query["share"])
        # A revoked link must stop at the next load, the page's files with it.
        version, cache_control = (shared.version if shared.version.sandbox_token == token else None), "no-store"
    found = await services.store.files.get(version.files_from, path) if version is not None and version.files_from else None
    if found is None:
        raise NotFound("Nothing is published at this address.")
    request.state.sandbox_kind = FILE
    return Response(found.data, headers={"Content-Type": found.content_type, "Cache-Control": cache_control})


EXPIRED = (
    "This preview address has expired: a private preview opens for an hour. Open the app in Toolsmith "
    "again: its page shows a fresh preview, and its “Open this version in a new tab” button a fresh address. For an address that lasts, make a share link."
)


# The signing purpose of the name an app's data has in the top-level view's browser storage.
RAW_DATA = "raw-address-data"

# A finished version never changes, and its signed address expires within the hour anyway.
PRIVATE = "private, max-age=3600"


async def _answer(request: Request, services: Services, pages: PageCache, version: VersionRecord, cache_control: str) -> Response:
    """The app; or, to a top-level load, the script-free view that frames it (sandbox/top_level.py)."""
    if is_top_level(request):
        app = await services.store.get_app(version.app_id)
        # The app's saved data in this browser goes by a name derived from the app alone: one app's
        # view never opens another's, and the name says nothing of the app's id.
        data_key = services.signer.sign(RAW_DATA, app.id)
        response: Response = top_level_view(request, app.title, data_key, services.settings.app_data_quota)
        if cache_control == "no-store":
            response.headers["Cache-Control"] = cache_control
        return response
    # The frame of a top-level view reports to the view (the files it makes), not to the editor.
    host = services.settings.resolved_sandbox_url if is_framed_by_view(request) else services.settings.resolved_public_url
    if version.status == "generating":
        # The run may be written by another process: `preview` reads it from wherever it is.
        live = await services.live.preview(version.id)
        html = partial_page(live.answer, live.base_html) if live else None
        if html is None:
            return _notice("Writing…", "The page is being written…")
        return HTMLResponse(_served(request.app.state.vendored, html, host), headers={"Cache-Control": "no-store"})
    if not version.html:
        response = _notice("No page", "This version has no page: the model's answer failed.")
        if cache_control == "no-store":
            response.headers["Cache-Control"] = cache_control
        return response
    return _finished(request, pages.page(version.sandbox_token, version.id, version.html), cache_control)


def pages_for(request: Request) -> PageCache:
    """The prepared pages whose bridge reports where this load's does: the editor, or the top-level view."""
    cache: PageCache = request.app.state.view_pages if is_framed_by_view(request) else request.app.state.pages
    return cache


def _finished(request: Request, page: ServedPage, cache_control: str) -> Response:
    headers = {"ETag": page.etag, "Cache-Control": cache_control}
    if not_modified(request.headers.get("if-none-match", ""), page.etag):
        return Response(status_code=304, headers=headers)
    return Response(page.body, headers=headers, media_type="text/html")


def _served(vendored: VendoredFiles, html: str, host: str) -> str:
    return served_page(html, vendored, host)


async def serve_view_script(request: Request) -> Response:
    """One of our scripts of the top-level view (sandbox/top_level.py); nothing else is served here."""
    script = SCRIPTS.get(request.path_params["name"])
    if script is None:
        raise NotFound("Nothing is published at this address.")
    return Response(script.read_bytes(), media_type="text/javascript", headers={"Cache-Control": "no-cache"})


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return _notice("Not found", "Nothing is published at this address.", status)


async def server_error(request: Request, exc: Exception) -> Response:
    return _notice("Error", "Something went wrong serving this page.", 500)


def _encode(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


def _named(headers: list[tuple[bytes, bytes]]) -> tuple[list[tuple[bytes, bytes]], frozenset[bytes]]:
    return headers, frozenset(k for k, _ in headers)


FILE = "file"  # the response kind of a folder's file: AlwaysSandboxed gives it file_headers


class AlwaysSandboxed:
    """Every response of this host, errors included, carries the sandbox headers.

    The headers are this middleware's alone: whatever a route sets under the same
    names is replaced. Which set a response gets depends on its path, or on the
    kind a route declared in `request.state.sandbox_kind` (the top-level view, a folder's file).
    A page at a folder address, and its files, get headers naming that folder alone.
    """

    def __init__(self, app: ASGIApp, origins: Origins) -> None:
        self.app = app
        self.origins = origins
        app_set = _encode(app_headers(origins))
        top_level_set = _encode(top_level_headers(origins, SCRIPTS_PATH))
        # The same address of a page is the top-level view or the app, by Sec-Fetch-Dest.
        vary = [(b"vary", b"Sec-Fetch-Dest")]
        self.app_headers, self.page_headers = _named(app_set), _named(app_set + vary)
        self.top_level_headers, self.top_level_page_headers = _named(top_level_set), _named(top_level_set + vary)
        self.vendor_headers = _named(_encode(vendor_headers(origins)))

    def headers_for(self, scope: Scope) -> tuple[list[tuple[bytes, bytes]], frozenset[bytes]]:
        """The headers for this response, and their names (those a route set are replaced)."""
        page = scope["path"].startswith(PAGES_PATH)
        kind = scope.get("state", {}).get("sandbox_kind")
        if kind == TOP_LEVEL:
            return self.top_level_page_headers if page else self.top_level_headers
        if scope["path"].startswith(VENDOR_PATH):
            return self.vendor_headers
        folder = folder_of(scope["path"]) if page else None
        if folder is not None:
            # Per address, as the key is: a few header strings, cheaper than the store's lookup.
            if kind == FILE:
                return _named(_encode(file_headers(self.origins, folder)))
            return _named([*_encode(app_headers(self.origins, folder)), (b"vary", b"Sec-Fetch-Dest")])
        return self.page_headers if page else self.app_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers, names = self.headers_for(scope)
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message["headers"] = kept + headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise
            scope.setdefault("state", {}).pop("sandbox_kind", None)
            response = _notice("Error", "Something went wrong serving this page.", 500)
            await response(scope, receive, send_with_headers)


class FreshPages:
    """The host's hot path, in front of everything: a finished page at its signed address that the
    cache confirmed within the last minute, answered from its prepared bytes.

    Everything else goes on to `app` (the host check, the sandbox headers and the routes), and so
    does every load this path does not decide the same way `serve_version` would: the top-level
    view (`Sec-Fetch-Dest: document`), the frame of that view, share links, any address whose key
    does not check out, and a Host the check would refuse. What it sends is what those wrappers
    would make of the route's answer, computed once per page (`_headers`), not per request.
    """

    _REMEMBERED = 4096  # signed addresses, and pages' headers, kept at most (each memory starts over past it)

    def __init__(self, app: ASGIApp, services: Services, pages: PageCache, *, hosts: HostCheck, sandboxed: AlwaysSandboxed) -> None:
        self.app = app
        self.services = services
        self.pages = pages
        self.hosts = hosts
        self.sandbox_headers, self.sandbox_names = sandboxed.page_headers
        # (token, query string) -> the `exp` its signature checked out with: a signature is checked
        # once per address, its expiry at every request.
        self._signed: dict[tuple[str, bytes], int] = {}
        self._headers: dict[tuple[str, str], tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(PAGES_PATH):
            page, if_none_match = self._fresh(scope)
            if page is not None:
                full, not_modified_headers = self._headers_of(page)
                if not_modified(if_none_match, page.etag):
                    await send({"type": "http.response.start", "status": 304, "headers": not_modified_headers})
                    await send({"type": "http.response.body", "body": b""})
                else:
                    await send({"type": "http.response.start", "status": 200, "headers": full})
                    await send({"type": "http.response.body", "body": page.body})
                return
        await self.app(scope, receive, send)

    def _headers_of(self, page: ServedPage) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
        """A page's 200 and 304 headers, as AlwaysSandboxed makes them of serve_version's."""
        key = (page.version_id, page.etag)
        made = self._headers.get(key)
        if made is None:
            if len(self._headers) >= self._REMEMBERED:
                self._headers.clear()
            own = [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(page.body)).encode()),
                (b"etag", page.etag.encode()),
                (b"cache-control", PRIVATE.encode()),
            ]
            same = [(b"etag", page.etag.encode()), (b"cache-control", PRIVATE.encode())]

            def sandboxed(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
                return [(k, v) for k, v in headers if k not in self.sandbox_names] + self.sandbox_headers

            made = self._headers[key] = (sandboxed(own), sandboxed(same))
        # Copies: the server may add its own (date, server) to the list it is given.
        return list(made[0]), list(made[1])

    def _fresh(self, scope: Scope) -> tuple[ServedPage | None, str]:
        token = scope["path"][len(PAGES_PATH) :]
        if not token or "/" in token:
            return None, ""
        dest, if_none_match, host = b"", b"", b""
        for name, value in scope["headers"]:
            if name == b"sec-fetch-dest":
                dest = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"host":
                host = value  # the last one, as the host check reads it
        if dest == b"document" or not self.hosts.allows(host):
            return None, ""
        query_string: bytes = scope.get("query_string", b"")
        expires = self._signed.get((token, query_string))
        if expires is None:
            # As Starlette reads a query: the last of a repeated name wins.
            query = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
            if FRAMED in query or not self.services.signer.preview_allowed(token, query):
                return None, ""
            if len(self._signed) >= self._REMEMBERED:
                self._signed.clear()
            expires = self._signed[(token, query_string)] = int(query["exp"])
        elif expires < time.time():
            return None, ""
        return self.pages.fresh(token), if_none_match.decode("latin-1")


def create_sandbox_app(services: Services, vendored: VendoredFiles | None = None) -> ASGIApp:
    """`vendored`: the library files to serve; by default those of `services` (installed by scripts/vendor)."""
    settings = services.settings
    app = Starlette(
        routes=[
            Route("/v/{token}", serve_version),
            Route("/v/{token}/{key}/", serve_folder_page),
            Route("/v/{token}/{key}/{path:path}", serve_file),
            Route(VENDOR_PATH + "{spec:path}", serve_vendored),
            Route(SCRIPTS_PATH + "{name}", serve_view_script),
        ],
        exception_handlers={NotFound: not_found, HTTPException: not_found, Exception: server_error},
    )
    # Addresses here are exact: a redirect would only take a page's request somewhere it did not name.
    app.router.redirect_slashes = False
    app.state.services = services
    app.state.vendored = files = vendored or services.vendored
    app.state.pages = PageCache(lambda html: _served(files, html, settings.resolved_public_url))
    app.state.view_pages = PageCache(lambda html: _served(files, html, settings.resolved_sandbox_url))
    # Its own name only: a rebound attacker's name never reaches a page, even with a valid address.
    checked = HostCheck(app, hosts_of([settings.resolved_sandbox_url]), "TOOLSMITH_SANDBOX_URL")
    sandboxed = AlwaysSandboxed(checked, Origins(main=origin_of(settings.resolved_public_url), sandbox_url=settings.resolved_sandbox_url))
    return FreshPages(sandboxed, services, app.state.pages, hosts=checked, sandboxed=sandboxed)
