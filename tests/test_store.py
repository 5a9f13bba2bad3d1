"""The store on SQLite and PostgreSQL alike (the `database_url` fixture runs both)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.accounts.users import Accounts
from app.errors import NotFound
from app.storage.migrations import MIGRATIONS
from app.storage.schema import metadata, schema_migrations
from app.storage.store import Store
from tests.old_databases import MIGRATION_1


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


SCHEMA_1 = [*MIGRATION_1, "INSERT INTO apps VALUES ('a1', 't', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"]


def _old_version(id: str, number: int, parent: int | None, model: str, html: str | None, status: str = "complete") -> sa.TextClause:
    return sa.text(
        "INSERT INTO versions (id, app_id, number, parent_number, prompt, model, html, status, sandbox_token, created_at) "
        "VALUES (:id, 'a1', :number, :parent, 'p', :model, :html, :status, :token, '2025-01-01 00:00:00')"
    ).bindparams(id=id, number=number, parent=parent, model=model, html=html, status=status, token=f"tok-{id}")


def _columns(connection: sa.Connection) -> dict[str, dict[str, bool]]:
    """Each table's columns and whether they take NULL (SQLite says a text primary key does: it is never left empty here)."""
    inspector = sa.inspect(connection)
    tables = {}
    for table in inspector.get_table_names():
        keys = set(inspector.get_pk_constraint(table)["constrained_columns"])
        tables[table] = {c["name"]: c["nullable"] and c["name"] not in keys for c in inspector.get_columns(table)}
    return tables


async def _has_current_schema(store: Store) -> None:
    """Every table and column app.storage.schema declares, with the same nullability: as a new database has them."""
    async with store.engine.connect() as conn:
        found = await conn.run_sync(_columns)
    expected = {table.name: {c.name: bool(c.nullable) for c in table.columns} for table in metadata.sorted_tables}
    assert found == expected


@pytest.mark.parametrize("start", ["1", "1+2", "1+3 recorded as 2"])
async def test_an_older_database_is_brought_to_the_current_schema(database_url: str, start: str) -> None:
    """A database from migration 1, or from 1 and 2 (accounts), gains the columns of how versions were made,
    its versions described as they were made. One from before the accounts, when "how each version
    was made" was numbered 2, gains the accounts, and its record is moved to today's numbers."""
    store = Store.from_url(database_url)
    try:
        async with store.engine.begin() as conn:
            for statement in SCHEMA_1:
                await conn.execute(sa.text(statement))
            await conn.execute(_old_version("v1", 1, None, "import", "<p>1"))
            await conn.execute(_old_version("v2", 2, 1, "demo", "<p>2"))
            await conn.execute(_old_version("v3", 3, None, "demo", None, "failed"))
            if start == "1+2":
                accounts = next(m for m in MIGRATIONS if m.id == 2)
                await conn.run_sync(accounts.apply)
                await conn.execute(schema_migrations.insert().values(id=2, name=accounts.name, applied_at=datetime.now(UTC)))
                await conn.execute(_old_version("v4", 4, None, "remix", "<p>4"))
            if start == "1+3 recorded as 2":
                provenance = next(m for m in MIGRATIONS if m.id == 3)
                await conn.run_sync(provenance.apply)
                await conn.execute(schema_migrations.insert().values(id=2, name=provenance.name, applied_at=datetime.now(UTC)))
        later = [m.id for m in MIGRATIONS if m.id > 3]
        assert await store.migrate() == {"1": [2, 3, *later], "1+2": [3, *later], "1+3 recorded as 2": [2, *later]}[start]
        async with store.engine.connect() as conn:
            recorded = [tuple(row) for row in await conn.execute(sa.select(schema_migrations.c.id, schema_migrations.c.name).order_by(schema_migrations.c.id))]
        assert recorded == [(m.id, m.name) for m in MIGRATIONS]
        assert await store.migrate() == []
        await _has_current_schema(store)
        made = [(v.number, v.kind, v.path, v.continuations, v.automatic) for v in await store.list_versions("a1")]
        expected = [(1, "import", None, 0, False), (2, "follow_up", "page", 0, False), (3, "create", None, 0, False)]
        assert made == expected + ([(4, "remix", None, 0, False)] if start == "1+2" else [])
        assert (await store.get_app("a1")).purpose == "own"  # an app from before purposes is the person's own
        added = await store.create_version("a1", parent_number=2, prompt="x", model="demo", system_prompt_hash=None, kind="fix", runtime_errors=[{"message": "m"}], selection={"kind": "code", "start_line": 1, "end_line": 2})
        fetched = await store.get_version("a1", added.number)
        assert (fetched.runtime_errors, fetched.selection) == ([{"message": "m"}], {"kind": "code", "start_line": 1, "end_line": 2})
        # Migration 4: nobody had named an app by hand yet, so every page's <title> still renames its app.
        assert (await store.get_app("a1")).title_by_hand is False
    finally:
        await store.close()


async def test_a_new_database_has_the_current_schema(store: Store) -> None:
    await _has_current_schema(store)


async def test_hundreds_of_writers_at_once_all_succeed(store: Store) -> None:
    """On SQLite every write takes its turn through one writer; none is refused as `database is locked`."""

    async def one(n: int) -> str:
        app, version = await store.create_app(title=f"app {n}", prompt=f"prompt {n}", model="demo", system_prompt_hash=None)
        follow_up = await store.create_version(app.id, parent_number=1, prompt="again", model="demo", system_prompt_hash=None)
        await store.finish_version(version.id, status="complete", html=f"<p>{n}</p>", page_title=f"named {n}")
        await store.finish_version(follow_up.id, status="failed", error="stopped")
        return app.id

    app_ids = await asyncio.gather(*(one(n) for n in range(200)))
    for n, app_id in enumerate(app_ids):
        assert (await store.get_app(app_id)).title == f"named {n}"
        assert [(v.number, v.status) for v in await store.list_versions(app_id)] == [(1, "complete"), (2, "failed")]


async def test_a_finished_page_names_its_app_unless_the_owner_did(store: Store) -> None:
    """The <title> of a finished page names the app in the same commit; a name the owner gave stays."""
    followed, _ = await store.create_app(title="untitled", prompt="p", model="demo", system_prompt_hash=None)
    named, _ = await store.create_app(title="untitled", prompt="p", model="demo", system_prompt_hash=None)
    await store.rename_app(named.id, "My own name")
    for app in (followed, named):
        version = (await store.list_versions(app.id))[0]
        await store.finish_version(version.id, status="complete", html="<title>Tip splitter</title>", page_title="Tip splitter")
    assert (await store.get_app(followed.id)).title == "Tip splitter"
    assert (await store.get_app(named.id)).title == "My own name"
