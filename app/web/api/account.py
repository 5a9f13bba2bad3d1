"""The signed-in person's own account through the JSON API: who am I, name, password, API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.accounts import UserRecord
from app.errors import BadRequest, Forbidden
from app.web.api.described import STRING, ApiRoute, Operation, array, nullable, obj, ref
from app.web.auth import require_user, signed_in, start_session
from app.web.requests import json_body, services_of


def _require_browser_session(request: Request, what: str) -> UserRecord:
    """Some things need the person, not a script: an API token cannot make more tokens or change the password."""
    user = require_user(request)
    who = signed_in(request)
    if who is None or who.via != "session":
        raise Forbidden(f"{what} needs you signed in in the browser; on the server, `toolsmith tokens create` and `toolsmith users password` do it too.")
    return user


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"user": require_user(request).to_json()})


async def update_me(request: Request) -> JSONResponse:
    user = require_user(request)
    body = await json_body(request)
    updated = await services_of(request).accounts.set_display_name(user.id, body.get("display_name"))
    return JSONResponse({"user": updated.to_json()})


async def change_password(request: Request) -> JSONResponse:
    """Set a new password (the current one is needed when there is one); every other session ends."""
    user = _require_browser_session(request, "Changing the password")
    services = services_of(request)
    body = await json_body(request)
    current, new = body.get("current"), body.get("new")
    if user.has_password and (not isinstance(current, str) or await services.accounts.check_password(user.username, current) is None):
        raise BadRequest("The current password is not right.")
    if not isinstance(new, str):
        raise BadRequest("Send the new password as “new”.")
    await services.accounts.set_password(user.id, new)
    response = JSONResponse({"user": (await services.accounts.get_user(user.id)).to_json()})
    await start_session(response, services, user)  # this browser stays signed in
    return response


async def list_tokens(request: Request) -> JSONResponse:
    user = require_user(request)
    tokens = await services_of(request).accounts.list_tokens(user.id)
    return JSONResponse({"tokens": [t.to_json() for t in tokens]})


async def create_token(request: Request) -> JSONResponse:
    """A new API token; its secret is in this answer only."""
    user = _require_browser_session(request, "Making an API token")
    body = await json_body(request)
    name, expires_in = body.get("name", ""), body.get("expires_in")
    if not isinstance(name, str) or len(name) > 100:
        raise BadRequest("“name” must be text of at most 100 characters.")
    expires_at = None
    if expires_in is not None:
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in < 60:
            raise BadRequest("“expires_in” must be a number of seconds (at least 60), or null for a token that does not expire.")
        expires_at = datetime.now(UTC) + timedelta(seconds=min(expires_in, 3650 * 86400))
    record, secret = await services_of(request).accounts.create_token(user.id, name, expires_at)
    return JSONResponse({"token": record.to_json(), "secret": secret}, status_code=201)


async def revoke_token(request: Request) -> JSONResponse:
    user = require_user(request)
    record = await services_of(request).accounts.revoke_token(request.path_params["token_id"], user.id)
    return JSONResponse({"token": record.to_json()})


USER_ANSWER = obj({"user": ref("User")}, required=["user"], extra=False)
TOKEN_ANSWER = obj({"token": ref("Token")}, required=["token"], extra=False)

routes = [
    ApiRoute("/api/me", me, doc=Operation("Who you are", answers={200: USER_ANSWER}, tag="account")),
    ApiRoute("/api/me", update_me, methods=["PATCH"], doc=Operation("Change your display name", body=obj({"display_name": {"type": "string", "minLength": 1, "maxLength": 100}}, required=["display_name"]), answers={200: USER_ANSWER}, tag="account")),
    ApiRoute(
        "/api/me/password",
        change_password,
        methods=["POST"],
        doc=Operation("Set a new password; ends your other sessions (browser session only)", body=obj({"current": nullable(STRING), "new": {"type": "string", "minLength": 8}}, required=["new"]), answers={200: USER_ANSWER}, tag="account"),
    ),
    ApiRoute("/api/tokens", list_tokens, doc=Operation("Your API tokens", answers={200: obj({"tokens": array(ref("Token"))}, required=["tokens"], extra=False)}, tag="account")),
    ApiRoute(
        "/api/tokens",
        create_token,
        methods=["POST"],
        doc=Operation(
            "A new API token; its secret is in this answer only (browser session only)",
            body=obj({"name": {"type": "string", "maxLength": 100}, "expires_in": nullable({"type": "integer", "minimum": 60})}),
            answers={201: obj({"token": ref("Token"), "secret": STRING}, required=["token", "secret"], extra=False)},
            tag="account",
        ),
    ),
    ApiRoute("/api/tokens/{token_id}", revoke_token, methods=["DELETE"], doc=Operation("Revoke an API token", answers={200: TOKEN_ANSWER}, tag="account")),
]
