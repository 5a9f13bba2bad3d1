"""Cross-site request forgery protection for every state-changing browser request.

Two independent checks, both required for any method but GET, HEAD and OPTIONS:

1. Where it comes from: `Sec-Fetch-Site`, when the browser sends it, must be
   `same-origin`; `Origin`, when sent, must name the host the request went to.
2. A token only our own pages know: HMAC(secret, nonce cookie + session id),
   sent as the `X-CSRF-Token` header by our scripts or as the `csrf_token`
   field of our forms. The nonce cookie makes it work before sign-in too (the
   sign-in form), and the session id in it changes the token at every sign-in.

Requests authenticated by an API token (`Authorization: Bearer`) are exempt: a
browser never adds that header by itself, so no other site can forge one.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import CSRFFailed
from app.services import Services
from app.web.auth import SignedIn, is_https, signed_in
from app.web.responses import handle_toolsmith_error

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NONCE_COOKIE = "toolsmith_csrf"
HEADER = "x-csrf-token"
FIELD = "csrf_token"
_MAX_FORM_BYTES = 64 * 1024


def csrf_token(request: Request) -> str:
    """The token for forms and scripts of the page being rendered."""
    services: Services = request.app.state.services
    who = signed_in(request)
    session_id = who.session_id if who else None
    nonce = request.scope.get("state", {}).get("csrf_nonce")
    return services.signer.csrf_token(nonce, session_id) if nonce else ""


def _origin_problem(headers: Headers) -> str | None:
    site = headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return f"it came from another site (Sec-Fetch-Site: {site})"
    origin = headers.get("origin")
    if origin is not None and urlsplit(origin).netloc.lower() != headers.get("host", "").lower():
        return f"it came from another origin ({origin[:100]})"
    return None


class CSRFProtect:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        nonce = cookie_parser(headers.get("cookie", "")).get(NONCE_COOKIE, "")
        fresh = len(nonce) < 16
        if fresh:
            nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csrf_nonce"] = nonce

        who = scope.get("user")
        if scope["method"] not in SAFE_METHODS and not (isinstance(who, SignedIn) and who.via == "token"):
            problem = _origin_problem(headers)
            if problem is None:
                sent = headers.get(HEADER)
                if sent is None and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                    sent, receive = await _form_field(receive)
                request = Request(scope)
                expected = csrf_token(request)
                if fresh or not sent or not hmac.compare_digest(sent, expected):
                    problem = "its security token is missing or out of date"
            if problem is not None:
                error = CSRFFailed(
                    f"Refused: {problem}. If you were using Toolsmith, reload the page and try again; "
                    "scripts send an API token as “Authorization: Bearer TOKEN” instead."
                )
                response = await handle_toolsmith_error(Request(scope), error)
                await response(scope, receive, send)
                return

        if not fresh:
            await self.app(scope, receive, send)
            return
        services: Services = scope["app"].state.services
        cookie = f"{NONCE_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if is_https(services.settings) else "")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _form_field(receive: Receive) -> tuple[str | None, Receive]:
    """The csrf_token field of a form body, and a `receive` that hands the body on unchanged."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > _MAX_FORM_BYTES or not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    if size > _MAX_FORM_BYTES:
        return None, replay
    values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD)
    return (values[0] if values else None), replay
