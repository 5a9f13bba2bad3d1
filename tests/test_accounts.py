"""Accounts through HTTP: passwords, sign-in and out, one-time links, sessions, API tokens
(wrong, expired, revoked), and a database from before accounts existed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from app.accounts.passwords import (
    MAX_LENGTH,
    check_new_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from app.accounts.users import Accounts, UserRecord
from app.cli.accounts import first_start
from app.errors import NotFound
from app.services import Services
from app.settings import Settings
from app.storage.migrations import MIGRATIONS
from app.storage.schema import api_tokens, sessions, signin_links
from app.storage.store import Store
from app.web.server import create_app
from tests.conftest import CSRF_META, browser_for
from tests.old_databases import MIGRATION_1

PASSWORD = "a long enough password"


# ---- passwords ------------------------------------------------------------------------------------


def test_passwords_hash_with_scrypt_and_verify() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$32768$8$1$") and PASSWORD not in stored
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + " ", stored) and not verify_password("", stored)
    assert hash_password(PASSWORD) != stored, "each hash has its own salt"
    assert not needs_rehash(stored) and needs_rehash("scrypt$16384$8$1$c2FsdA$aGFzaA")


@pytest.mark.parametrize("stored", [None, "", "md5$abc", "scrypt$x$8$1$salt$hash", "scrypt$16384$8$1$!!$!!", "scrypt$2"])
def test_malformed_hashes_never_verify(stored: str | None) -> None:
    assert not verify_password(PASSWORD, stored)


def test_password_rules() -> None:
    assert check_new_password("short") and check_new_password(None) and check_new_password("x" * (MAX_LENGTH + 1))
    assert check_new_password("eight ch") is None
    assert not verify_password("x" * (MAX_LENGTH + 1), hash_password("x" * 10))


# ---- signing in with a password -------------------------------------------------------------------


async def test_sign_in_with_the_right_password_and_go_where_you_were_going(settings: Settings, services: Services) -> None:
    await services.accounts.create_user("Ada", password=PASSWORD)
    async with browser_for(settings, services) as browser:
        token = browser.headers["X-CSRF-Token"]
        response = await browser.post("/login", data={"username": "ADA ", "password": PASSWORD, "next": "/apps?q=x", "csrf_token": token})
        assert response.status_code == 303 and response.headers["location"] == "/apps?q=x"
        assert (await browser.get("/api/me")).json()["user"]["username"] == "ada"


@pytest.mark.parametrize(("username", "password"), [("ada", "not the password"), ("nobody", PASSWORD), ("ada", ""), ("", PASSWORD)])
async def test_wrong_passwords_and_unknown_users_get_the_same_answer(settings: Settings, services: Services, username: str, password: str) -> None:
    await services.accounts.create_user("ada", password=PASSWORD)
    async with browser_for(settings, services) as browser:
        response = await browser.post("/login", data={"username": username, "password": password})
        assert response.status_code == 400 and "Wrong user name or password." in response.text
        assert not any("toolsmith_session" in c for c in response.headers.get_list("set-cookie"))
        assert (await browser.get("/api/me")).status_code == 401


async def test_a_user_without_a_password_cannot_sign_in_with_any(settings: Settings, services: Services) -> None:
    await services.accounts.create_user("linkonly")
    async with browser_for(settings, services) as browser:
        assert (await browser.post("/login", data={"username": "linkonly", "password": "anything at all"})).status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", ""])
async def test_after_sign_in_we_never_leave_the_site(settings: Settings, services: Services, target: str) -> None:
    await services.accounts.create_user("ada", password=PASSWORD)
    async with browser_for(settings, services) as browser:
        response = await browser.post("/login", data={"username": "ada", "password": PASSWORD, "next": target})
        assert response.status_code == 303 and response.headers["location"] == "/"


async def test_many_wrong_passwords_pause_that_user_name(settings: Settings, services: Services) -> None:
    await services.accounts.create_user("ada", password=PASSWORD)
    await services.accounts.create_user("bob", password=PASSWORD)
    async with browser_for(settings, services) as browser:
        for _ in range(10):
            assert (await browser.post("/login", data={"username": "ada", "password": "guess"})).status_code == 400
        paused = await browser.post("/login", data={"username": "ada", "password": PASSWORD})
        assert paused.status_code == 429 and "toolsmith users link ada" in paused.text
        assert (await browser.post("/login", data={"username": "bob", "password": PASSWORD})).status_code == 303


# ---- one-time links, sessions, sign-out ----------------------------------------------------------


async def test_a_sign_in_link_works_once(settings: Settings, services: Services, user: UserRecord) -> None:
    link = await services.accounts.create_signin_link(user.id)
    app = create_app(settings, services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000") as first:
        response = await first.get(f"/signin/{link}")
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert (await first.get("/api/me")).json()["user"]["username"] == "tester"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8000") as second:
        again = await second.get(f"/signin/{link}")
        assert again.status_code == 404 and "toolsmith users link" in again.text
        assert (await second.get("/api/me")).status_code == 401


async def test_an_expired_sign_in_link_does_not_work(settings: Settings, services: Services, user: UserRecord) -> None:
    link = await services.accounts.create_signin_link(user.id)
    async with services.store.engine.begin() as conn:
        await conn.execute(signin_links.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    async with browser_for(settings, services) as browser:
        assert (await browser.get(f"/signin/{link}")).status_code == 404
        assert (await browser.get("/api/me")).status_code == 401


async def test_links_and_sessions_are_stored_only_as_hashes(services: Services, user: UserRecord) -> None:
    link = await services.accounts.create_signin_link(user.id)
    session = await services.accounts.create_session(user.id)
    async with services.store.engine.connect() as conn:
        stored = [*(await conn.scalars(sa.select(signin_links.c.token_hash))), *(await conn.scalars(sa.select(sessions.c.id_hash)))]
    assert link not in stored and session not in stored and len(stored) == 2


async def test_signing_out_ends_the_session_on_the_server(settings: Settings, services: Services, user: UserRecord) -> None:
    async with browser_for(settings, services, user) as browser:
        cookie = browser.cookies["toolsmith_session"]
        assert (await browser.post("/logout", data={"csrf_token": browser.headers["X-CSRF-Token"]})).status_code == 303
    # The same cookie, replayed by someone who copied it, no longer signs anyone in.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, services)), base_url="http://localhost:8000", cookies={"toolsmith_session": cookie}) as replay:
        assert (await replay.get("/api/me")).status_code == 401


@pytest.mark.parametrize("forge", ["unsigned", "bad-signature", "signed-unknown-session", "expired"])
async def test_forged_or_stale_session_cookies_sign_nobody_in(settings: Settings, services: Services, user: UserRecord, forge: str) -> None:
    real = await services.accounts.create_session(user.id)
    cookie = {
        "unsigned": real,
        "bad-signature": real + ".AAAA",
        "signed-unknown-session": services.signer.session_cookie("made-up-session-id"),
        "expired": services.signer.session_cookie(real),
    }[forge]
    if forge == "expired":
        async with services.store.engine.begin() as conn:
            await conn.execute(sessions.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    transport = httpx.ASGITransport(app=create_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", cookies={"toolsmith_session": cookie}) as http:
        assert (await http.get("/api/me")).status_code == 401
        assert (await http.get("/")).status_code == 303


async def test_a_new_password_ends_other_sessions_but_not_this_one(settings: Settings, services: Services, user: UserRecord) -> None:
    async with browser_for(settings, services, user) as here, browser_for(settings, services, user) as elsewhere:
        response = await here.post("/api/me/password", json={"new": PASSWORD})
        assert response.status_code == 200 and response.json()["user"]["has_password"]
        assert (await here.get("/api/me")).status_code == 200
        assert (await elsewhere.get("/api/me")).status_code == 401
        # Changing it again needs the current one.
        page = await here.get("/account")
        here.headers["X-CSRF-Token"] = CSRF_META.findall(page.text)[0]
        wrong = await here.post("/api/me/password", json={"current": "not it", "new": "another long one"})
        assert wrong.status_code == 400 and "current password" in wrong.json()["error"]["message"]
        assert (await here.post("/api/me/password", json={"current": PASSWORD, "new": "short"})).status_code == 400
    assert await services.accounts.check_password("tester", PASSWORD) is not None


# ---- API tokens -----------------------------------------------------------------------------------


async def _bearer(settings: Settings, services: Services, header: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", headers={"Authorization": header}) as http:
        return await http.get("/api/apps")


async def test_a_token_works_until_revoked(settings: Settings, services: Services, user: UserRecord) -> None:
    record, secret = await services.accounts.create_token(user.id, "backup")
    assert secret.startswith("tsk_") and len(secret) >= 40
    assert (await _bearer(settings, services, f"Bearer {secret}")).status_code == 200
    assert (await services.accounts.list_tokens(user.id))[0].last_used_at is not None
    await services.accounts.revoke_token(record.id, user.id)
    refused = await _bearer(settings, services, f"Bearer {secret}")
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert [t.state() for t in await services.accounts.list_tokens(user.id)] == ["revoked"]


async def test_an_expired_token_is_refused(settings: Settings, services: Services, user: UserRecord) -> None:
    _, secret = await services.accounts.create_token(user.id, "short-lived", datetime.now(UTC) + timedelta(hours=1))
    assert (await _bearer(settings, services, f"Bearer {secret}")).status_code == 200
    async with services.store.engine.begin() as conn:
        await conn.execute(api_tokens.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    refused = await _bearer(settings, services, f"Bearer {secret}")
    assert refused.status_code == 401 and "expired" in refused.json()["error"]["message"]


@pytest.mark.parametrize("header", ["Bearer tsk_wrong", "Bearer ", "bearer tsk_wrong", "Bearer tsk_" + "A" * 43])
async def test_wrong_tokens_are_refused_not_taken_for_nobody(settings: Settings, services: Services, user: UserRecord, header: str) -> None:
    async with browser_for(settings, services, user) as browser:
        # Even with a good session alongside: a token that is sent must work.
        response = await browser.get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
    assert "toolsmith tokens create" in response.json()["error"]["message"]


async def test_a_proxys_basic_credentials_are_not_ours(settings: Settings, services: Services, user: UserRecord) -> None:
    """Behind a reverse proxy that asks for a password of its own, the browser sends Basic credentials."""
    async with browser_for(settings, services, user) as browser:
        browser.headers["Authorization"] = "Basic cHJveHk6cGFzcw=="
        assert (await browser.get("/api/me")).json()["user"]["username"] == "tester"
        assert (await browser.post("/api/import", json={"html": "<p>hi</p>"})).status_code == 201
    assert (await _bearer(settings, services, "Basic cHJveHk6cGFzcw==")).status_code == 401, "and alone they sign nobody in"


async def test_tokens_are_stored_only_as_hashes(services: Services, user: UserRecord) -> None:
    _, secret = await services.accounts.create_token(user.id)
    async with services.store.engine.connect() as conn:
        stored = list(await conn.scalars(sa.select(api_tokens.c.token_hash)))
    assert secret not in stored and len(stored[0]) == 64


async def test_tokens_through_the_api_from_the_browser(settings: Settings, services: Services, user: UserRecord) -> None:
    async with browser_for(settings, services, user) as browser:
        made = await browser.post("/api/tokens", json={"name": "deploy", "expires_in": 3600})
        assert made.status_code == 201
        secret, token = made.json()["secret"], made.json()["token"]
        assert token["name"] == "deploy" and token["state"] == "active" and "secret" not in token
        assert (await _bearer(settings, services, f"Bearer {secret}")).status_code == 200
        listed = (await browser.get("/api/tokens")).json()["tokens"]
        assert [t["id"] for t in listed] == [token["id"]] and all("secret" not in t and "token_hash" not in t for t in listed)
        assert (await browser.delete(f"/api/tokens/{token['id']}")).json()["token"]["state"] == "revoked"
    assert (await _bearer(settings, services, f"Bearer {secret}")).status_code == 401


async def test_a_token_cannot_make_tokens_or_change_the_password(client: httpx.AsyncClient) -> None:
    for path, body in [("/api/tokens", {"name": "more"}), ("/api/me/password", {"new": PASSWORD})]:
        response = await client.post(path, json=body)
        assert response.status_code == 403 and "toolsmith" in response.json()["error"]["message"]


async def test_removing_a_user_removes_everything_theirs(settings: Settings, services: Services, user: UserRecord, client: httpx.AsyncClient) -> None:
    app_id = (await client.post("/api/import", json={"html": "<p>mine</p>"})).json()["app"]["id"]
    await services.shares.create(app_id, version_number=None, show_author=False, expires_at=None)
    assert await services.accounts.remove_user(user.id) == 1
    assert (await client.get("/api/apps")).status_code == 401
    with pytest.raises(NotFound):
        await services.store.get_app(app_id)


# ---- first start and older databases ------------------------------------------------------------


async def test_first_start_makes_an_owner_with_a_link_until_a_password_is_set(services: Services) -> None:
    first = await first_start(services.accounts)
    assert first is not None and first[0].username == "owner"
    again = await first_start(services.accounts)
    assert again is not None and again[0].id == first[0].id and again[1] != first[1], "a fresh link at each start"
    assert await services.accounts.count_users() == 1
    await services.accounts.set_password(first[0].id, PASSWORD)
    assert await first_start(services.accounts) is None


OLD_SCHEMA = [
    *MIGRATION_1,
    "INSERT INTO apps VALUES ('old1', 'Made before accounts', '2025-01-01 00:00:00', '2025-01-01 00:00:00')",
    (
        "INSERT INTO versions (id, app_id, number, prompt, model, html, status, sandbox_token, created_at) "
        "VALUES ('v1', 'old1', 1, 'a counter', 'demo', '<p>old</p>', 'complete', 'tok-old', '2025-01-01 00:00:00')"
    ),
]


async def test_a_database_from_before_accounts_is_upgraded_and_its_apps_go_to_the_owner(database_url: str) -> None:
    store = Store.from_url(database_url)
    try:
        async with store.engine.begin() as conn:
            for statement in OLD_SCHEMA:
                await conn.execute(sa.text(statement))
        assert await store.migrate() == [m.id for m in MIGRATIONS if m.id > 1]
        accounts = Accounts(store.engine)
        owner, _ = await first_start(accounts) or (None, None)
        assert owner is not None
        [summary] = await store.list_apps(owner.id)
        assert (summary.app.id, summary.app.title, summary.latest_status) == ("old1", "Made before accounts", "complete")
        bob = await accounts.create_user("bob")
        assert await store.list_apps(bob.id) == []
    finally:
        await store.close()


async def test_the_secret_outlives_restarts_and_can_be_set(settings: Settings, user: UserRecord) -> None:
    """Without TOOLSMITH_SECRET_KEY the secret made on first start is kept: a restart signs nobody out.
    With it, every process signs alike; changing it signs everyone out."""

    async def session_works(cookie: str, config: Settings) -> bool:
        services = await Services.open(config)
        try:
            transport = httpx.ASGITransport(app=create_app(config, services))
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", cookies={"toolsmith_session": cookie}) as http:
                return (await http.get("/api/me")).status_code == 200
        finally:
            await services.close()

    first = await Services.open(settings)
    try:
        cookie = first.signer.session_cookie(await first.accounts.create_session(user.id))
    finally:
        await first.close()
    assert await session_works(cookie, settings), "a restart keeps the session"
    assert not await session_works(cookie, replace(settings, secret_key="another secret")), "a new key signs everyone out"
    keyed = replace(settings, secret_key="a shared secret")
    opened = await Services.open(keyed)
    try:
        cookie = opened.signer.session_cookie(await opened.accounts.create_session(user.id))
    finally:
        await opened.close()
    assert await session_works(cookie, keyed)


async def test_a_person_renames_themselves_and_is_shown_by_the_new_name(settings: Settings, services: Services, user: UserRecord) -> None:
    async with browser_for(settings, services, user) as browser:
        renamed = await browser.patch("/api/me", json={"display_name": "  Ada L.  "})
        assert renamed.status_code == 200 and renamed.json()["user"]["display_name"] == "Ada L."
        assert (await browser.get("/api/me")).json()["user"]["display_name"] == "Ada L."
        assert "Ada L." in (await browser.get("/account")).text
        for bad in ("   ", "x" * 101, 7):
            refused = await browser.patch("/api/me", json={"display_name": bad})
            assert refused.status_code == 400 and "1 to 100 characters" in refused.json()["error"]["message"]
    assert (await services.accounts.get_user(user.id)).display_name == "Ada L."
