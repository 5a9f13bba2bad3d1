"""`toolsmith users`, `toolsmith tokens` and `toolsmith import` of an export, run as the command runs."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import httpx
import pytest

from app.cli.commands import main
from app.services import Services
from app.settings import Settings
from app.web.server import create_app


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("TOOLSMITH_DATABASE_URL", "TOOLSMITH_PUBLIC_URL", "TOOLSMITH_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite'}"


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def api(db: str, token: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    async def go() -> httpx.Response:
        settings = Settings(database_url=db)
        services = await Services.open(settings)
        try:
            transport = httpx.ASGITransport(app=create_app(settings, services))
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", headers={"Authorization": f"Bearer {token}"}) as http:
                return await http.request(method, path, **kwargs)  # type: ignore[arg-type]
        finally:
            await services.close()

    return asyncio.run(go())


def test_users_add_list_link_and_remove(db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "users", "add", "Ada", "--display-name", "Ada L.", "--password-stdin", "--database-url", db, stdin="a long enough password\n")[0] == 0
    code, out, _ = run(capsys, monkeypatch, "users", "add", "bob", "--no-password", "--database-url", db)
    assert code == 0 and "http://localhost:8000/signin/" in out
    code, out, _ = run(capsys, monkeypatch, "users", "list", "--database-url", db)
    assert code == 0 and "ada" in out and "Ada L." in out and "bob" in out
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert " yes " in lines["ada"] and " no " in lines["bob"]
    code, out, _ = run(capsys, monkeypatch, "users", "link", "ada", "--database-url", db)
    assert code == 0 and out.strip().startswith("http://localhost:8000/signin/")
    code, _, err = run(capsys, monkeypatch, "users", "add", "ada", "--no-password", "--database-url", db)
    assert code == 2 and "already a user called 'ada'" in err
    code, _, err = run(capsys, monkeypatch, "users", "add", "carol", "--password-stdin", "--database-url", db, stdin="short\n")
    assert code == 2 and "at least 8 characters" in err
    code, out, _ = run(capsys, monkeypatch, "users", "remove", "bob", "--database-url", db)
    assert code == 0 and "Removed bob" in out
    code, _, err = run(capsys, monkeypatch, "users", "remove", "bob", "--database-url", db)
    assert code == 2 and "no user called 'bob'" in err


def test_tokens_create_list_and_revoke(db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    run(capsys, monkeypatch, "users", "add", "ada", "--no-password", "--database-url", db)
    code, out, err = run(capsys, monkeypatch, "tokens", "create", "--name", "backup", "--database-url", db)
    token = out.strip()
    assert code == 0 and token.startswith("tsk_") and "shown only this once" in err
    assert api(db, token, "GET", "/api/me").json()["user"]["username"] == "ada"
    code, out, _ = run(capsys, monkeypatch, "tokens", "list", "--database-url", db)
    token_id = out.splitlines()[1].split()[0]
    assert code == 0 and "backup" in out and "active" in out and token not in out
    assert run(capsys, monkeypatch, "tokens", "revoke", token_id, "--database-url", db)[0] == 0
    assert "revoked" in run(capsys, monkeypatch, "tokens", "list", "--user", "ada", "--database-url", db)[1]
    refused = api(db, token, "GET", "/api/me")
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]["message"]
    run(capsys, monkeypatch, "users", "add", "bob", "--no-password", "--database-url", db)
    code, _, err = run(capsys, monkeypatch, "tokens", "create", "--database-url", db)
    assert code == 2 and "--user NAME" in err, "with two users, say whose"


def test_import_of_an_export_restores_the_history(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "counter.html"
    page.write_text("<title>Counter</title><button>+</button>")
    code, _, err = run(capsys, monkeypatch, "import", str(page), "--database-url", db)
    assert code == 2 and "no user yet" in err and "toolsmith serve" in err
    run(capsys, monkeypatch, "users", "add", "ada", "--no-password", "--database-url", db)
    token = run(capsys, monkeypatch, "tokens", "create", "--database-url", db)[1].strip()
    code, out, _ = run(capsys, monkeypatch, "import", str(page), "--database-url", db)
    app_id = out.strip().rsplit("/", 1)[1]
    assert code == 0 and out.startswith("http://localhost:8000/apps/")
    export = api(db, token, "GET", f"/api/apps/{app_id}/export").json()
    export["versions"].append({**export["versions"][0], "number": 2, "parent_number": 1, "prompt": "add a minus button"})
    saved = tmp_path / "counter.toolsmith.json"
    saved.write_text(json.dumps(export))
    not_export = tmp_path / "data.json"
    not_export.write_text('{"rows": []}')
    code, _, err = run(capsys, monkeypatch, "import", str(not_export), "--database-url", db)
    assert code == 2 and "not a Toolsmith export" in err
    code, out, _ = run(capsys, monkeypatch, "import", str(saved), "--database-url", db)
    restored = api(db, token, "GET", f"/api/apps/{out.strip().rsplit('/', 1)[1]}").json()
    assert code == 0 and [v["prompt"] for v in restored["versions"]] == ["Imported “Counter”", "add a minus button"]
