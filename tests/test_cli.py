"""The `toolsmith` command, run as a person would run it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.cli.loop import run as run_loop
from app.services import Services
from app.settings import ROOT, Settings
from tests.conftest import free_port


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment without Toolsmith's settings or keys, so the command uses its defaults."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TOOLSMITH_", "ANTHROPIC_", "OPENAI_"))}
    return {**clean, "PYTHONPATH": str(ROOT), **extra}


def toolsmith(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        env=_environment(**(env or {})),
        cwd=cwd or ROOT,
        timeout=180,
    )


def test_serve_and_worker_run_on_uvloop_where_it_is_installed() -> None:
    async def running_loop() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert run_loop(running_loop()).startswith("uvloop")


@pytest.mark.parametrize("command", [[], ["serve"], ["worker"], ["import"], ["models"]])
def test_help(command: list[str]) -> None:
    result = toolsmith(*command, "--help")
    assert result.returncode == 0
    assert "usage: toolsmith" in result.stdout


def test_models_says_which_lack_a_key(tmp_path: Path) -> None:
    result = toolsmith("models", env={"OPENAI_API_KEY": "sk"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"demo\s+offline demo, not an LLM", out)
    assert re.search(r"anthropic:claude-sonnet-5-5\s+needs ANTHROPIC_API_KEY", out)
    assert re.search(r"\* openai:gpt-5.4-mini\s+ready", out), "the default is marked"


def test_models_lists_configured_endpoints(tmp_path: Path) -> None:
    (tmp_path / "toolsmith.toml").write_text('[endpoints.ollama]\nbase_url = "http://localhost:11434/v1"\nmodels = ["qwen2.5-coder"]\n')
    result = toolsmith("models", cwd=tmp_path)
    assert re.search(r"ollama:qwen2.5-coder\s+ready", result.stdout)


def _apps_of(database: str, username: str) -> list[str]:
    async def titles() -> list[str]:
        services = await Services.open(Settings(database_url=database))
        try:
            user = await services.accounts.get_user_by_name(username)
            return [summary.app.title for summary in await services.store.list_apps(user.id)]
        finally:
            await services.close()

    return asyncio.run(titles())


def test_import_prints_the_editor_url_and_the_app_is_its_users(tmp_path: Path) -> None:
    page = tmp_path / "counter.html"
    page.write_text("<!DOCTYPE html><html><head><title>Counter</title></head><body><button>+1</button></body></html>")
    database = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    nobody = toolsmith("import", str(page), "--database-url", database)
    assert nobody.returncode == 2 and "no user yet" in nobody.stderr and "toolsmith users add" in nobody.stderr
    assert toolsmith("users", "add", "ada", "--no-password", "--database-url", database).returncode == 0
    result = toolsmith("import", str(page), "--title", "My counter", "--database-url", database)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert re.fullmatch(r"http://localhost:8000/apps/\w+", url)
    assert _apps_of(database, "ada") == ["My counter"]
    listed = toolsmith("import", str(tmp_path / "missing.html"), "--database-url", database)
    assert listed.returncode == 2 and "is neither a file nor a folder" in listed.stderr


def test_import_refuses_an_empty_page(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text("  ")
    database = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    assert toolsmith("users", "add", "ada", "--no-password", "--database-url", database).returncode == 0
    result = toolsmith("import", str(page), "--database-url", database)
    assert result.returncode == 2
    assert "empty" in result.stderr and "Traceback" not in result.stderr


def _serve(tmp_path: Path, port: int, sandbox_port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--sandbox-port", str(sandbox_port), "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_environment(),
        cwd=tmp_path,
    )


def test_serve_prints_a_sign_in_link_serves_both_origins_and_stops_on_sigint(tmp_path: Path) -> None:
    port, sandbox_port = free_port(), free_port()
    process = _serve(tmp_path, port, sandbox_port)
    try:
        assert process.stdout is not None
        first = re.fullmatch(rf"Toolsmith is running: open (http://localhost:{port}/signin/\S+)", process.stdout.readline().strip())
        assert first, "the first start prints a one-time sign-in link"
        assert process.stdout.readline().strip() == f"that link signs you in as 'owner', once, within the hour; later: http://localhost:{port}"
        assert "offline demo" in "".join(process.stdout.readline() for _ in range(3))
        assert httpx.get(f"http://localhost:{port}/").headers["location"].startswith("/login"), "nobody is signed in without it"
        with httpx.Client() as browser:
            home = browser.get(first[1], follow_redirects=True)
            assert (home.status_code, home.url) == (200, f"http://localhost:{port}/")
        assert httpx.get(first[1]).status_code == 404, "the link works once"
        assert httpx.get(f"http://127.0.0.1:{sandbox_port}/v/none").status_code == 404
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()


def test_serve_on_a_busy_port_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        process = _serve(tmp_path, busy.getsockname()[1], free_port())
        try:
            output, _ = process.communicate(timeout=30)
        finally:
            process.kill()
    assert process.returncode != 0
    assert "already in use" in output and "--port" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["worker"], {}, "toolsmith worker needs TOOLSMITH_REDIS_URL"),
        (["serve", "--workers", "2"], {}, "serve --workers needs TOOLSMITH_REDIS_URL"),
        (["worker"], {"TOOLSMITH_REDIS_URL": "redis://127.0.0.1:6379/0"}, "needs a PostgreSQL TOOLSMITH_DATABASE_URL"),
        (["serve", "--workers", "0"], {}, "--workers must be 1 or more"),
    ],
)
def test_many_processes_say_what_they_need(tmp_path: Path, args: list[str], env: dict[str, str], says: str) -> None:
    result = toolsmith(*args, env={"TOOLSMITH_DATA_DIR": str(tmp_path), **env}, cwd=tmp_path)
    assert result.returncode != 0
    assert says in result.stderr


def test_eval_prints_a_table_per_model_and_writes_json(tmp_path: Path) -> None:
    chromium = os.environ.get("TOOLSMITH_CHROMIUM") or "chromium"
    suite = tmp_path / "mine.toml"
    suite.write_text(
        '[[prompt]]\nid = "words"\nprompt = "A word counter: a textarea with id text, the count in an element with id words."\n'
        'steps = [{ fill = "#text", value = "one two" }]\nexpect = [{ selector = "#words", equals = "2" }, { no_problems = true }]\n'
    )
    database = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    assert toolsmith("users", "add", "ada", "--no-password", "--database-url", database).returncode == 0
    out = tmp_path / "out.json"
    env = {"TOOLSMITH_CHROMIUM": chromium, "TOOLSMITH_DEMO_DELAY": "0"}
    result = toolsmith("eval", str(suite), "--model", "demo", "--json", str(out), "--database-url", database, env=env)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^demo\s+words\s+passed$", result.stdout, re.M), result.stdout
    assert re.search(r"^demo\s+1/1\s+100% \(21%–100%\)", result.stdout, re.M), result.stdout
    assert re.search(r"Report: http://localhost:8000/evals/\w+", result.stdout)
    import json

    saved = json.loads(out.read_text())
    assert (saved["status"], saved["summary"][0]["passed"], saved["results"][0]["prompt_id"]) == ("finished", 1, "words")
    assert _apps_of(database, "ada") == []  # the eval's app is on its report, not in Ada's list

    suite.write_text('[[prompt]]\nid = "words"\nprompt = "x"\nexpect = [{ selector = "#a", count = "two" }]\n')
    refused = toolsmith("eval", str(suite), "--model", "demo", "--database-url", database, env=env)
    assert refused.returncode == 2 and "line 1 (prompt “words”), expectation 1: count must be a whole number" in refused.stderr
    assert "Traceback" not in refused.stderr


async def test_the_sockets_shared_by_many_workers_answer_without_nagles_delay() -> None:
    """`serve --workers` binds the sockets its processes share; each connection they accept has
    Nagle's algorithm off, even on the plain asyncio loop, so a keep-alive client never waits for
    a delayed ACK between the two writes of a response."""
    from app.cli.workers import _bind

    sock = _bind("127.0.0.1", 0)
    sock.listen()
    sock.setblocking(False)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def take(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(take, sock=sock)
    try:
        _, writer = await asyncio.open_connection(*sock.getsockname())
        assert await asyncio.wait_for(accepted, 5) == 1
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
