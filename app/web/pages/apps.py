"""The HTML pages of one's own apps: home, the list of apps, the editor. Data for the scripts travels as JSON blocks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.storage import as_number
from app.web.auth import require_user
from app.web.requests import VERSIONS_PAGE, apps_json, owned_app, services_of, templates_of, versions_page

RECENT = 12
LISTED = 200


async def home(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    models = services.registry.list()
    summaries = await services.store.list_apps(user.id, limit=RECENT + 1)
    return templates_of(request).TemplateResponse(
        request,
        "home.html",
        {
            "title": "Toolsmith",
            "models": [m.to_json() for m in models],
            "default_model": services.settings.resolved_default_model,
            "apps": await apps_json(services, summaries[:RECENT]),
            "more_apps": len(summaries) > RECENT,
            "demo_only": not any(m.usable and not m.is_demo for m in models),
        },
    )


async def app_list(request: Request) -> Response:
    """Every app of the person, newest change first, searchable by title and prompt."""
    user = require_user(request)
    query = request.query_params.get("q", "").strip()[:200]
    services = services_of(request)
    summaries = await services.store.list_apps(user.id, query=query, limit=LISTED + 1)
    return templates_of(request).TemplateResponse(
        request,
        "apps.html",
        {"title": "Your apps", "query": query, "apps": await apps_json(services, summaries[:LISTED]), "truncated": len(summaries) > LISTED},
    )


async def editor(request: Request) -> Response:
    services = services_of(request)
    app = await owned_app(request)
    user = require_user(request)
    # The newest page of versions; ?v=N of an older one brings N too (the list loads the rest on asking).
    page = await versions_page(services, app.id, VERSIONS_PAGE)
    shown = page["versions"]
    wanted = request.query_params.get("v", "")
    number = as_number(wanted)
    total = page["versions_total"]
    if number is not None and 1 <= number < shown[0]["number"]:
        shown = (await versions_page(services, app.id, 1, before=number + 1))["versions"] + shown
    numbers = [v["number"] for v in shown]
    current = number if number in numbers else max(numbers)
    # ?v=99 of an app with 4 versions: the editor says so, and shows the newest.
    missing = wanted if wanted and current != number else None
    return templates_of(request).TemplateResponse(
        request,
        "editor.html",
        {
            "title": f"{app.title} · Toolsmith",
            "app": app.to_json(),
            "versions": shown,
            "versions_total": total,
            "older_url": page["older_url"],
            "models": [m.to_json() for m in services.registry.list()],
            "default_model": services.settings.resolved_default_model,
            "sandbox_origin": services.settings.resolved_sandbox_url,
            "current": current,
            "missing_version": missing,
            "max_prompt_chars": services.settings.max_prompt_chars,
            "auto_fix_attempts": services.settings.auto_fix_attempts,
            "author_name": user.display_name,
            # Until people pick a display name it is their user name ("owner"): the share dialog asks once.
            "author_name_chosen": user.display_name.casefold() != user.username.casefold(),
            # Handed to the preview before its first script runs: apps read their data at load.
            "saved_data": (await services.appdata.get(app.id, user.id)).to_json(services.settings.app_data_quota),
        },
    )


routes = [
    Route("/", home),
    Route("/apps", app_list),
    Route("/apps/{app_id}", editor),
]
