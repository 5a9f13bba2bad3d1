"""The JSON API: everything the pages do, for scripts too. See docs/api.md."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.errors import BadRequest, InvalidJSON, NotFound
from app.services import Services
from app.storage import VersionRecord
from app.versions import export_app, import_export, is_export
from app.web.auth import require_user
from app.web.requests import MAX_IMPORT_BYTES, apps_json, download_name, json_body, owned_app, page_download, services_of, version_json, versions_json


def _stream_url(app_id: str, number: int) -> str:
    return f"/api/apps/{app_id}/versions/{number}/stream"


def _number(request: Request) -> int:
    raw = request.path_params["number"]
    if not raw.isdigit():
        raise NotFound(f"There is no version {raw!r}: versions are numbered 1, 2, 3…")
    return int(raw)


async def list_models(request: Request) -> JSONResponse:
    require_user(request)
    services = services_of(request)
    return JSONResponse({"models": [m.to_json() for m in services.registry.list()], "default": services.settings.resolved_default_model})


async def list_apps(request: Request) -> JSONResponse:
    user = require_user(request)
    services = services_of(request)
    summaries = await services.store.list_apps(user.id, query=request.query_params.get("q", ""))
    return JSONResponse({"apps": await apps_json(services, summaries)})


async def create_app(request: Request) -> JSONResponse:
    user = require_user(request)
    services = services_of(request)
    body = await json_body(request)
    app, version = await services.generator.create_app(body.get("prompt"), body.get("model"), owner_id=user.id)
    return JSONResponse(
        {"app": app.to_json(), "version": await version_json(services, version), "stream_url": _stream_url(app.id, 1), "editor_url": f"/apps/{app.id}"},
        status_code=202,
    )


async def get_app(request: Request) -> JSONResponse:
    services = services_of(request)
    app = await owned_app(request)
    versions = await services.store.list_versions(app.id)
    return JSONResponse({"app": app.to_json(), "versions": await versions_json(services, versions)})


async def create_version(request: Request) -> JSONResponse:
    services = services_of(request)
    app_id = (await owned_app(request)).id
    body = await json_body(request)
    version = await services.generator.follow_up(
        app_id,
        body.get("prompt"),
        body.get("model"),
        body.get("parent"),
        errors=body.get("errors"),
        automatic=body.get("automatic"),
        selection=body.get("selection"),
    )
    return JSONResponse({"version": await version_json(services, version), "stream_url": _stream_url(app_id, version.number)}, status_code=202)


async def continue_version(request: Request) -> JSONResponse:
    services = services_of(request)
    app_id = (await owned_app(request)).id
    body = await json_body(request, empty_ok=True)
    version = await services.generator.continue_version(app_id, _number(request), body.get("model"))
    return JSONResponse({"version": await version_json(services, version), "stream_url": _stream_url(app_id, version.number)}, status_code=202)


async def hand_edit(request: Request) -> JSONResponse:
    services = services_of(request)
    app_id = (await owned_app(request)).id
    body = await json_body(request)
    version = await services.versioning.hand_edit(app_id, _number(request), body.get("html"), body.get("note"))
    return JSONResponse({"version": await version_json(services, version, with_html=True)}, status_code=201)


async def restore_version(request: Request) -> JSONResponse:
    services = services_of(request)
    version = await services.versioning.restore((await owned_app(request)).id, _number(request))
    return JSONResponse({"version": await version_json(services, version, with_html=True)}, status_code=201)


async def diff_versions(request: Request) -> JSONResponse:
    services = services_of(request)
    app_id = (await owned_app(request)).id
    numbers = []
    for name in ("from", "to"):
        raw = request.query_params.get(name, "")
        if not raw.isdigit():
            raise BadRequest(f"Give the two versions to compare as ?from=1&to=2 (“{name}” is missing or not a number).")
        numbers.append(int(raw))
    return JSONResponse(await services.versioning.diff(app_id, *numbers))


async def get_version(request: Request) -> JSONResponse:
    services = services_of(request)
    version = await services.store.get_version((await owned_app(request)).id, _number(request))
    return JSONResponse({"version": await version_json(services, version, with_html=True)})


async def download_version(request: Request) -> Response:
    """The version's page as one standalone .html file (app.versions.download)."""
    app = await owned_app(request)
    version = await services_of(request).store.get_version(app.id, _number(request))
    if not version.html:
        raise NotFound(f"Version {version.number} has no page to download.")
    return await page_download(services_of(request), version.html, app.title, download_name(app.title, f"-v{version.number}.html"))


