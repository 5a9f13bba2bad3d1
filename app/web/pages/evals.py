"""The eval pages: start a run and watch its progress (/evals), and a run's report (/evals/{id})."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.evals import builtin_suites, in_suite_order
from app.web.auth import require_user
from app.web.requests import owned_eval, services_of, templates_of


async def evals_page(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    models = [m.to_json() for m in services.registry.list() if m.usable]
    return templates_of(request).TemplateResponse(
        request,
        "evals.html",
        {"title": "Evals", "evals": await services.evals.runs.list(user.id), "suites": builtin_suites(), "models": models, "default_model": services.settings.resolved_default_model},
    )


async def report_page(request: Request) -> Response:
    run = await owned_eval(request)
    prompts = {p["id"]: p["prompt"] for p in run["prompts"]}
    shown = {**run, "results": in_suite_order(run)}
    return templates_of(request).TemplateResponse(request, "eval.html", {"title": f"Eval of {run['suite_name']}", "run": shown, "prompts": prompts})


routes = [
    Route("/evals", evals_page),
    Route("/evals/{eval_id}", report_page),
]
