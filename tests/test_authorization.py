"""The authorisation matrix: every route of the main origin and the sandbox host, asked by each
kind of caller, answers with the status expected, and no answer shows anyone else's app.

The world: Ada owns one app (title, prompt and page each carry a marker) with an active share
link and a revoked one; its version 1 is complete, its version 2 was cut off by the token limit.
She also has two arena matches on the same prompt, both sides finished: one waiting for her vote,
one voted. Bob is another user. Callers act like real browsers (Origin,
Sec-Fetch-Site and the page's CSRF token) or scripts (an API token), so that what is tested
here is who may do what; tests/test_security.py tests the CSRF and Host checks themselves.
Each cell starts from a fresh copy of the same database.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from app.checks import Outcome
from app.services import Services
from app.settings import Endpoint, Settings
from app.storage import VersionFile, arena_matches, new_id
from app.web.server import create_app
from sandbox.addresses import folder_url
from sandbox.libraries import VendoredFiles
from sandbox.server import create_sandbox_app
from tests.fakes.node_modules import make_node_modules

TITLE = "Ledger-TITLE-7f3a"
PROMPT = "a private PROMPT-MARK-91c2 budget ledger"
PAGE = "<!DOCTYPE html><html><head><title>Ledger</title></head><body><h1>PAGE-MARK-c0de</h1></body></html>"
MAIN = "http://localhost:8000"
SANDBOX = "http://127.0.0.1:8001"
UNKNOWN_SHARE = "nobody-gave-me-a-link-0000000000000000000"
LIBRARY_FILE = "chart.js@4.6.1/dist/chart.umd.min.js"
PICTURE = b"\x89PNG\r\n\x1a\n a thumbnail of version 1"
ENDPOINT_MODEL = "local:coder"

ANON, OWNER, OTHER, HOLDER, REVOKED, TOKEN, OTHER_TOKEN = "anonymous", "owner", "other user", "share holder", "revoked holder", "API token", "other's API token"
CALLERS = (ANON, OWNER, OTHER, HOLDER, REVOKED, TOKEN, OTHER_TOKEN)


@dataclass(frozen=True)
class World:
    db: Path
    app_id: str
    active_share_id: str
    active_share: str
    revoked_share: str
    sandbox_token: str
    cut_off_number: int  # an incomplete version, for the continue route
    owner_session: str
    other_session: str
    owner_token: str
    other_token: str
    spare_token_id: str  # another token of Ada's, for the revoke route
    eval_id: str  # a finished eval run of Ada's
    match_id: str  # an arena match of Ada's, both sides finished, not voted yet
    voted_match_id: str  # one she has voted on, for the keep route


def _settings(db: Path) -> Settings:
    # One OpenAI-compatible endpoint besides the demo, so that the arena has two models to draw;
    # nothing listens at its address, so a side drawn to it fails, and nothing leaves the machine.
    return Settings(data_dir=db.parent, database_url=f"sqlite+aiosqlite:///{db}", demo_delay=0.0, provider_retries=0, endpoints=(Endpoint("local", "http://127.0.0.1:9/v1", models=("coder",)),))


async def _build(db: Path) -> World:
    settings = _settings(db)
    services = await Services.open(settings)
    try:
        accounts, store = services.accounts, services.store
        ada = await accounts.create_user("ada", display_name="Ada")
        bob = await accounts.create_user("bob")
        # With a file of its own, as an imported folder brings: served at the page's folder address only.
        own_file = VersionFile("app.js", "text/javascript", b"document.title = 'PAGE-MARK-c0de';")
        app, version = await store.create_app(title=TITLE, prompt=PROMPT, model="demo", system_prompt_hash=None, html=PAGE, status="complete", owner_id=ada.id, files=[own_file])
        cut = await store.create_version(app.id, parent_number=1, prompt=PROMPT, model="demo", system_prompt_hash=None)
        await store.finish_version(cut.id, status="incomplete", html=PAGE, answer="```html\n" + PAGE[:40], stop_reason="max_tokens", error="cut off")
        active = await services.shares.create(app.id, version_number=None, show_author=True, expires_at=None)
        revoked = await services.shares.create(app.id, version_number=1, show_author=False, expires_at=None)
        await services.shares.revoke(app.id, revoked.id)
        spare, _ = await accounts.create_token(ada.id, "spare")
        await services.checks.records.record(version.id, Outcome(screenshot=PICTURE))
        eval_id = await services.evals.runs.create(ada.id, {"name": "EVAL-MARK-5e1f", "prompts": [{"id": "p", "prompt": PROMPT, "steps": [], "expect": []}]}, ["demo"], 1)
        await services.evals.runs.finish(eval_id)
        matches = []
        for vote in (None, "a"):
            sides = [(await store.create_app(title=TITLE, prompt=PROMPT, model=model, system_prompt_hash=None, html=PAGE, status="complete", owner_id=ada.id, purpose="arena"))[0] for model in ("demo", ENDPOINT_MODEL)]
            match_id = new_id()
            async with store.engine.begin() as conn:
                await conn.execute(
                    arena_matches.insert().values(
                        id=match_id, owner_id=ada.id, prompt=PROMPT, app_a_id=sides[0].id, app_b_id=sides[1].id, model_a="demo", model_b=ENDPOINT_MODEL,
                        vote=vote, created_at=datetime.now(UTC), voted_at=datetime.now(UTC) if vote else None,
                    )
                )
            matches.append(match_id)
        return World(
            db=db,
            app_id=app.id,
            active_share_id=active.id,
            active_share=active.token,
            revoked_share=revoked.token,
            sandbox_token=version.sandbox_token,
            cut_off_number=cut.number,
            owner_session=services.signer.session_cookie(await accounts.create_session(ada.id)),
            other_session=services.signer.session_cookie(await accounts.create_session(bob.id)),
            owner_token=(await accounts.create_token(ada.id, "script"))[1],
            other_token=(await accounts.create_token(bob.id, "script"))[1],
            spare_token_id=spare.id,
            eval_id=eval_id,
            match_id=matches[0],
            voted_match_id=matches[1],
        )
    finally:
        await services.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return asyncio.run(_build(tmp_path_factory.mktemp("world") / "world.sqlite"))


@dataclass
class Caller:
    main: httpx.AsyncClient
    sandbox: httpx.AsyncClient
    browser: bool
    share: str  # the share token this caller holds
    preview: str  # the sandbox address of Ada's version this caller has


@pytest.fixture
async def services(world: World, tmp_path: Path) -> AsyncIterator[Services]:
    db = tmp_path / "copy.sqlite"
    shutil.copy(world.db, db)
    opened = await Services.open(_settings(db))
    opened.vendored = VendoredFiles(make_node_modules(tmp_path / "node_modules"))
    yield opened
    await opened.close()


async def _caller(kind: str, world: World, services: Services) -> Caller:
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    if kind in (TOKEN, OTHER_TOKEN):
        headers["Authorization"] = f"Bearer {world.owner_token if kind == TOKEN else world.other_token}"
    if kind in (OWNER, OTHER):
        cookies["toolsmith_session"] = world.owner_session if kind == OWNER else world.other_session
    main = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services.settings, services)), base_url=MAIN, headers=headers, cookies=cookies)
    sandbox = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(services)), base_url=SANDBOX, headers=headers, cookies=cookies)
    browser = kind not in (TOKEN, OTHER_TOKEN)
    if browser:
        # A browser has loaded one of our pages first: it holds the nonce cookie and the page's token.
        page = await main.get("/login", follow_redirects=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert token, page.text[:300]
        main.headers.update({"X-CSRF-Token": token.group(1), "Origin": MAIN, "Sec-Fetch-Site": "same-origin"})
    share = {OWNER: world.active_share, HOLDER: world.active_share, TOKEN: world.active_share, REVOKED: world.revoked_share}.get(kind, UNKNOWN_SHARE)
    owner_like = kind in (OWNER, TOKEN)
    # The owner's editor was given a signed address; anyone else at best learned the bare token.
    preview = services.preview_url(world.sandbox_token) if owner_like else f"{SANDBOX}/v/{world.sandbox_token}"
    return Caller(main, sandbox, browser, share, preview)


# (method, path as the router declares it, request body, expected status by caller, markers the owner-like answer shows)
R = dict
A, O, X, H, V, T, XT = ANON, OWNER, OTHER, HOLDER, REVOKED, TOKEN, OTHER_TOKEN


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(CALLERS, status)


def signed_in(ok: int, nobody: int = 401) -> dict[str, int]:
    """Anyone signed in (session or token) may; nobody may not."""
    return {A: nobody, O: ok, X: ok, H: nobody, V: nobody, T: ok, XT: ok}


def own_app(ok: int) -> dict[str, int]:
    """Only Ada, by session or token; everyone else, signed in or not, gets 404."""
    return {A: 404, O: ok, X: 404, H: 404, V: 404, T: ok, XT: 404}


def share_link(ok: int) -> dict[str, int]:
    """Whoever holds the working link; a revoked or made-up link is 404 for all."""
    return {A: 404, O: ok, X: 404, H: ok, V: 404, T: ok, XT: 404}


MATRIX: list[tuple[str, str, str, object, dict[str, int]]] = [
    # pages
    ("main", "GET", "/", None, {**signed_in(200, 303)}),
    ("main", "GET", "/apps", None, {**signed_in(200, 303)}),
    ("main", "GET", "/apps/{app_id}", None, own_app(200)),
    ("main", "GET", "/login", None, {A: 200, O: 303, X: 303, H: 200, V: 200, T: 303, XT: 303}),
    ("main", "POST", "/login", {"data": {"username": "ada", "password": "not her password"}}, everyone(400)),
    ("main", "GET", "/signin/{token}", None, everyone(404)),
    ("main", "POST", "/logout", {"data": {}}, everyone(303)),
    ("main", "GET", "/account", None, signed_in(200, 303)),
    ("main", "GET", "/evals", None, signed_in(200, 303)),
    ("main", "GET", "/evals/{eval_id}", None, own_app(200)),
    ("main", "GET", "/s/{token}", None, share_link(200)),
    ("main", "GET", "/s/{token}/source", None, share_link(200)),
    ("main", "GET", "/s/{token}/download", None, share_link(200)),
    ("main", "GET", "/s/{token}/screenshot", None, share_link(200)),
    ("main", "POST", "/s/{token}/remix", {"data": {}}, {A: 401, O: 303, X: 404, H: 401, V: 401, T: 303, XT: 404}),
    ("main", "GET", "/arena", None, signed_in(200, 303)),
    ("main", "GET", "/arena/leaderboard", None, signed_in(200, 303)),
    ("main", "GET", "/arena/{match_id}", None, own_app(200)),
    # the JSON API
    ("main", "GET", "/api/models", None, signed_in(200)),
    ("main", "GET", "/api/apps", None, signed_in(200)),
    ("main", "POST", "/api/apps", {"json": {"prompt": "a timer", "model": "demo"}}, signed_in(202)),
    ("main", "POST", "/api/apps/stream", {"json": {"prompt": "a timer", "model": "demo"}}, signed_in(200)),
    ("main", "GET", "/api/apps/{app_id}", None, own_app(200)),
    ("main", "PATCH", "/api/apps/{app_id}", {"json": {"title": "Renamed"}}, own_app(200)),
    ("main", "DELETE", "/api/apps/{app_id}", None, own_app(204)),
    ("main", "POST", "/api/apps/{app_id}/versions", {"json": {"prompt": "make it dark", "model": "demo"}}, own_app(202)),
    ("main", "GET", "/api/apps/{app_id}/versions/{number}", None, own_app(200)),
    ("main", "GET", "/api/apps/{app_id}/versions/{number}/stream", None, own_app(200)),
    ("main", "GET", "/api/apps/{app_id}/versions/{number}/download", None, own_app(200)),
    ("main", "GET", "/api/apps/{app_id}/versions/{number}/screenshot", None, own_app(200)),
    ("main", "POST", "/api/apps/{app_id}/versions/{number}/continue", {"json": {}}, own_app(202)),
    # Version 1 is finished: its owner hears there is nothing to stop; everyone else, that there is no such app.
    ("main", "POST", "/api/apps/{app_id}/versions/{number}/cancel", {"json": {}}, own_app(409)),
    ("main", "POST", "/api/apps/{app_id}/versions/{number}/hand-edit", {"json": {"html": "<p>by hand</p>"}}, own_app(201)),
    ("main", "POST", "/api/apps/{app_id}/versions/{number}/restore", {"json": {}}, own_app(201)),
    ("main", "GET", "/api/apps/{app_id}/diff?from=1&to=2", None, own_app(200)),
    ("main", "GET", "/api/apps/{app_id}/export", None, own_app(200)),
    ("main", "GET", "/api/apps/{app_id}/shares", None, own_app(200)),
    ("main", "POST", "/api/apps/{app_id}/shares", {"json": {}}, own_app(201)),
    ("main", "DELETE", "/api/apps/{app_id}/shares/{share_id}", None, own_app(200)),
    ("main", "POST", "/api/import", {"json": {"html": "<p>mine</p>"}}, signed_in(201)),
    # an app's saved data: the owner's own; on a share link, each signed-in viewer's own
    ("main", "GET", "/api/apps/{app_id}/data", None, own_app(200)),
    ("main", "PUT", "/api/apps/{app_id}/data", {"json": {"local": {"k": "v"}}}, own_app(200)),
    ("main", "DELETE", "/api/apps/{app_id}/data", None, own_app(200)),
    ("main", "GET", "/api/shares/{token}/data", None, {A: 401, O: 200, X: 404, H: 401, V: 401, T: 200, XT: 404}),
    ("main", "PUT", "/api/shares/{token}/data", {"json": {"local": {"k": "v"}}}, {A: 401, O: 200, X: 404, H: 401, V: 401, T: 200, XT: 404}),
    ("main", "DELETE", "/api/shares/{token}/data", None, {A: 401, O: 200, X: 404, H: 401, V: 401, T: 200, XT: 404}),
    ("main", "GET", "/api/shares/{token}", None, share_link(200)),
    ("main", "POST", "/api/shares/{token}/remix", {"json": {}}, {A: 401, O: 201, X: 404, H: 401, V: 401, T: 201, XT: 404}),
    ("main", "GET", "/api/evals", None, signed_in(200)),
    # A suite with a mistake: who may start an eval, without running one.
    ("main", "POST", "/api/evals", {"json": {"suite_toml": "[[prompt]\n"}}, signed_in(400)),
    ("main", "GET", "/api/evals/{eval_id}", None, own_app(200)),
    ("main", "GET", "/api/evals/{eval_id}/stream", None, own_app(200)),
    ("main", "GET", "/api/arena", None, signed_in(200)),
    ("main", "POST", "/api/arena", {"json": {"prompt": "a timer", "models": ["demo", ENDPOINT_MODEL]}}, signed_in(202)),
    ("main", "GET", "/api/arena/leaderboard", None, signed_in(200)),
    ("main", "GET", "/api/arena/votes", None, signed_in(200)),
    ("main", "GET", "/api/arena/{match_id}", None, own_app(200)),
    ("main", "GET", "/api/arena/{match_id}/sides/{side}/stream", None, own_app(200)),
    ("main", "POST", "/api/arena/{match_id}/vote", {"json": {"vote": "a"}}, own_app(200)),
    ("main", "POST", "/api/arena/{match_id}/sides/{side}/keep", {"json": {}}, own_app(200)),
    # the API's description: public, the same for everyone
    ("main", "GET", "/api/openapi.json", None, everyone(200)),
    ("main", "POST", "/api/apps/{app_id}/keep", None, own_app(200)),
    ("main", "GET", "/api/apps/{app_id}/versions", None, own_app(200)),
    ("main", "GET", "/api/me", None, signed_in(200)),
    ("main", "PATCH", "/api/me", {"json": {"display_name": "Someone"}}, signed_in(200)),
    ("main", "POST", "/api/me/password", {"json": {"new": "correct horse battery"}}, {A: 401, O: 200, X: 200, H: 401, V: 401, T: 403, XT: 403}),
    ("main", "GET", "/api/tokens", None, signed_in(200)),
    ("main", "POST", "/api/tokens", {"json": {"name": "more"}}, {A: 401, O: 201, X: 201, H: 401, V: 401, T: 403, XT: 403}),
    ("main", "DELETE", "/api/tokens/{token_id}", None, {A: 401, O: 200, X: 404, H: 401, V: 401, T: 200, XT: 404}),
    # the sandbox host: it never looks at cookies or tokens, only at the address and its key
    ("sandbox", "GET", "/v/{token}", None, own_app(200)),
    ("sandbox", "GET", "/v/{token}?share={share}", None, share_link(200)),
    # a page's folder address, and its own file there: the same key in the path (sandbox/addresses.py)
    ("sandbox", "GET", "/v/{token}/{key}/", None, own_app(200)),
    ("sandbox", "GET", "/v/{token}/{key}/?share={share}", None, share_link(200)),
    ("sandbox", "GET", "/v/{token}/{key}/{path:path}", None, own_app(200)),
    ("sandbox", "GET", "/v/{token}/{key}/{path:path}?share={share}", None, share_link(200)),
    # vendored libraries: public code, the same for everyone, never anyone's data
    ("sandbox", "GET", "/vendor/{spec:path}", None, everyone(200)),
    # the top-level view's own scripts: public code, the same for everyone
    ("sandbox", "GET", "/toolsmith/{name}", None, everyone(200)),
]

# What only Ada may ever see, and what a working share link shows too.
PRIVATE_MARKS = ("PROMPT-MARK-91c2", "EVAL-MARK-5e1f")
SHARED_MARKS = (TITLE, "PAGE-MARK-c0de")
SHARE_ROUTES = {
    "/s/{token}", "/s/{token}/source", "/s/{token}/download", "/api/shares/{token}", "/v/{token}?share={share}",
    "/v/{token}/{key}/?share={share}", "/v/{token}/{key}/{path:path}?share={share}",
}  # fmt: skip


def _url(origin: str, path: str, world: World, caller: Caller) -> str:
    if origin == "sandbox" and path == "/v/{token}":
        return caller.preview
    if origin == "sandbox" and path.startswith("/v/{token}/{key}/"):
        # The key moves into the path; a caller without one tries a made-up key.
        keyed = f"{SANDBOX}/v/{world.sandbox_token}?share={caller.share}" if "share=" in path else caller.preview
        folder = folder_url(keyed) if "?" in keyed else f"{keyed}/p.1.made-up/"
        return folder + ("app.js" if "{path:path}" in path else "")
    if origin == "sandbox" and path.startswith("/toolsmith/"):
        return "/toolsmith/saves.js"
    if origin == "sandbox" and path.startswith("/vendor/"):
        return f"/vendor/{LIBRARY_FILE}"
    if origin == "sandbox":  # the frame of a share link: the version it shows, and the link's token
        return path.format(token=world.sandbox_token, share=caller.share)
    filled = path.format(
        app_id=world.app_id,
        number=world.cut_off_number if path.endswith("/continue") else 1,
        share_id=world.active_share_id,
        token=caller.share if path.startswith(("/s/", "/api/shares/")) else "not-a-real-sign-in-link",
        token_id=world.spare_token_id,
        eval_id=world.eval_id,
        match_id=world.voted_match_id if path.endswith("/keep") else world.match_id,
        side="b",
    )
    return filled


def _declared_routes() -> set[tuple[str, str, str]]:
    settings = Settings()
    declared = set()
    for route in create_app(settings).routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        for method in route.methods or ():
            if method != "HEAD":
                declared.add(("main", method, route.path))
    layer = create_sandbox_app(_Dummy(settings), VendoredFiles(Path("/nonexistent")))  # type: ignore[arg-type]
    while not isinstance(layer, Starlette):  # below the wrappers that add headers and check Host
        layer = layer.app
    for route in layer.routes:
        for method in route.methods or ():
            if method != "HEAD":
                declared.add(("sandbox", method, route.path))
    return declared


class _Dummy:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def test_the_matrix_covers_every_route() -> None:
    tested = {(origin, method, path.split("?")[0]) for origin, method, path, _, _ in MATRIX}
    assert tested == _declared_routes()


@pytest.mark.parametrize(("origin", "method", "path", "body", "expected"), MATRIX, ids=[f"{o}:{m} {p}" for o, m, p, _, _ in MATRIX])
@pytest.mark.parametrize("kind", CALLERS)
async def test_authorisation(kind: str, origin: str, method: str, path: str, body: dict | None, expected: dict[str, int], world: World, services: Services) -> None:
    caller = await _caller(kind, world, services)
    try:
        client = caller.main if origin == "main" else caller.sandbox
        response = await client.request(method, _url(origin, path, world, caller), **(body or {}))
    finally:
        await caller.main.aclose()
        await caller.sandbox.aclose()
    assert response.status_code == expected[kind], f"{kind} {method} {path}: {response.status_code} {response.text[:300]}"
    text = response.text
    if kind not in (OWNER, TOKEN):
        for mark in PRIVATE_MARKS:
            assert mark not in text, f"{kind} {method} {path} shows the owner's prompt"
        if path not in SHARE_ROUTES or kind != HOLDER:
            for mark in SHARED_MARKS:
                assert mark not in text, f"{kind} {method} {path} shows the owner's app"
    if response.status_code in (401, 404) and origin == "main" and path.startswith("/api/"):
        assert response.json()["error"]["code"] in ("unauthorized", "not_found")


async def test_what_the_owner_sees_and_a_share_holder_does_not(world: World, services: Services) -> None:
    """The positive side of the matrix: the owner's answers carry the app; a link shows the page, not the prompt."""
    owner = await _caller(OWNER, world, services)
    holder = await _caller(HOLDER, world, services)
    try:
        app = (await owner.main.get(f"/api/apps/{world.app_id}")).json()
        assert app["app"]["title"] == TITLE and app["versions"][0]["prompt"] == PROMPT
        shared = (await holder.main.get(f"/api/shares/{world.active_share}")).json()["shared"]
        assert (shared["title"], shared["author"], shared["version"]) == (TITLE, "Ada", 1)
        assert "PAGE-MARK-c0de" in shared["html"] and "prompt" not in shared
        # The page has a file of its own, so its frame is at its folder address, the link in the path.
        assert shared["frame_url"] == f"{SANDBOX}/v/{world.sandbox_token}/s.{world.active_share}/"
        framed = await holder.sandbox.get(shared["frame_url"])
        assert "PAGE-MARK-c0de" in framed.text and framed.headers["cache-control"] == "no-store"
        viewer = (await holder.main.get(f"/s/{world.active_share}")).text
        assert f'<meta property="og:image" content="{MAIN}/s/{world.active_share}/screenshot">' in viewer
        assert (await holder.main.get(f"/s/{world.active_share}/screenshot")).content == PICTURE
        listed = (await owner.main.get("/api/apps")).json()["apps"][0]
        assert listed["thumbnail_url"] == f"/api/apps/{world.app_id}/versions/1/screenshot"
        assert (await owner.main.get(listed["thumbnail_url"])).content == PICTURE
        assert 'data-testid="app-thumbnail"' in (await owner.main.get("/apps")).text
        # The link opens the version it shows, and nothing else of the app's.
        assert (await holder.sandbox.get(f"/v/{world.sandbox_token}?share={world.revoked_share}")).status_code == 404
    finally:
        for caller in (owner, holder):
            await caller.main.aclose()
            await caller.sandbox.aclose()
