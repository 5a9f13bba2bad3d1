"""The store on SQLite and PostgreSQL alike (the `database_url` fixture runs both)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.errors import NotFound
from app.migrations import MIGRATIONS
from app.schema import apps, schema_migrations, versions
from app.store import Store

OLD_VERSION_COLUMNS = {
    "id", "app_id", "number", "parent_number", "prompt", "model", "system_prompt_hash", "html", "answer", "notes", "input_tokens",
    "output_tokens", "duration_ms", "stop_reason", "status", "error", "sandbox_token", "created_at", "finished_at",
}  # the versions table as migration 1 made it


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
    first, v1 = await store.create_app(title="first", prompt="p", model="demo", system_prompt_hash=None)
    second, _ = await store.create_app(title="second", prompt="p", model="demo", system_prompt_hash=None)
    await store.finish_version(v1.id, status="complete", html="<p>")
    await store.create_version(first.id, parent_number=1, prompt="again", model="demo", system_prompt_hash=None)
    summaries = await store.list_apps()
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


async def test_versions_record_how_they_were_made(store: Store) -> None:
    app, first = await store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None)
    assert (first.kind, first.path, first.continuations, first.automatic) == ("create", None, 0, False)
    errors = [{"kind": "error", "message": "TypeError: x is null", "line": 12, "column": 5, "stack": "at f (12:5)"}]
    fix = await store.create_version(app.id, parent_number=1, prompt="Fix", model="demo", system_prompt_hash=None, kind="fix", runtime_errors=errors, automatic=True, selection={"kind": "code", "start_line": 3, "end_line": 4})
    done = await store.finish_version(fix.id, status="complete", html="<p>", path="edits_then_page", edit_count=None, edit_error="Block 1: matches nowhere", continuations=1)
    fetched = await store.get_version(app.id, 2)
    assert fetched == done
    assert (fetched.kind, fetched.path, fetched.edit_error, fetched.continuations, fetched.automatic) == ("fix", "edits_then_page", "Block 1: matches nowhere", 1, True)
    assert fetched.runtime_errors == errors
    assert fetched.selection == {"kind": "code", "start_line": 3, "end_line": 4}
    data = fetched.to_json()
    assert (data["kind"], data["runtime_errors"], data["selection"]["start_line"]) == ("fix", errors, 3)


async def test_an_older_database_gains_the_provenance_columns(database_url: str) -> None:
    """A database made before migration 2 is brought up to date, its versions described as they were made."""
    old = sa.MetaData()
    for table in (apps, versions, schema_migrations):
        kept = [c for c in table.columns if table is not versions or c.name in OLD_VERSION_COLUMNS]
        sa.Table(table.name, old, *(sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in kept))
    store = Store.from_url(database_url)
    now = datetime.now(UTC)
    row = {"created_at": now, "finished_at": now, "status": "complete", "system_prompt_hash": None, "answer": None, "notes": None, "input_tokens": None, "output_tokens": None, "duration_ms": None, "stop_reason": None, "error": None}
    async with store.engine.begin() as conn:
        await conn.run_sync(old.create_all)
        await conn.execute(schema_migrations.insert().values(id=1, name="apps and versions", applied_at=now))
        await conn.execute(apps.insert().values(id="a1", title="t", created_at=now, updated_at=now))
        await conn.execute(
            sa.insert(old.tables["versions"]),
            [
                {**row, "id": "v1", "app_id": "a1", "number": 1, "parent_number": None, "prompt": "Imported", "model": "import", "html": "<p>1", "sandbox_token": "t1"},
                {**row, "id": "v2", "app_id": "a1", "number": 2, "parent_number": 1, "prompt": "dark", "model": "demo", "html": "<p>2", "sandbox_token": "t2"},
                {**row, "id": "v3", "app_id": "a1", "number": 3, "parent_number": None, "prompt": "again", "model": "demo", "html": None, "sandbox_token": "t3", "status": "failed"},
            ],
        )
    try:
        assert await store.migrate() == [2]
        kinds = [(v.kind, v.path, v.continuations, v.automatic) for v in await store.list_versions("a1")]
        assert kinds == [("import", None, 0, False), ("follow_up", "page", 0, False), ("create", None, 0, False)]
        added = await store.create_version("a1", parent_number=2, prompt="x", model="demo", system_prompt_hash=None, kind="fix", runtime_errors=[{"message": "m"}])
        assert (await store.get_version("a1", added.number)).runtime_errors == [{"message": "m"}]
    finally:
        await store.close()
