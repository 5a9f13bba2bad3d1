"""The JSON API: everything the pages do, for scripts too. See docs/api.md."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.appdata import check_items
from app.errors import BadRequest, BundleTooLarge, Conflict, InvalidAppData, InvalidJSON, NotFound
from app.services import Services
from app.storage import VersionRecord, as_number
from app.versions import MAX_ZIP_BYTES, check_title, export_app, import_export, is_export, read_zip
from app.web.api.described import BINARY, BOOLEAN, HTML, SSE, STRING, ZIP, ApiRoute, Operation, Query, array, nullable, obj, ref
from app.web.api.schemas import RUNTIME_ERROR, SELECTION
from app.web.auth import require_user
from app.web.requests import MAX_IMPORT_BYTES, MAX_VERSIONS_PAGE, VERSIONS_PAGE, apps_json, download_name, json_body, owned_app, page_download, services_of, version_json, versions_page
from app.web.responses import AsciiJSONResponse
from app.web.streams import OpenStreams


def _stream_url(app_id: str, number: int) -> str:
    return f"/api/apps/{app_id}/versions/{number}/stream"


def last_event_id(request: Request) -> int:
    """Where a reconnecting EventSource left off (its Last-Event-ID header); 0 for a first connection."""
    header = request.headers.get("last-event-id", "")
    return int(header) if header.isascii() and header.isdigit() and len(header) < 19 else 0


def _number(request: Request) -> int:
    raw = request.path_params["number"]
    number = as_number(raw)
    if number is None:
        raise NotFound(f"There is no version {raw[:40]!r}: versions are numbered 1, 2, 3…")
    return number


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


async def create_app_streaming(request: Request) -> EventSourceResponse:
    """`POST /api/apps` and its stream in one answer: a `created` event with what `POST /api/apps`
    answers, then the version's events. One request instead of two, so the first delta reaches the
    client as soon as the model sends it; `stream_url` still resumes it with Last-Event-ID."""
    user = require_user(request)
    services = services_of(request)
    body = await json_body(request)
    streams: OpenStreams = request.app.state.streams
    streams.acquire(user.id)  # before anything is written: a refused stream starts no app
    try:
        app, version = await services.generator.create_app(body.get("prompt"), body.get("model"), owner_id=user.id)
        started = {"app": app.to_json(), "version": await version_json(services, version), "stream_url": _stream_url(app.id, 1), "editor_url": f"/apps/{app.id}"}
    except BaseException:
        streams.release(user.id)
        raise
    created = ServerSentEvent(data=json.dumps(started), event="created")
    return version_events(request, services, version, first=created, acquired=True)


async def get_app(request: Request) -> JSONResponse:
    """The app and its newest VERSIONS_PAGE versions (all of them, for all but the longest histories)."""
    services = services_of(request)
    app = await owned_app(request)
    return JSONResponse({"app": app.to_json(), **await versions_page(services, app.id, VERSIONS_PAGE)})


async def list_versions(request: Request) -> JSONResponse:
    """`?before=N&limit=M`: the M newest versions below N, oldest first; the way to walk a long history."""
    services = services_of(request)
    app = await owned_app(request)
    before_text, limit_text = request.query_params.get("before"), request.query_params.get("limit")
    before = as_number(before_text) if before_text is not None else None
    limit = as_number(limit_text) if limit_text is not None else VERSIONS_PAGE
    if (before_text is not None and before is None) or limit is None or not 1 <= limit <= MAX_VERSIONS_PAGE:
        raise BadRequest(f"Ask for ?before=N (a version number) and ?limit=M (1 to {MAX_VERSIONS_PAGE}).")
    return JSONResponse({"app": app.to_json(), **await versions_page(services, app.id, limit, before)})


async def rename_app(request: Request) -> JSONResponse:
    """`{"title"}`: the owner's name for the app; the page's <title> no longer renames it."""
    services = services_of(request)
    app = await owned_app(request)
    body = await json_body(request)
    renamed = await services.store.rename_app(app.id, check_title(body.get("title")))
    return JSONResponse({"app": renamed.to_json()})


async def keep_app(request: Request) -> JSONResponse:
    """An app an eval run made, kept among the person's own apps (an arena side is kept from its match)."""
    services = services_of(request)
    app = await owned_app(request)
    if app.purpose == "arena":
        raise Conflict("This app is a side of an arena match: keep it from the match, once you have voted.")
    kept = app if app.purpose == "own" else await services.store.set_purpose(app.id, "own")
    return JSONResponse({"app": kept.to_json()})