async def version_screenshot(request: Request) -> Response:
    """The thumbnail the version's check took (a small PNG at laptop width)."""
    services = services_of(request)
    version = await services.store.get_version((await owned_app(request)).id, _number(request))
    shot = await services.checks.records.screenshot(version.id)
    if shot is None:
        raise NotFound(f"Version {version.number} has no screenshot: its check has not run, or found no page to draw.")
    # A version's page never changes, so neither does its picture, once taken.
    return Response(shot, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


async def export(request: Request) -> Response:
    """The app with its whole history as one JSON file; POST /api/import restores it."""
    services = services_of(request)
    app = await owned_app(request)
    data = export_app(app, await services.store.list_versions(app.id))
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{download_name(app.title, ".toolsmith.json")}"'})


async def stream_version(request: Request) -> EventSourceResponse:
    """Server-Sent Events of one version: status, deltas, then done or error.

    Events are numbered; a client reconnecting with Last-Event-ID gets the rest.
    A version that is already finished answers at once with its final event.
    """
    services = services_of(request)
    version = await services.store.get_version((await owned_app(request)).id, _number(request))
    header = request.headers.get("last-event-id", "")
    after = int(header) if header.isdigit() else 0
    return EventSourceResponse(_version_events(services, version, after), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _version_events(services: Services, version: VersionRecord, after: int) -> AsyncIterator[ServerSentEvent]:
    events = services.live.follow(version.id, after)
    last_id = after
    if events is not None:
        async for event in events:
            last_id = event.id
            if event.name == "finished":
                break
            yield ServerSentEvent(data=json.dumps(event.data), event=event.name, id=str(event.id))
    else:
        # Not running in this process: wait for another process to finish it, if any.
        while version.status == "generating":
            await asyncio.sleep(1.0)
            version = await services.store.get_version_by_id(version.id)
    final = await services.store.get_version_by_id(version.id)
    payload: dict[str, Any] = {"version": await version_json(services, final, with_html=True)}
    name = "done"
    if final.status == "failed":
        name = "error"
        payload["error"] = {"code": "generation_failed", "message": final.error or "This version failed."}
    yield ServerSentEvent(data=json.dumps(payload), event=name, id=str(last_id + 1))


async def import_page(request: Request) -> JSONResponse:
    """A page as version 1 of a new app (`{"html", "title"}`), or a whole exported app (`{"export"}`)."""
    user = require_user(request)
    services = services_of(request)
    body = await json_body(request, MAX_IMPORT_BYTES)
    if "export" in body:
        if not is_export(body["export"]):
            raise InvalidJSON("“export” must be the JSON of a Toolsmith export (GET /api/apps/ID/export).")
        app = await import_export(services.store, body["export"], owner_id=user.id, max_html_bytes=services.settings.max_html_bytes)
        versions = await services.store.list_versions(app.id)
        return JSONResponse({"app": app.to_json(), "version": await version_json(services, versions[-1]), "editor_url": f"/apps/{app.id}"}, status_code=201)
    app, version = await services.versioning.import_page(body.get("html"), body.get("title"), owner_id=user.id)
    return JSONResponse({"app": app.to_json(), "version": await version_json(services, version), "editor_url": f"/apps/{app.id}"}, status_code=201)


routes = [
    Route("/api/models", list_models),
    Route("/api/apps", list_apps, methods=["GET"]),
    Route("/api/apps", create_app, methods=["POST"]),
    Route("/api/apps/{app_id}", get_app),
    Route("/api/apps/{app_id}/versions", create_version, methods=["POST"]),
    Route("/api/apps/{app_id}/versions/{number}", get_version),
    Route("/api/apps/{app_id}/versions/{number}/stream", stream_version),
    Route("/api/apps/{app_id}/versions/{number}/continue", continue_version, methods=["POST"]),
    Route("/api/apps/{app_id}/versions/{number}/hand-edit", hand_edit, methods=["POST"]),
    Route("/api/apps/{app_id}/versions/{number}/restore", restore_version, methods=["POST"]),
    Route("/api/apps/{app_id}/diff", diff_versions),
    Route("/api/apps/{app_id}/versions/{number}/download", download_version),
    Route("/api/apps/{app_id}/versions/{number}/screenshot", version_screenshot),
    Route("/api/apps/{app_id}/export", export),
    Route("/api/import", import_page, methods=["POST"]),
]
