"""`toolsmith backup PATH` and `toolsmith restore PATH`: a round trip keeps every app, version, share and account."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from app.services import Services
from app.settings import Settings
from tests.conftest import api_client, browser_for, wait_for_version
from tests.test_cli import toolsmith

TABLES = ("users", "apps", "versions", "shares", "generation_leases", "api_tokens", "sessions", "signin_links", "instance_secrets", "schema_migrations")


def rows(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    connection = sqlite3.connect(database)
    try:
        return {table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in TABLES}
    finally:
        connection.close()


async def _fill(settings: Settings, services: Services) -> str:
    """Two people, apps with follow-ups, a hand edit, share links, tokens and sessions."""
    ada = await services.accounts.create_user("ada", display_name="Ada")
    await services.accounts.set_password(ada.id, "correct horse battery")
    bob = await services.accounts.create_user("bob")
    async with api_client(settings, services, ada) as http:
        app_id = (await http.post("/api/apps", json={"prompt": "a tip calculator"})).json()["app"]["id"]
        await wait_for_version(http, app_id, 1)
        await http.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark"})
        await wait_for_version(http, app_id, 2)
        await http.post(f"/api/apps/{app_id}/versions/1/hand-edit", json={"html": "<!DOCTYPE html><h1>by hand</h1>"})
        await http.post(f"/api/apps/{app_id}/shares", json={"show_author": True})
        revoked = (await http.post(f"/api/apps/{app_id}/shares", json={"version": 1})).json()["share"]["id"]
        await http.delete(f"/api/apps/{app_id}/shares/{revoked}")
    async with api_client(settings, services, bob) as http:
        await http.post("/api/import", json={"html": "<!DOCTYPE html><title>Bob's page</title><p>hi"})
    async with browser_for(settings, services, bob):
        pass  # a session of bob's
    return app_id


async def test_round_trip_keeps_every_app_version_share_and_account(settings: Settings, services: Services, tmp_path: Path) -> None:
    app_id = await _fill(settings, services)
    database = settings.data_dir / "toolsmith.db"
    kept = rows(database)
    assert len(kept["versions"]) == 4 and len(kept["shares"]) == 2 and len(kept["users"]) == 2

    backup = tmp_path / "backups" / "toolsmith-backup.db"
    made = toolsmith("backup", str(backup), env={"TOOLSMITH_DATABASE_URL": settings.resolved_database_url})
    assert made.returncode == 0, made.stderr
    assert "Backed up" in made.stdout and backup.is_file()
    assert not Path(f"{backup}-wal").exists()

    # Changes after the backup are what a restore takes back.
    async with api_client(settings, services) as http:
        await http.post("/api/import", json={"html": "<!DOCTYPE html><title>After</title>"})
    assert rows(database) != kept

    elsewhere = tmp_path / "restored" / "toolsmith.db"
    restored = toolsmith("restore", str(backup), env={"TOOLSMITH_DATABASE_URL": f"sqlite+aiosqlite:///{elsewhere}"})
    assert restored.returncode == 0, restored.stderr
    assert rows(elsewhere) == kept

    # The restored instance works: the same person sees the same app and can change it.
    again = Settings(data_dir=elsewhere.parent, demo_delay=0.0, provider_retries=0)
    reopened = await Services.open(again)
    try:
        ada = await reopened.accounts.check_password("ada", "correct horse battery")
        assert ada is not None
        async with api_client(again, reopened, ada) as http:
            answer = (await http.get(f"/api/apps/{app_id}")).json()
            assert [v["number"] for v in answer["versions"]] == [1, 2, 3]
            assert (await http.post(f"/api/apps/{app_id}/versions/3/restore")).status_code == 201
    finally:
        await reopened.close()


def test_backup_refuses_to_overwrite_and_restore_refuses_what_is_not_a_backup(settings: Settings, tmp_path: Path) -> None:
    env = {"TOOLSMITH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}"}
    missing = toolsmith("backup", str(tmp_path / "b.db"), env=env)
    assert missing.returncode == 2 and "no database" in missing.stderr
    taken = tmp_path / "taken.db"
    taken.write_text("x")
    sqlite3.connect(tmp_path / "missing.db").close()
    assert "exists already" in toolsmith("backup", str(taken), env=env).stderr
    taken.write_bytes(b"not a database at all " * 100)
    assert "is not an SQLite file" in toolsmith("restore", str(taken), env=env).stderr
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert "not a Toolsmith backup" in toolsmith("restore", str(other), env=env).stderr


def test_postgresql_is_pointed_at_pg_dump(tmp_path: Path) -> None:
    answer = toolsmith("backup", str(tmp_path / "b.db"), env={"TOOLSMITH_DATABASE_URL": "postgresql+asyncpg://someone@localhost/toolsmith"})
    assert answer.returncode == 2
    assert "pg_dump --format=custom" in answer.stderr and "pg_restore" in answer.stderr