async def delete_app(request: Request) -> Response:
    """The app, its versions, share links and stored data, gone; a version being written is stopped first."""
    services = services_of(request)
    app = await owned_app(request)
    await services.generator.stop_all(app.id)
    await services.store.delete_app(app.id)
    return Response(status_code=204)


async def stop_version(request: Request) -> JSONResponse:
    """Stops the version being written; it keeps its prompt and what was written so far (status `stopped`)."""
    services = services_of(request)
    version = await services.generator.stop((await owned_app(request)).id, _number(request))
    return JSONResponse({"version": await version_json(services, version, with_html=True)})


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
        number = as_number(request.query_params.get(name, ""))
        if number is None:
            raise BadRequest(f"Give the two versions to compare as ?from=1&to=2 (“{name}” is missing or not a number).")
        numbers.append(number)
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
    return await page_download(services_of(request), version, app.title, download_name(app.title, f"-v{version.number}.html"))


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
    """The app with its whole history as one JSON file; POST /api/import restores it.

    With `?data=1` it carries what the app keeps in localStorage for the owner, too.
    """
    services = services_of(request)
    app = await owned_app(request)
    history = await services.store.list_versions(app.id)
    owners = dict.fromkeys(v.files_from for v in history if v.files_from is not None)
    data = export_app(app, history, {owner: await services.store.files.all(owner) for owner in owners})
    if request.query_params.get("data") in ("1", "true", "yes"):
        data["data"] = {"local": (await services.appdata.get(app.id, require_user(request).id)).items}
    return AsciiJSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{download_name(app.title, ".toolsmith.json")}"'})


async def stream_version(request: Request) -> EventSourceResponse:
    """Server-Sent Events of one version: status, deltas, then done or error.

    Events are numbered; a client reconnecting with Last-Event-ID gets the rest.
    A version that is already finished answers at once with its final event.
    """
    services = services_of(request)
    version = await services.store.get_version((await owned_app(request)).id, _number(request))
    return version_events(request, services, version)


HEARTBEAT_SECONDS = 15  # a comment line that keeps proxies from closing a quiet stream

Describe = Callable[[VersionRecord], Awaitable[dict[str, Any]]]


