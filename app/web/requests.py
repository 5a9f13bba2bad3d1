"""What the routes of both the API and the pages take from a request, and the answers they share."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from app.errors import InvalidJSON, NotFound
from app.services import Services
from app.storage import AppRecord, AppSummary, VersionRecord
from app.versions import standalone_page
from app.web.auth import signed_in

_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_BODY_BYTES = 8_000_000
MAX_IMPORT_BYTES = 64_000_000  # an export carries every version's page and answer


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def templates_of(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


async def version_json(services: Services, version: VersionRecord, *, with_html: bool = False) -> dict[str, Any]:
    return (await versions_json(services, [version], with_html=with_html))[0]


async def versions_json(services: Services, versions: list[VersionRecord], *, with_html: bool = False) -> list[dict[str, Any]]:
    """Versions as the API shows them: with their preview address and their check (app.checks)."""
    checks = await services.checks.of(versions)
    return [{**v.to_json(with_html=with_html), "preview_url": services.preview_url(v.sandbox_token, folder=v.has_files), "check": checks[v.id]} for v in versions]


# How many versions an app's answer and its editor carry at first; older ones come a page at a time.
VERSIONS_PAGE = 200
MAX_VERSIONS_PAGE = 1000


async def versions_page(services: Services, app_id: str, limit: int, before: int | None = None) -> dict[str, Any]:
    """`{"versions", "versions_total", "older_url"}`: a page of the app's versions, oldest first, and
    where the page before it is (None when this page starts at version 1)."""
    page, total = await services.store.page_of_versions(app_id, limit=limit, before=before)
    # Versions are numbered from 1 and never deleted one by one: a page that starts above 1 has older ones.
    older = f"/api/apps/{app_id}/versions?before={page[0].number}&limit={limit}" if page and page[0].number > 1 else None
    return {"versions": await versions_json(services, page), "versions_total": total, "older_url": older}


async def apps_json(services: Services, summaries: list[AppSummary]) -> list[dict[str, Any]]:
    """Apps as the lists show them: with the thumbnail of the newest version that has one."""
    shots = await services.checks.records.thumbnails([s.app.id for s in summaries])
    listed = []
    for summary in summaries:
        number = shots.get(summary.app.id)
        listed.append({**summary.to_json(), "thumbnail_url": f"/api/apps/{summary.app.id}/versions/{number}/screenshot" if number else None})
    return listed


async def json_body(request: Request, limit: int = MAX_BODY_BYTES, *, empty_ok: bool = False, any_text: bool = False) -> dict[str, Any]:
    """The body as a JSON object. `any_text`: the route keeps its strings as escaped JSON, so NUL
    characters and unpaired surrogates (which an app's localStorage may hold) are kept, not refused."""
    raw = await request.body()
    if empty_ok and not raw.strip():
        return {}
    if len(raw) > limit:
        raise InvalidJSON(f"The request body is larger than {limit:,} bytes.")
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidJSON("The request body is not valid JSON: send a JSON object such as {\"prompt\": \"…\"}.") from None
    except RecursionError:
        raise InvalidJSON("The request body is nested too deeply: send a flat JSON object such as {\"prompt\": \"…\"}.") from None
    if not isinstance(data, dict):
        raise InvalidJSON("The request body must be a JSON object such as {\"prompt\": \"…\"}.")
    if not any_text and (problem := unstorable_text(data)) is not None:
        raise InvalidJSON(f"The request body has text that cannot be kept: {problem}. Remove it and send it again.")
    return data


def unstorable_text(data: object) -> str | None:
    """What no database here can keep as text: NUL characters (PostgreSQL refuses them) and unpaired
    surrogates (\\ud800 escapes without their pair, which are not Unicode text at all)."""
    pending = [data]
    while pending:  # a loop, not recursion: the body may be nested as deeply as json.loads allows
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "a NUL character (\\u0000)"
            if _SURROGATE.search(item):
                return "an unpaired surrogate (such as \\ud800)"
    return None


async def owned_app(request: Request) -> AppRecord:
    """The app named in the path, if the person asking owns it; NotFound otherwise, whoever asks.

    Nobody signed in gets NotFound too, not Unauthorized: the answer must not tell
    whether an app exists at an address.
    """
    who = signed_in(request)
    app_id = request.path_params["app_id"]
    if who is None:
        raise NotFound(f"No app {app_id!r} here for you: sign in, or send an API token as “Authorization: Bearer TOKEN”.")
    return await services_of(request).store.owned_app(app_id, who.user.id)


async def owned_eval(request: Request) -> dict[str, Any]:
    """The eval named in the path, if the person asking started it; NotFound otherwise, whoever asks
    (nobody signed in too: the answer must not tell whether an eval exists at an address)."""
    who = signed_in(request)
    eval_id = request.path_params["eval_id"]
    if who is None:
        raise NotFound(f"No eval {eval_id[:40]!r} here for you: sign in, or send an API token as “Authorization: Bearer TOKEN”.")
    return await services_of(request).evals.runs.get(eval_id, who.user.id)


def download_name(title: str, suffix: str) -> str:
    slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in title.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{slug[:60] or 'tool'}{suffix}"


async def page_download(services: Services, version: VersionRecord, title: str, filename: str) -> Response:
    """A version's page as a file to save, never shown on our origin: attachment, and sandboxed should
    it be shown. The page's own files (an imported folder's) go inside it (app.versions.offline_files)."""
    own = await services.store.files.all(version.files_from) if version.files_from else []
    # Reading and inlining the vendored libraries takes a noticeable time: off the event loop,
    # which meanwhile streams other people's generations.
    page = await run_in_threadpool(standalone_page, version.html or "", services.vendored, title, own)
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Content-Security-Policy": "sandbox", "Cache-Control": "no-store"},
    )
