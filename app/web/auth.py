"""Who is asking: a browser with a session cookie, or a script with an API token.

`SessionOrToken` runs for every request of the main origin (Starlette's
AuthenticationMiddleware) and leaves `request.user` a `SignedIn` or anonymous.
Routes then ask `require_user(request)`; whose app it is they ask the store.
"""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from app.accounts import SESSION_LIFETIME, UserRecord
from app.errors import Unauthorized
from app.services import Services
from app.settings import Settings


def is_https(settings: Settings) -> bool:
    return settings.resolved_public_url.startswith("https://")


def session_cookie_name(settings: Settings) -> str:
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and for
    # the whole site, so no sibling domain can plant one; it needs https.
    return "__Host-toolsmith_session" if is_https(settings) else "toolsmith_session"


class SignedIn(BaseUser):
    def __init__(self, user: UserRecord, via: str, session_id: str | None = None) -> None:
        self.user = user
        self.via = via  # "session" or "token"
        self.session_id = session_id

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.user.display_name

    @property
    def identity(self) -> str:
        return self.user.id


class SessionOrToken(AuthenticationBackend):
    """An `Authorization: Bearer` API token wins; otherwise the signed session cookie, if any.

    A token that is sent but does not work is refused outright (401), never taken
    for "nobody": a script should learn that its token is wrong. Other schemes are
    not ours (a proxy's Basic credentials in front of Toolsmith) and are ignored.
    """

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        services: Services = conn.app.state.services
        scheme, _, value = conn.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            if not value.strip():
                raise AuthenticationError("Send an API token as “Authorization: Bearer TOKEN”; `toolsmith tokens create` makes one.")
            try:
                user = await services.accounts.token_user(value.strip())
            except Unauthorized as exc:
                raise AuthenticationError(exc.message) from None
            return AuthCredentials(["authenticated"]), SignedIn(user, "token")
        cookie = conn.cookies.get(session_cookie_name(services.settings))
        if cookie:
            session_id = services.signer.session_id(cookie)
            if session_id is not None and (by_session := await services.accounts.session_user(session_id)) is not None:
                return AuthCredentials(["authenticated"]), SignedIn(by_session, "session", session_id)
        return None


def refuse_credentials(conn: HTTPConnection, exc: Exception) -> Response:
    return JSONResponse(
        {"error": {"code": "unauthorized", "message": str(exc)}},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"', "Cache-Control": "no-store"},
    )


def signed_in(request: Request) -> SignedIn | None:
    user = request.scope.get("user")
    return user if isinstance(user, SignedIn) else None


def require_user(request: Request) -> UserRecord:
    """The signed-in user; Unauthorized (a sign-in redirect for pages) when nobody is."""
    who = signed_in(request)
    if who is None:
        raise Unauthorized("Sign in first, or send an API token as “Authorization: Bearer TOKEN”.")
    return who.user


async def start_session(response: Response, services: Services, user: UserRecord) -> None:
    """Sign `user` in on this browser: a new session and its cookie."""
    session_id = await services.accounts.create_session(user.id)
    response.set_cookie(
        session_cookie_name(services.settings),
        services.signer.session_cookie(session_id),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        secure=is_https(services.settings),
        samesite="lax",
    )


async def end_session(request: Request, response: Response, services: Services) -> None:
    who = signed_in(request)
    if who is not None and who.session_id is not None:
        await services.accounts.end_session(who.session_id)
    response.delete_cookie(session_cookie_name(services.settings), path="/", httponly=True, secure=is_https(services.settings), samesite="lax")