def version_events(
    request: Request,
    services: Services,
    version: VersionRecord,
    describe: Describe | None = None,
    *,
    first: ServerSentEvent | None = None,
    acquired: bool = False,
) -> EventSourceResponse:
    """The stream of one version, from the request's Last-Event-ID on; `describe` turns the final
    version into the JSON its last event carries (by default, all of it: the arena shows less before
    its vote); `first`, an event sent before the version's own. Each open stream counts toward the
    person's limit (TOOLSMITH_STREAMS_PER_PERSON); `acquired` when the caller has counted it already."""
    user = require_user(request)
    streams: OpenStreams = request.app.state.streams
    if not acquired:
        streams.acquire(user.id)
    idle = services.settings.stream_idle_timeout

    async def everything(final: VersionRecord) -> dict[str, Any]:
        return await version_json(services, final, with_html=True)

    events = _version_events(services, version, last_event_id(request), idle, describe or everything, release=lambda: streams.release(user.id), first=first)
    return EventSourceResponse(
        events,
        ping=HEARTBEAT_SECONDS,
        # A client that takes no bytes for this long is gone or stuck: its connection is closed, and with it what waited to be sent.
        send_timeout=idle,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _version_events(
    services: Services,
    version: VersionRecord,
    after: int,
    idle: float,
    describe: Describe,
    *,
    release: Callable[[], None],
    first: ServerSentEvent | None = None,
) -> AsyncIterator[ServerSentEvent]:
    """The stream's events; it ends early, without a final event, after `idle` seconds with nothing to send.

    A client that reconnects then with Last-Event-ID carries on where it was.
    """
    try:
        if first is not None:
            yield first
        followed = services.live.follow(version.id, after)
        last_id = after
        if followed is not None:
            events = aiter(followed)
            loop = asyncio.get_running_loop()
            # One timer for the whole stream, moved on at each event: asyncio.wait_for would make a
            # task of every wait, a cost paid for every delta of every stream. It runs only while
            # the stream waits for its next event, not while one is being sent.
            try:
                async with asyncio.timeout(None) as waiting:
                    while True:
                        waiting.reschedule(loop.time() + idle)
                        try:
                            event = await anext(events)
                        except StopAsyncIteration:
                            break
                        waiting.reschedule(None)
                        last_id = event.id
                        if event.name == "finished":
                            break
                        yield ServerSentEvent(data=json.dumps(event.data), event=event.name, id=str(event.id))
            except TimeoutError:
                return
        else:
            # Not running in this process: wait for another process to finish it, if any.
            waited = 0.0
            while version.status == "generating":
                if waited >= idle:
                    return
                await asyncio.sleep(1.0)
                waited += 1.0
                version = await services.store.get_version_by_id(version.id)
        final = await services.store.get_version_by_id(version.id)
        described = await describe(final)
        payload: dict[str, Any] = {"version": described}
        name = "done"
        if final.status == "failed":
            name = "error"
            # The error as the description gives it: an arena side keeps its provider's words until the vote.
            payload["error"] = {"code": "generation_failed", "message": described.get("error") or "This version failed."}
        yield ServerSentEvent(data=json.dumps(payload), event=name, id=str(last_id + 1))
    finally:
        release()


ZIP_TYPES = ("application/zip", "application/x-zip-compressed")


async def _import_zip(request: Request, services: Services, owner_id: str) -> JSONResponse:
    """A zip's page with the files it names (app.versions.bundle); `?page=` and `?title=` choose."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_ZIP_BYTES:  # stopped as it arrives: a huge body is never held whole
            raise BundleTooLarge(f"The zip is larger than {MAX_ZIP_BYTES:,} bytes: zip only the page and the files it names.")
    # Decompressing takes a while for a large zip: off the event loop.
    bundle = await run_in_threadpool(read_zip, bytes(raw), request.query_params.get("page") or None)
    app, version = await services.versioning.import_bundle(bundle, request.query_params.get("title") or None, owner_id=owner_id)
    answer = {"app": app.to_json(), "version": await version_json(services, version), "editor_url": f"/apps/{app.id}"}
    return JSONResponse({**answer, "files": [f.path for f in bundle.files], "skipped": bundle.skipped}, status_code=201)


async def import_page(request: Request) -> JSONResponse:
    """A page as version 1 of a new app (`{"html", "title"}`), a whole exported app (`{"export"}`),
    or, with Content-Type application/zip, a zip's page and the files it names."""
    user = require_user(request)
    services = services_of(request)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() in ZIP_TYPES:
        return await _import_zip(request, services, user.id)
    body = await json_body(request, MAX_IMPORT_BYTES)
    if "export" in body:
        if not is_export(body["export"]):
            raise InvalidJSON("“export” must be the JSON of a Toolsmith export (GET /api/apps/ID/export).")
        saved = body["export"].get("data")
        if saved is not None and not isinstance(saved, dict):
            raise InvalidAppData("An export's “data” must be an object such as {\"local\": {\"key\": \"value\"}}.")
        # Checked before anything is written: a bad export leaves no half-imported app.
        items = check_items(saved.get("local"), services.settings.app_data_quota) if saved is not None else {}
        app = await import_export(services.store, body["export"], owner_id=user.id, max_html_bytes=services.settings.max_html_bytes)
        if items:
            await services.appdata.put(app.id, user.id, items)
        versions = await services.store.list_versions(app.id)
        return JSONResponse({"app": app.to_json(), "version": await version_json(services, versions[-1]), "editor_url": f"/apps/{app.id}"}, status_code=201)
    app, version = await services.versioning.import_page(body.get("html"), body.get("title"), owner_id=user.id)
    return JSONResponse({"app": app.to_json(), "version": await version_json(services, version), "editor_url": f"/apps/{app.id}"}, status_code=201)


PROMPT = {"type": "string", "minLength": 1, "pattern": "\\S", "description": "What to make or change, in words (up to TOOLSMITH_MAX_PROMPT_CHARS)."}
MODEL = {"type": "string", "description": "A `provider:model` id of GET /api/models; default: the default model."}
VERSION_ANSWER = obj({"version": ref("Version")}, required=["version"], extra=False)

routes = [
    ApiRoute("/api/models", list_models, doc=Operation("The models to pick from", answers={200: obj({"models": array(ref("Model")), "default": STRING}, required=["models", "default"], extra=False)}, tag="models")),
    ApiRoute(
        "/api/apps",
        list_apps,
        doc=Operation(
            "Your 50 most recently changed apps",
            answers={200: obj({"apps": array(ref("AppSummary"))}, required=["apps"], extra=False)},
            query=[Query("q", STRING, "only apps whose title or any prompt contains these words")],
        ),
    ),
    ApiRoute(
        "/api/apps",
        create_app,
        methods=["POST"],
        doc=Operation("Start a new app from a prompt", body=obj({"prompt": PROMPT, "model": nullable(MODEL)}, required=["prompt"]), answers={202: ref("Started")}),
    ),
    ApiRoute(
        "/api/apps/stream",
        create_app_streaming,
        methods=["POST"],
        doc=Operation(
            "Start a new app from a prompt and follow it in the same answer: `created`, then the version's events",
            body=obj({"prompt": PROMPT, "model": nullable(MODEL)}, required=["prompt"]),
            answers={200: ref("StreamEvent")},
            media_type=SSE,
            errors=(429,),
        ),
    ),
    ApiRoute("/api/apps/{app_id}", get_app, doc=Operation("An app and its newest 200 versions (without pages); `older_url` pages back", answers={200: ref("VersionsPage")})),
    ApiRoute(
        "/api/apps/{app_id}/versions",
        list_versions,
        doc=Operation(
            "A page of the app's versions (without pages), oldest first: the newest `limit` below `before`",
            query=[
                Query("before", {"type": "integer", "minimum": 0}, "only versions numbered below this one (default: all)"),
                Query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "how many (default 200)"),
            ],
            answers={200: ref("VersionsPage")},
        ),
    ),
    ApiRoute(
        "/api/apps/{app_id}",
        rename_app,
        methods=["PATCH"],
        doc=Operation("Rename the app: from then on its title no longer follows the page's <title>", body=obj({"title": STRING}, required=["title"]), answers={200: obj({"app": ref("App")}, required=["app"], extra=False)}),
    ),
    ApiRoute(
        "/api/apps/{app_id}/keep",
        keep_app,
        methods=["POST"],
        doc=Operation("Keep an app an eval run made among your own apps; an app already yours stays as it is", answers={200: obj({"app": ref("App")}, required=["app"], extra=False)}),
    ),
    ApiRoute(
        "/api/apps/{app_id}",
        delete_app,
        methods=["DELETE"],
        doc=Operation("Delete the app: its versions, share links and saved data go with it", answers={204: {}}),
    ),
    ApiRoute(
        "/api/apps/{app_id}/versions",
        create_version,
        methods=["POST"],
        doc=Operation(
            "A follow-up, or a fix when it carries `errors`",
            body=obj(
                {
                    "prompt": nullable(PROMPT),
                    "model": nullable(MODEL),
                    "parent": nullable({"type": "integer", "minimum": 1, "description": "the version to change; default: the newest with a page"}),
                    "selection": nullable(SELECTION),
                    "errors": nullable(array(RUNTIME_ERROR)),
                    "automatic": nullable(BOOLEAN),
                }
            ),
            answers={202: ref("Started")},
            errors=(409,),
        ),
    ),
    ApiRoute("/api/apps/{app_id}/versions/{number}", get_version, doc=Operation("One version, with its page", answers={200: VERSION_ANSWER})),
    ApiRoute(
        "/api/apps/{app_id}/versions/{number}/stream",
        stream_version,
        doc=Operation("Server-Sent Events of one version: status, delta, phase, then done or error", answers={200: ref("StreamEvent")}, media_type=SSE, errors=(429,)),
    ),
    ApiRoute(
        "/api/apps/{app_id}/versions/{number}/continue",
        continue_version,
        methods=["POST"],
        doc=Operation("Go on with an answer the token limit cut off", body=obj({"model": nullable(MODEL)}), body_required=False, answers={202: ref("Started")}, errors=(409,)),
    ),
    ApiRoute(
        "/api/apps/{app_id}/versions/{number}/cancel",
        stop_version,
        methods=["POST"],
        doc=Operation("Stop a version being written: it keeps its prompt and the page so far, as `stopped`", body_required=False, answers={200: VERSION_ANSWER}, errors=(409,)),
    ),
    ApiRoute(
        "/api/apps/{app_id}/versions/{number}/hand-edit",
        hand_edit,
        methods=["POST"],
        doc=Operation("Save a page edited by hand as a new version", body=obj({"html": STRING, "note": nullable(STRING)}, required=["html"]), answers={201: VERSION_ANSWER}),
    ),
    ApiRoute("/api/apps/{app_id}/versions/{number}/restore", restore_version, methods=["POST"], doc=Operation("A new version with this version's page", answers={201: VERSION_ANSWER})),
    ApiRoute(
        "/api/apps/{app_id}/diff",
        diff_versions,
        doc=Operation(
            "What changed from one version's page to another's",
            answers={200: ref("Diff")},
            query=[Query("from", {"type": "integer", "minimum": 1}, "the older version", required=True), Query("to", {"type": "integer", "minimum": 1}, "the newer version", required=True)],
        ),
    ),
    ApiRoute("/api/apps/{app_id}/versions/{number}/download", download_version, doc=Operation("The version's page as one standalone .html file", answers={200: STRING}, media_type=HTML)),
    ApiRoute(
        "/api/apps/{app_id}/versions/{number}/screenshot",
        version_screenshot,
        doc=Operation("The browser check's thumbnail of the version (PNG)", answers={200: STRING}, media_type="image/png"),
    ),
    ApiRoute(
        "/api/apps/{app_id}/export",
        export,
        doc=Operation(
            "The app with its whole history, as one JSON file",
            answers={200: ref("Export")},
            query=[Query("data", {"type": "string", "enum": ["1", "true", "yes"]}, "carry what the app keeps in localStorage for you, too")],
        ),
    ),
    ApiRoute(
        "/api/import",
        import_page,
        methods=["POST"],
        doc=Operation(
            "A page as version 1 of a new app, a zip's page with the files it names, or an export back with its whole history",
            body=obj({"html": STRING, "title": nullable(STRING), "export": ref("Export")}),
            other_bodies={ZIP: BINARY},
            query=[
                Query("page", STRING, "of a zip: the page to import, by its path inside it (default: index.html, or the only .html file at its top)"),
                Query("title", STRING, "of a zip: the app's title (default: the page's <title>)"),
            ],
            answers={201: ref("Created")},
            errors=(413,),
        ),
    ),
]
