"""The store on SQLite and PostgreSQL alike (the `database_url` fixture runs both)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from app.accounts import Accounts
from app.errors import NotFound
from app.migrations import MIGRATIONS
from app.schema import schema_migrations
from app.store import Store


@pytest.fixture
async def store(database_url: str):
    opened = Store.from_url(database_url)
    await opened.migrate()
    yield opened
    await opened.close()


async def test_migrations_are_recorded_once(store: Store) -> None:
    assert await store.migrate() == []
    async with store.engine.connect() as conn:
        recorded = list(await conn.scalars(sa.select(schema_migrations.c.id).order_by(schema_migrations.c.id)))
    assert recorded == [m.id for m in MIGRATIONS]


async def test_app_and_first_version_are_created_together(store: Store) -> None:
    app, version = await store.create_app(title="Tip calculator", prompt="a tip calculator", model="demo", system_prompt_hash="abc")
    assert (version.number, version.parent_number, version.status) == (1, None, "generating")
    assert version.prompt == "a tip calculator"
    assert len(version.sandbox_token) >= 32
    assert (await store.get_app(app.id)).title == "Tip calculator"
    assert [v.number for v in await store.list_versions(app.id)] == [1]


async def test_finishing_records_everything(store: Store) -> None:
    app, version = await store.create_app(title="t", prompt="p", model="openai:gpt-4.1-mini", system_prompt_hash="h")
    done = await store.finish_version(
        version.id, html="<!DOCTYPE html><p>x</p>", answer="```html...", notes="n", input_tokens=10, output_tokens=20, duration_ms=1234, stop_reason="end", status="complete"
    )
    assert (done.status, done.input_tokens, done.output_tokens, done.duration_ms, done.stop_reason) == ("complete", 10, 20, 1234, "end")
    assert done.finished_at is not None and done.finished_at.tzinfo is not None
    fetched = await store.get_version(app.id, 1)
    assert fetched.html == "<!DOCTYPE html><p>x</p>"
    assert fetched == await store.get_version_by_token(version.sandbox_token)


async def test_concurrent_follow_ups_get_distinct_numbers(store: Store) -> None:
    app, _ = await store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None)
    created = await asyncio.gather(*(store.create_version(app.id, parent_number=1, prompt=f"f{i}", model="demo", system_prompt_hash=None) for i in range(5)))
    assert sorted(v.number for v in created) == [2, 3, 4, 5, 6]


async def test_interrupted_generations_fail_with_their_prompt(store: Store) -> None:
    app, version = await store.create_app(title="t", prompt="keep me", model="demo", system_prompt_hash=None)
    assert await store.fail_interrupted() == 1
    failed = await store.get_version(app.id, 1)
    assert (failed.status, failed.prompt) == ("failed", "keep me")
    assert "stopped" in (failed.error or "")


async def test_recent_apps_newest_first_with_latest_status(store: Store) -> None:
    owner = await Accounts(store.engine).create_user("ada")
    first, v1 = await store.create_app(title="first", prompt="p", model="demo", system_prompt_hash=None, owner_id=owner.id)
    await store.create_app(title="second", prompt="p", model="demo", system_prompt_hash=None, owner_id=owner.id)
    await store.finish_version(v1.id, status="complete", html="<p>")
    await store.create_version(first.id, parent_number=1, prompt="again", model="demo", system_prompt_hash=None)
    summaries = await store.list_apps(owner.id)
    assert [s.app.title for s in summaries] == ["first", "second"]
    assert (summaries[0].version_count, summaries[0].latest_number, summaries[0].latest_status) == (2, 2, "generating")


async def test_missing_things_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_app("nope")
    app, _ = await store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None)
    with pytest.raises(NotFound):
        await store.get_version(app.id, 2)
    with pytest.raises(NotFound):
        await store.get_version_by_token("nope")
