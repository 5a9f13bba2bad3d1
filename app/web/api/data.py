"""The JSON API of what apps keep in localStorage: the owner's copy of their app, a signed-in viewer's of a shared one.

The slot is always the person asking, never a name the request carries: the owner's editor
reads and writes the owner's data, a viewer's share page the viewer's (docs/security.md).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from app.appdata import MAX_KEYS, check_items
from app.web.auth import require_user
from app.web.requests import MAX_BODY_BYTES, json_body, owned_app, services_of
from app.web.responses import AsciiJSONResponse


def body_limit(quota: int) -> int:
    """Bytes of JSON that can carry `quota` characters, each escaped as \\uXXXX at worst."""
    return max(MAX_BODY_BYTES, 6 * quota + 16 * MAX_KEYS + 1000)


async def _slot(request: Request) -> tuple[str, str]:
    """(app id, user id) of the data this request may touch: NotFound or Unauthorized otherwise."""
    if "app_id" in request.path_params:
        app = await owned_app(request)
        return app.id, require_user(request).id
    user = require_user(request)
    shared = await services_of(request).shares.open(request.path_params["token"])
    return shared.app.id, user.id


async def get_data(request: Request) -> AsciiJSONResponse:
    services = services_of(request)
    app_id, user_id = await _slot(request)
    saved = await services.appdata.get(app_id, user_id)
    return AsciiJSONResponse(saved.to_json(services.settings.app_data_quota), headers={"Cache-Control": "no-store"})


async def put_data(request: Request) -> AsciiJSONResponse:
    """`{"local": {key: value}}` replaces what was kept; checked whole before anything is written."""
    services = services_of(request)
    app_id, user_id = await _slot(request)
    body = await json_body(request, body_limit(services.settings.app_data_quota))
    items = check_items(body.get("local"), services.settings.app_data_quota)
    saved = await services.appdata.put(app_id, user_id, items)
    return AsciiJSONResponse(saved.to_json(services.settings.app_data_quota))


async def clear_data(request: Request) -> AsciiJSONResponse:
    services = services_of(request)
    app_id, user_id = await _slot(request)
    await services.appdata.clear(app_id, user_id)
    return AsciiJSONResponse((await services.appdata.get(app_id, user_id)).to_json(services.settings.app_data_quota))


routes = [
    Route("/api/apps/{app_id}/data", get_data, methods=["GET"]),
    Route("/api/apps/{app_id}/data", put_data, methods=["PUT"]),
    Route("/api/apps/{app_id}/data", clear_data, methods=["DELETE"]),
    Route("/api/shares/{token}/data", get_data, methods=["GET"]),
    Route("/api/shares/{token}/data", put_data, methods=["PUT"]),
    Route("/api/shares/{token}/data", clear_data, methods=["DELETE"]),
]
