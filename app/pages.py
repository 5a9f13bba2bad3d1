"""The HTML pages: home and editor. Data for the scripts travels as JSON blocks."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.api import services_of, version_json


async def home(request: Request) -> Response:
    services = services_of(request)
    models = services.registry.list()
    summaries = await services.store.list_apps(limit=24)
    return request.app.state.templates.TemplateResponse(
        request,
        "home.html",
        {
            "title": "Toolsmith",
            "models": [m.to_json() for m in models],
            "default_model": services.settings.resolved_default_model,
            "apps": [s.to_json() for s in summaries],
            "demo_only": not any(m.usable and not m.is_demo for m in models),
        },
    )


async def editor(request: Request) -> Response:
    services = services_of(request)
    app = await services.store.get_app(request.path_params["app_id"])
    versions = await services.store.list_versions(app.id)
    numbers = [v.number for v in versions]
    wanted = request.query_params.get("v", "")
    current = int(wanted) if wanted.isdigit() and int(wanted) in numbers else max(numbers)
    return request.app.state.templates.TemplateResponse(
        request,
        "editor.html",
        {
            "title": f"{app.title} · Toolsmith",
            "app": app.to_json(),
            "versions": [version_json(services, v) for v in versions],
            "models": [m.to_json() for m in services.registry.list()],
            "default_model": services.settings.resolved_default_model,
            "sandbox_origin": services.settings.resolved_sandbox_url,
            "current": current,
            "auto_fix_attempts": services.settings.auto_fix_attempts,
        },
    )


routes = [
    Route("/", home),
    Route("/apps/{app_id}", editor),
]
