"""The JSON API of the arena: start a match, follow both sides, vote, keep a side, the leaderboard, the votes as JSONL.

Until a match has its vote, nothing it answers names a side's model or app:
not the match, not the stream, not a failed side's error (which may name its
provider). See docs/api.md.
"""

from __future__ import annotations

import json
from typing import Any

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.arena import Match, MatchRecord, Side, check_side
from app.errors import NotFound
from app.services import Services
from app.storage import VersionRecord, iso
from app.web.api.apps import version_events
from app.web.api.described import SSE, STRING, ApiRoute, Operation, array, nullable, obj
from app.web.auth import require_user, signed_in
from app.web.requests import json_body, services_of


def side_json(services: Services, match: Match, side: Side) -> dict[str, Any]:
    """One side as the arena page shows it: blind until the vote, then with its model and numbers."""
    version = side.version
    record = match.record
    data: dict[str, Any] = {
        "side": side.letter,
        "status": version.status if version else "failed",
        "has_page": bool(version and version.html),
        "preview_url": services.preview_url(version.sandbox_token, folder=version.has_files) if version else None,
        "stream_url": f"/api/arena/{record.id}/sides/{side.letter}/stream",
        "kept": side.kept,
        "model": None,
    }
    if match.revealed:
        data |= {
            "model": record.model(side.letter),
            "error": version.error if version else "This side's app was deleted.",
            "input_tokens": version.input_tokens if version else None,
            "output_tokens": version.output_tokens if version else None,
            "duration_ms": version.duration_ms if version else None,
            "editor_url": f"/apps/{side.app.id}" if side.kept and side.app else None,
        }
    return data


def _head(record: MatchRecord) -> dict[str, Any]:
    """What both shapes of a match say first: which match, its prompt, when, and the vote."""
    return {"id": record.id, "url": f"/arena/{record.id}", "prompt": record.prompt, "created_at": iso(record.created_at), "vote": record.vote}


def match_json(services: Services, match: Match) -> dict[str, Any]:
    record = match.record
    return {
        **_head(record),
        "voted_at": iso(record.voted_at),
        "revealed": match.revealed,
        "sides": {side.letter: side_json(services, match, side) for side in match.sides},
    }


def summary_json(record: MatchRecord) -> dict[str, Any]:
    """A match in the list of one's recent matches: its models only once it has its vote."""
    voted = record.vote is not None
    return {**_head(record), "models": {"a": record.model_a, "b": record.model_b} if voted else None}


async def pass_rates(services: Services) -> dict[str, float]:
    """Each model's share of checked versions that passed their browser check (app.checks), everyone's."""
    return {model: rate.rate for model, rate in (await services.checks.records.pass_rates()).items() if rate.rate is not None}


async def owned_match(request: Request) -> Match:
    """The match named in the path, if the person asking started it; NotFound otherwise, whoever asks."""
    who = signed_in(request)
    match_id = request.path_params["match_id"]
    if who is None:
        raise NotFound(f"No arena match {match_id[:40]!r} here for you: sign in, or send an API token as “Authorization: Bearer TOKEN”.")
    return await services_of(request).arena.get(match_id, who.user.id)


async def start_match(request: Request) -> JSONResponse:
    user = require_user(request)
    services = services_of(request)
    body = await json_body(request)
    match = await services.arena.start(body.get("prompt"), body.get("models"), owner_id=user.id)
    return JSONResponse({"match": match_json(services, match)}, status_code=202)


async def list_matches(request: Request) -> JSONResponse:
    user = require_user(request)
    return JSONResponse({"matches": [summary_json(m) for m in await services_of(request).arena.recent(user.id)]})


async def get_match(request: Request) -> JSONResponse:
    return JSONResponse({"match": match_json(services_of(request), await owned_match(request))})


async def stream_side(request: Request) -> EventSourceResponse:
    """Server-Sent Events of one side as it is written, as for any version; its last event, blind."""
    services = services_of(request)
    match = await owned_match(request)
    side = match.side(check_side(request.path_params["side"]))
    if side.version is None:
        raise NotFound("This side's app was deleted, so there is nothing to follow.")

    async def blind(final: VersionRecord) -> dict[str, Any]:
        return side_json(services, match, Side(side.letter, side.app, final))

    return version_events(request, services, side.version, blind)


