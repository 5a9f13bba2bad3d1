"""Share links through the JSON API: the owner's list, create and revoke; anyone's view and remix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.accounts import Shared
from app.errors import BadRequest
from app.services import Services
from app.storage import MAX_INTEGER
from app.versions import remix
from app.web.api.described import BOOLEAN, ApiRoute, Operation, array, nullable, obj, ref
from app.web.auth import require_user
from app.web.requests import json_body, owned_app, services_of, version_json

MAX_EXPIRY = timedelta(days=3650)


def shared_json(services: Services, shared: Shared) -> dict[str, Any]:
    """What anyone with the link may see: the page, its title and, if they chose, its author. No prompts."""
    token = shared.share.token
    return {
        "title": shared.app.title,
        "author": shared.author,
        "version": shared.version.number,
        "html": shared.version.html,
        "expires_at": shared.share.expires_at.isoformat() if shared.share.expires_at else None,
        "frame_url": services.share_frame_url(shared),
        "page_url": f"{services.settings.resolved_public_url}/s/{token}",
        "download_url": f"{services.settings.resolved_public_url}/s/{token}/download",
    }


def _share_options(body: dict[str, Any]) -> tuple[int | None, bool, datetime | None]:
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_INTEGER):
        raise BadRequest("“version” must be a version number, or null to share the newest finished version.")
    show_author = body.get("show_author", False)
    if not isinstance(show_author, bool):
        raise BadRequest("“show_author” must be true or false.")
    expires_in = body.get("expires_in")
    expires_at = None
    if expires_in is not None:
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or not 60 <= expires_in <= MAX_EXPIRY.total_seconds():
            raise BadRequest("“expires_in” must be a number of seconds from 60 to ten years, or null for a link that does not expire.")
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
    return version, show_author, expires_at


async def list_shares(request: Request) -> JSONResponse:
    services = services_of(request)
    app = await owned_app(request)
    url = services.settings.resolved_public_url
    return JSONResponse({"shares": [s.to_json(url) for s in await services.shares.list_for_app(app.id)]})


async def create_share(request: Request) -> JSONResponse:
    services = services_of(request)
    app = await owned_app(request)
    version, show_author, expires_at = _share_options(await json_body(request))
    share = await services.shares.create(app.id, version_number=version, show_author=show_author, expires_at=expires_at)
    return JSONResponse({"share": share.to_json(services.settings.resolved_public_url)}, status_code=201)


async def revoke_share(request: Request) -> JSONResponse:
    services = services_of(request)
    app = await owned_app(request)
    share = await services.shares.revoke(app.id, request.path_params["share_id"])
    return JSONResponse({"share": share.to_json(services.settings.resolved_public_url)})


async def get_shared(request: Request) -> JSONResponse:
    services = services_of(request)
    shared = await services.shares.open(request.path_params["token"])
    return JSONResponse({"shared": shared_json(services, shared)})


async def remix_shared(request: Request) -> JSONResponse:
    """A copy of the shared page as version 1 of a new app of whoever asks."""
    user = require_user(request)
    services = services_of(request)
    shared = await services.shares.open(request.path_params["token"])
    app, version = await remix(services.store, shared, owner_id=user.id)
    return JSONResponse({"app": app.to_json(), "version": await version_json(services, version), "editor_url": f"/apps/{app.id}"}, status_code=201)


SHARE_ANSWER = obj({"share": ref("Share")}, required=["share"], extra=False)

routes = [
    ApiRoute("/api/apps/{app_id}/shares", list_shares, doc=Operation("The app's share links, newest first, revoked ones too", answers={200: obj({"shares": array(ref("Share"))}, required=["shares"], extra=False)}, tag="sharing")),
    ApiRoute(
        "/api/apps/{app_id}/shares",
        create_share,
        methods=["POST"],
        doc=Operation(
            "A new share link",
            body=obj(
                {
                    "version": nullable({"type": "integer", "minimum": 1, "description": "a pinned version; null: the newest finished one"}),
                    "expires_in": nullable({"type": "integer", "minimum": 60, "maximum": int(MAX_EXPIRY.total_seconds()), "description": "seconds; null: never"}),
                    "show_author": BOOLEAN,
                }
            ),
            answers={201: SHARE_ANSWER},
            tag="sharing",
        ),
    ),
    ApiRoute("/api/apps/{app_id}/shares/{share_id}", revoke_share, methods=["DELETE"], doc=Operation("Revoke a share link, at once, everywhere", answers={200: SHARE_ANSWER}, tag="sharing")),
    ApiRoute("/api/shares/{token}", get_shared, doc=Operation("What a share link shows (no sign-in needed)", answers={200: obj({"shared": ref("Shared")}, required=["shared"], extra=False)}, public=True, tag="sharing")),
    ApiRoute("/api/shares/{token}/remix", remix_shared, methods=["POST"], doc=Operation("A copy of the shared page as a new app of yours", answers={201: ref("Created")}, tag="sharing")),
]
