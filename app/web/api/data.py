"""The JSON API of what apps keep in localStorage: the owner's copy of their app, a signed-in viewer's of a shared one.

The slot is always the person asking, never a name the request carries: the owner's editor
reads and writes the owner's data, a viewer's share page the viewer's (docs/security.md).
"""

from __future__ import annotations

from starlette.requests import Request

from app.appdata import MAX_KEYS, check_items
from app.web.api.described import INTEGER, STRING, TIME, ApiRoute, Operation, nullable, obj
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
    body = await json_body(request, body_limit(services.settings.app_data_quota), any_text=True)
    items = check_items(body.get("local"), services.settings.app_data_quota)
    saved = await services.appdata.put(app_id, user_id, items)
    return AsciiJSONResponse(saved.to_json(services.settings.app_data_quota))


async def clear_data(request: Request) -> AsciiJSONResponse:
    services = services_of(request)
    app_id, user_id = await _slot(request)
    await services.appdata.clear(app_id, user_id)
    return AsciiJSONResponse((await services.appdata.get(app_id, user_id)).to_json(services.settings.app_data_quota))


SAVED = obj(
    {
        "local": obj({}, description="what the app keeps in localStorage: each key's string"),
        "chars": INTEGER,
        "quota": INTEGER,
        "updated_at": nullable(TIME),
    },
    required=["local", "chars", "quota", "updated_at"],
    extra=False,
    description="What an app keeps for one person, and how much of the quota (in UTF-16 characters) it uses.",
)
SAVED["properties"]["local"]["additionalProperties"] = STRING
BODY = obj({"local": obj({}, description="the whole of what to keep: keys and values are strings")}, required=["local"])


def _routes(path: str, whose: str, tag: str) -> list[ApiRoute]:
    return [
        ApiRoute(path, get_data, doc=Operation(f"What the app keeps in localStorage for {whose}", answers={200: SAVED}, tag=tag)),
        ApiRoute(path, put_data, methods=["PUT"], doc=Operation(f"Replace what the app keeps for {whose}", body=BODY, answers={200: SAVED}, errors=(413,), tag=tag)),
        ApiRoute(path, clear_data, methods=["DELETE"], doc=Operation(f"Clear what the app keeps for {whose}", answers={200: SAVED}, tag=tag)),
    ]


routes = [*_routes("/api/apps/{app_id}/data", "you, its owner", "apps"), *_routes("/api/shares/{token}/data", "you, a signed-in viewer of the link", "sharing")]
