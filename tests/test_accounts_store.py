"""Accounts and share links in the database, on SQLite and PostgreSQL alike (the `database_url` fixture runs both)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.shares import Shares
from app.accounts.users import Accounts
from app.errors import BadRequest, NotFound, Unauthorized
from app.storage.store import Store
from app.versions.transfer import export_app, import_export


async def test_users_sessions_links_and_tokens(store: Store) -> None:
    accounts = Accounts(store.engine)
    secret = await accounts.instance_secret()
    assert secret == await accounts.instance_secret() and len(secret) >= 48
    ada = await accounts.create_user("Ada", password="a long enough password")
    with pytest.raises(BadRequest):
        await accounts.create_user("ada")
    assert (await accounts.check_password("ADA", "a long enough password")) == ada
    assert await accounts.check_password("ada", "wrong password") is None

    session = await accounts.create_session(ada.id)
    assert await accounts.session_user(session) == ada
    await accounts.end_session(session)
    assert await accounts.session_user(session) is None

    link = await accounts.create_signin_link(ada.id)
    # Two clicks at once: exactly one signs in.
    results = await asyncio.gather(accounts.use_signin_link(link), accounts.use_signin_link(link))
    assert sorted(r is not None for r in results) == [False, True]

    token, plain = await accounts.create_token(ada.id, "ci", datetime.now(UTC) + timedelta(days=1))
    assert await accounts.token_user(plain) == ada
    await accounts.revoke_token(token.id, ada.id)
    with pytest.raises(Unauthorized, match="revoked"):
        await accounts.token_user(plain)
    with pytest.raises(NotFound):
        await accounts.revoke_token(token.id, "someone-else")


async def test_shares_and_search_and_removal(store: Store) -> None:
    accounts = Accounts(store.engine)
    shares = Shares(store, accounts)
    ada = await accounts.create_user("ada", display_name="Ada L.")
    app, _ = await store.create_app(title="Budget 100%", prompt="track spending", model="demo", system_prompt_hash=None, html="<p>1</p>", status="complete", owner_id=ada.id)
    assert [s.app.id for s in await store.list_apps(ada.id, query="100%")] == [app.id]
    assert await store.list_apps(ada.id, query="1_0") == []
    assert [s.app.id for s in await store.list_apps(ada.id, query="SPEND")] == [app.id]

    shown = await shares.create(app.id, version_number=None, show_author=True, expires_at=None)
    opened = await shares.open(shown.token)
    assert (opened.version.number, opened.author) == (1, "Ada L.")
    await shares.revoke(app.id, shown.id)
    with pytest.raises(NotFound):
        await shares.open(shown.token)
    with pytest.raises(NotFound):
        await shares.revoke("another-app", shown.id)

    copy = await import_export(store, export_app(app, await store.list_versions(app.id)), owner_id=ada.id, max_html_bytes=1000)
    assert [v.html for v in await store.list_versions(copy.id)] == ["<p>1</p>"]
    assert await accounts.remove_user(ada.id) == 2
    assert await accounts.list_users() == []
    with pytest.raises(NotFound):
        await store.get_app(app.id)
