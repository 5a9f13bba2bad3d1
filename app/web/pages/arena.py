"""The arena's pages: a prompt for two blind models, one match side by side, and the leaderboard."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.arena import BOOTSTRAP_ROUNDS
from app.web.api.arena import match_json, owned_match, pass_rates, summary_json
from app.web.auth import require_user
from app.web.requests import services_of, templates_of


async def arena(request: Request) -> Response:
    """Start a match: the prompt, and optionally which models (by default two drawn at random)."""
    user = require_user(request)
    services = services_of(request)
    candidates = set(services.arena.candidates())
    return templates_of(request).TemplateResponse(
        request,
        "arena.html",
        {
            "title": "Arena",
            "models": [m.to_json() for m in services.registry.list() if m.usable],
            "candidates": len(candidates),
            "matches": [summary_json(m) for m in await services.arena.recent(user.id)],
        },
    )


async def match_page(request: Request) -> Response:
    match = await owned_match(request)
    services = services_of(request)
    return templates_of(request).TemplateResponse(
        request,
        "arena_match.html",
        {"title": "Arena match", "match": match_json(services, match), "sandbox_origin": services.settings.resolved_sandbox_url},
    )


async def leaderboard(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    board, votes = await services.arena.leaderboard(user.id, pass_rates=await pass_rates(services))
    return templates_of(request).TemplateResponse(
        request,
        "arena_leaderboard.html",
        {"title": "Arena leaderboard", "board": [s.to_json() for s in board], "votes": votes, "rounds": BOOTSTRAP_ROUNDS, "with_checks": any(s.check_pass_rate is not None for s in board)},
    )


routes = [
    Route("/arena", arena),
    Route("/arena/leaderboard", leaderboard),
    Route("/arena/{match_id}", match_page),
]