async def vote(request: Request) -> JSONResponse:
    services = services_of(request)
    match_id = (await owned_match(request)).record.id  # before anything else: 404 to anyone but its owner
    user = require_user(request)
    body = await json_body(request)
    match = await services.arena.vote(match_id, user.id, body.get("vote"))
    return JSONResponse({"match": match_json(services, match)})


async def keep_side(request: Request) -> JSONResponse:
    services = services_of(request)
    match_id = (await owned_match(request)).record.id
    user = require_user(request)
    app = await services.arena.keep(match_id, user.id, request.path_params["side"])
    return JSONResponse({"app": app.to_json(), "editor_url": f"/apps/{app.id}"})


async def leaderboard(request: Request) -> JSONResponse:
    user = require_user(request)
    services = services_of(request)
    board, votes = await services.arena.leaderboard(user.id, pass_rates=await pass_rates(services))
    return JSONResponse({"votes": votes, "models": [s.to_json() for s in board]})


async def export_votes(request: Request) -> Response:
    """Every vote of the person's, one JSON object a line (JSON Lines), oldest first."""
    user = require_user(request)
    lines = [json.dumps(m.to_jsonl(), ensure_ascii=False) + "\n" for m in await services_of(request).arena.voted(user.id)]
    return Response("".join(lines), media_type="application/x-ndjson", headers={"Content-Disposition": 'attachment; filename="arena-votes.jsonl"'})


MATCH = obj({"id": STRING, "url": STRING, "prompt": STRING, "vote": nullable(STRING), "revealed": {"type": "boolean"}, "sides": obj({})})
MATCH_ANSWER = obj({"match": MATCH}, required=["match"], extra=False)
SIDE_PATH = "the side: a or b"

routes = [
    ApiRoute("/api/arena", list_matches, doc=Operation("Your recent arena matches; models only once voted", answers={200: obj({"matches": array(obj({}))}, required=["matches"], extra=False)}, tag="arena")),
    ApiRoute(
        "/api/arena",
        start_match,
        methods=["POST"],
        doc=Operation(
            "One prompt to two models, shown blind as A and B",
            body=obj({"prompt": {"type": "string", "minLength": 1}, "models": nullable(array(STRING))}, required=["prompt"]),
            answers={202: MATCH_ANSWER},
            tag="arena",
        ),
    ),
    ApiRoute(
        "/api/arena/leaderboard",
        leaderboard,
        doc=Operation("Your votes ranked: Bradley-Terry scores with 95% intervals, wins, and each model's check pass rate", answers={200: obj({"votes": {"type": "integer"}, "models": array(obj({}))}, required=["votes", "models"], extra=False)}, tag="arena"),
    ),
    ApiRoute("/api/arena/votes", export_votes, doc=Operation("Your votes as JSON Lines, oldest first", answers={200: STRING}, media_type="application/x-ndjson", tag="arena")),
    ApiRoute("/api/arena/{match_id}", get_match, doc=Operation("One match, blind until its vote", answers={200: MATCH_ANSWER}, tag="arena")),
    ApiRoute("/api/arena/{match_id}/sides/{side}/stream", stream_side, doc=Operation("Server-Sent Events of one side as it is written; its last event blind until the vote", answers={200: STRING}, media_type=SSE, errors=(429,), tag="arena")),
    ApiRoute(
        "/api/arena/{match_id}/vote",
        vote,
        methods=["POST"],
        doc=Operation("Vote, which reveals the models", body=obj({"vote": {"type": "string", "enum": ["a", "b", "tie", "both_bad"]}}, required=["vote"]), answers={200: MATCH_ANSWER}, errors=(409,), tag="arena"),
    ),
    ApiRoute(
        "/api/arena/{match_id}/sides/{side}/keep",
        keep_side,
        methods=["POST"],
        doc=Operation("Keep one side as an app of yours (after the vote)", answers={200: obj({"app": {"$ref": "#/components/schemas/App"}, "editor_url": STRING}, required=["app", "editor_url"], extra=False)}, errors=(409,), tag="arena"),
    ),
]
