"""The `toolsmith` command: serve, worker, import, eval, models, users, tokens."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import signal
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import uvicorn

from app.cli import accounts as cli_accounts
from app.cli import workers as cli_workers
from app.cli.loop import run as run_loop
from app.errors import BadRequest, ToolsmithError
from app.settings import Settings
from app.storage import backup as backup_database
from app.storage import restore as restore_database

# The main origin's HTTP parser: h11, which hands any method to Toolsmith, so that a request no
# route knows (`FOO /api/apps`) is answered with Toolsmith's JSON error and its code, as every bad
# request is. httptools, faster, refuses an unknown method itself with a bare text 400; the
# sandbox host, which only serves pages, takes it ("auto": httptools when installed).
MAIN_HTTP = "h11"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to us: we run two in one loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings, sockets: tuple[socket.socket, socket.socket] | None = None) -> None:
    """Run the main service and the sandbox host together until interrupted.

    With `sockets` (the main service's, the sandbox host's), this is one of the
    processes `serve --workers N` started on sockets it bound (app.cli.workers),
    and that parent has already announced the address and the first sign-in.
    """
    from app.services import Services
    from app.web import create_app
    from sandbox.server import create_sandbox_app

    services = await Services.open(settings)
    first = await cli_accounts.first_start(services.accounts) if sockets is None else None
    await services.accounts.remember_address(settings.resolved_public_url)
    servers = [
        _Server(uvicorn.Config(create_app(settings, services), host=settings.host, port=port, log_level="warning", timeout_graceful_shutdown=3, lifespan="on", http=MAIN_HTTP))
        for port in (settings.port,)
    ]
    servers.append(_Server(uvicorn.Config(create_sandbox_app(services), host=settings.host, port=settings.sandbox_port, log_level="warning", timeout_graceful_shutdown=3, lifespan="off")))

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop)

    async def announce() -> None:
        while not all(s.started for s in servers):
            if any(s.should_exit for s in servers):
                return
            await asyncio.sleep(0.05)
        if sockets is not None:
            return
        models = services.registry.list()
        if first is not None:
            user, token = first
            print(f"Toolsmith is running: open {cli_accounts.signin_url(settings, token)}", flush=True)
            print(f"  that link signs you in as {user.username!r}, once, within the hour; later: {settings.resolved_public_url}", flush=True)
        else:
            print(f"Toolsmith is running: open {settings.resolved_public_url}", flush=True)
        print(f"  generated apps are served from {settings.resolved_sandbox_url}", flush=True)
        print(f"  database: {_safe_url(settings.resolved_database_url)}", flush=True)
        if not any(m.usable and not m.is_demo for m in models):
            print("  no API key is set: using the offline demo model (set ANTHROPIC_API_KEY or OPENAI_API_KEY for a real one)", flush=True)
        print("Press Ctrl+C to stop.", flush=True)

    async def run(server: _Server, sock: socket.socket | None) -> None:
        try:
            await server.serve(sockets=[sock] if sock is not None else None)
        except SystemExit:  # uvicorn exits when it cannot bind its port
            pass
        finally:
            stop()  # one server down takes the other with it

    try:
        await asyncio.gather(announce(), *(run(s, sock) for s, sock in zip(servers, sockets or (None, None), strict=True)))
    finally:
        await services.close()
    if any(not s.started for s in servers):
        raise SystemExit(
            f"Toolsmith could not start: port {settings.port} or {settings.sandbox_port} is already in use, "
            "or the host cannot be listened on. Pick other ports with --port and --sandbox-port."
        )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


async def import_file(settings: Settings, path: Path, title: str | None, username: str | None, page: str | None = None) -> str:
    """An HTML page as a new app, a folder or zip as its page with the files it names, or a whole
    app from a Toolsmith export (.json); returns its editor URL, and says on stderr what was left out."""
    from app.versions import Versioning, import_export, is_export, is_zip, read_folder, read_zip

    bundle = None
    if path.is_dir():
        bundle = read_folder(path, page)
    elif path.suffix.lower() == ".zip" or is_zip(path):
        bundle = read_zip(path.read_bytes(), page)
    elif page is not None:
        raise BadRequest("--page chooses the page of a folder or a zip; FILE is a page already.")
    text = "" if bundle is not None else path.read_text(encoding="utf-8", errors="replace")
    async with cli_accounts.opened_accounts(settings) as (store, accounts):
        owner = await cli_accounts.user_for(accounts, username)
        if bundle is not None:
            app, _ = await Versioning(settings, store).import_bundle(bundle, title, owner_id=owner.id)
            for note in bundle.skipped:
                print(f"toolsmith import: {note}", file=sys.stderr)
        elif path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if not is_export(data):
                raise BadRequest(f"{path} is not a Toolsmith export (the editor's Export makes one); to import a page, give an .html file.")
            app = await import_export(store, data, owner_id=owner.id, max_html_bytes=settings.max_html_bytes)
        else:
            app, _ = await Versioning(settings, store).import_page(text, title, owner_id=owner.id)
    return f"{settings.resolved_public_url}/apps/{app.id}"


async def run_eval(settings: Settings, suite_arg: str, models: list[str], repeat: int, username: str | None, json_path: Path | None) -> int:
    """`toolsmith eval`: the suite through each model, a line per run as it finishes, then the table; writes the JSON."""
    from app.evals import load_builtin, parse_suite, table
    from app.services import Services

    path = Path(suite_arg)
    suite = parse_suite(path.read_text(encoding="utf-8", errors="replace"), path.stem) if path.is_file() else load_builtin(suite_arg)
    services = await Services.open(settings)
    try:
        owner = await cli_accounts.user_for(services.accounts, username)

        async def progress(result: dict[str, object]) -> None:
            verdict = "passed" if result["passed"] else "FAILED"
            failed = [e for e in result["expectations"] if not e["passed"]] if isinstance(result["expectations"], list) else []
            why = "; ".join(f"{e['selector'] or 'page'} {e['kind']} {e['value']!r}: got {e['actual']!r}" for e in failed[:2]) or result.get("error") or ""
            print(f"{result['model']:<28} {result['prompt_id']:<20} {verdict}{'  ' + str(why) if why else ''}", flush=True)

        eval_id = await services.evals.start(suite, models or [settings.resolved_default_model], repeat, owner_id=owner.id, progress=progress)
        await services.evals.wait(eval_id)
        run = await services.evals.runs.get(eval_id, owner.id)
    finally:
        await services.close()
    print()
    print(table(run["summary"]))
    target = json_path or Path(f"eval-{eval_id}.json")
    from app.evals import in_suite_order

    target.write_text(json.dumps({**run, "results": in_suite_order(run)}, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nReport: {settings.resolved_public_url}{run['report_url']}\nJSON: {target}")
    return 0 if run["status"] == "finished" else 1


def list_models(settings: Settings) -> str:
    from app.generation import ModelRegistry

    lines = []
    default = settings.resolved_default_model
    for model in ModelRegistry(settings).list():
        note = "offline demo, not an LLM" if model.is_demo else ("ready" if model.usable else f"needs {model.key_env_var}")
        marker = "*" if model.id == default else " "
        lines.append(f"{marker} {model.id:<36} {note}")
    lines.append("")
    lines.append("* default model. Any model of a listed provider works as provider:model-name.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolsmith", description="Describe a small tool; watch a model build it; iterate; keep every version.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_cmd = commands.add_parser("serve", help="start the service and the sandbox host", description="Start Toolsmith and print the URL to open.")
    serve_cmd.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, help="port of the main service (default 8000)")
    serve_cmd.add_argument("--sandbox-port", type=int, help="port of the sandbox host for generated apps (default 8001)")
    serve_cmd.add_argument("--database-url", help="SQLAlchemy database URL (default: SQLite file in ./data)")
    serve_cmd.add_argument("--workers", type=int, default=1, metavar="N", help="processes serving the same ports (default 1; more need TOOLSMITH_REDIS_URL and PostgreSQL)")

    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database-url", help="SQLAlchemy database URL (default: SQLite file in ./data)")

    import_cmd = commands.add_parser(
        "import",
        parents=[database],
        help="make an app from an HTML page, a folder or zip, or a Toolsmith export",
        description="Create an app from FILE, and print its editor URL: an HTML page becomes version 1; "
        "a folder or a .zip gives its page (index.html, the only .html file at its top, or --page) "
        "with the files it names by relative path (scripts, stylesheets, data, images); "
        "a Toolsmith export (.json, from the editor's Export) comes back with its whole history.",
    )
    import_cmd.add_argument("file", type=Path, metavar="FILE", help="the HTML page, folder, .zip or .json export to import")
    import_cmd.add_argument("--page", help="of a folder or zip: the page to import, by its path inside it (default: index.html)")
    import_cmd.add_argument("--title", help="the app's title, for a page (default: the page's <title>)")
    import_cmd.add_argument("--user", help="who gets the app (default: the only user)")

    backup_cmd = commands.add_parser(
        "backup",
        parents=[database],
        help="copy the whole instance to one file",
        description="Copy every app, version, share link and account to PATH, a new SQLite file, while Toolsmith runs "
        "(SQLite's online backup). For PostgreSQL it tells how to use pg_dump.",
    )
    backup_cmd.add_argument("path", type=Path, metavar="PATH", help="the file to write; it must not exist")
    restore_cmd = commands.add_parser(
        "restore",
        parents=[database],
        help="replace the instance with a backup",
        description="Replace the database with the backup at PATH, which `toolsmith backup` wrote. Stop Toolsmith first.",
    )
    restore_cmd.add_argument("path", type=Path, metavar="PATH", help="the backup to restore")

    commands.add_parser(
        "worker",
        parents=[database],
        help="take generations off the queue, serving nothing",
        description="Run generations from the queue TOOLSMITH_REDIS_URL names, as many at once as TOOLSMITH_WORKER_JOBS, until interrupted.",
    )

    eval_cmd = commands.add_parser(
        "eval",
        parents=[database],
        help="run a suite of tool prompts through models and check every page",
        description="Run SUITE (a built-in suite's name, such as everyday, or a suite file: docs/evals.md) through each "
        "--model, check every page in Chromium, print a table per model and write the results as JSON.",
    )
    eval_cmd.add_argument("suite", metavar="SUITE", help="a built-in suite (everyday) or a .toml suite file")
    eval_cmd.add_argument("--model", action="append", default=[], dest="models", metavar="MODEL", help="a model to run it through; repeat for more (default: the default model)")
    eval_cmd.add_argument("--repeat", type=int, default=1, help="runs of each prompt per model (default 1)")
    eval_cmd.add_argument("--user", help="whose evals and apps they are (default: the only user)")
    eval_cmd.add_argument("--json", type=Path, dest="json_path", help="where to write the results (default: ./eval-ID.json)")

    commands.add_parser("models", help="list the models and which lack a key", description="List the models Toolsmith can use and which need a key.")
    cli_accounts.add_parsers(commands, database)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    overrides = {
        name: getattr(args, name)
        for name in ("host", "port", "sandbox_port", "database_url")
        if getattr(args, name, None) is not None
    }
    settings = dataclasses.replace(settings, **overrides)
    try:
        if args.command == "serve" and args.workers != 1:
            return cli_workers.serve_many(settings, args.workers, serve)
        if args.command == "serve":
            with contextlib.suppress(KeyboardInterrupt):
                run_loop(serve(settings))
        elif args.command == "worker":
            with contextlib.suppress(KeyboardInterrupt):
                run_loop(cli_workers.work(settings))
        elif args.command == "import":
            if not args.file.is_file() and not args.file.is_dir():
                print(f"toolsmith import: {args.file} is neither a file nor a folder.", file=sys.stderr)
                return 2
            print(asyncio.run(import_file(settings, args.file, args.title, args.user, args.page)))
        elif args.command == "backup":
            size = backup_database(settings.resolved_database_url, args.path)
            print(f"Backed up {_safe_url(settings.resolved_database_url)} to {args.path} ({size:,} bytes).")
        elif args.command == "restore":
            restore_database(settings.resolved_database_url, args.path)
            print(f"Restored {args.path} into {_safe_url(settings.resolved_database_url)}; start Toolsmith again.")
        elif args.command == "eval":
            return asyncio.run(run_eval(settings, args.suite, args.models, args.repeat, args.user, args.json_path))
        elif args.command == "models":
            print(list_models(settings))
        elif args.command in ("users", "tokens"):
            asyncio.run(cli_accounts.run(settings, args))
    except ToolsmithError as exc:
        print(f"toolsmith {args.command}{' ' + args.action if getattr(args, 'action', None) else ''}: {exc.message}", file=sys.stderr)
        return 2
    return 0
