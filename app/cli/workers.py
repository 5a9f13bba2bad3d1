"""Many processes: `toolsmith serve --workers N` on ports bound once, and `toolsmith worker`, which only takes queue work."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import socket
import time
from collections.abc import Callable, Coroutine
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from app.cli import accounts as cli_accounts
from app.cli.loop import run as run_loop
from app.settings import Settings

RESTART_SECONDS = 3.0

Serve = Callable[[Settings, tuple[socket.socket, socket.socket]], Coroutine[Any, Any, None]]


def check_shared(settings: Settings, what: str) -> None:
    """Processes share live events and the queue through Redis, and everything else through one PostgreSQL."""
    if not settings.redis_url:
        raise SystemExit(f"{what} needs TOOLSMITH_REDIS_URL: Toolsmith processes share live events and the queue of generations through Redis (docs/deployment.md).")
    if make_url(settings.resolved_database_url).get_backend_name() == "sqlite":
        raise SystemExit(f"{what} needs a PostgreSQL TOOLSMITH_DATABASE_URL: an SQLite file cannot be shared by many processes (docs/deployment.md).")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets that say
    # they are TCP, and a keep-alive connection whose response goes out in two writes otherwise
    # waits 40 ms for the client's delayed ACK before the second.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _child(settings: Settings, sockets: tuple[socket.socket, socket.socket], serve: Serve) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        run_loop(serve(settings, sockets))


async def _prepare(settings: Settings) -> tuple[str, str] | None:
    """Check Redis, migrate once before any child does, and make the first start's owner and link."""
    redis = Redis.from_url(settings.redis_url or "")
    try:
        await redis.ping()
    except (RedisError, OSError) as exc:
        raise SystemExit(f"Toolsmith could not reach Redis ({exc}): start it, or fix TOOLSMITH_REDIS_URL.") from None
    finally:
        await redis.aclose()
    async with cli_accounts.opened_accounts(settings) as (_, accounts):
        first = await cli_accounts.first_start(accounts)
    return (first[0].username, first[1]) if first else None


def _listening(host: str, port: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return True
        time.sleep(0.1)
    return False


def serve_many(settings: Settings, count: int, serve: Serve) -> int:
    """Start `count` processes that serve both ports, each taking its share of the queue; restart any that dies."""
    if count < 1:
        raise SystemExit("--workers must be 1 or more.")
    check_shared(settings, "serve --workers")
    first = asyncio.run(_prepare(settings))
    try:
        sockets = (_bind(settings.host, settings.port), _bind(settings.host, settings.sandbox_port))
    except OSError:
        raise SystemExit(f"Toolsmith could not start: port {settings.port} or {settings.sandbox_port} is already in use. Pick other ports with --port and --sandbox-port.") from None
    spawn = multiprocessing.get_context("spawn")

    def start() -> BaseProcess:
        process = spawn.Process(target=_child, args=(settings, sockets, serve), name="toolsmith-serve")
        process.start()
        return process

    children = [start() for _ in range(count)]
    started = [time.monotonic()] * count
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    if _listening(settings.host, settings.port, 60):
        if first is not None:
            print(f"Toolsmith is running: open {cli_accounts.signin_url(settings, first[1])}", flush=True)
            print(f"  that link signs you in as {first[0]!r}, once, within the hour; later: {settings.resolved_public_url}", flush=True)
        else:
            print(f"Toolsmith is running: open {settings.resolved_public_url}", flush=True)
        print(f"  {count} processes, pids {', '.join(str(c.pid) for c in children)}; generated apps are served from {settings.resolved_sandbox_url}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
    while not stopping:
        for index, child in enumerate(children):
            # One that ends at once (a bad setting, Redis gone) is started again only every few seconds.
            if not child.is_alive() and not stopping and time.monotonic() - started[index] > RESTART_SECONDS:
                # Its generations are failed by the others once its leases run out (app.storage.leases).
                print(f"  process {child.pid} ended (exit code {child.exitcode}); starting another", flush=True)
                children[index], started[index] = start(), time.monotonic()
        time.sleep(0.2)
    for child in children:
        child.terminate()
    for child in children:
        child.join(15)
        if child.is_alive():
            child.kill()
    for sock in sockets:
        sock.close()
    return 0


async def work(settings: Settings) -> None:
    """Take generations off the queue until interrupted; serve nothing."""
    from app.services import Services

    check_shared(settings, "toolsmith worker")
    if settings.worker_jobs == 0:
        raise SystemExit("toolsmith worker with TOOLSMITH_WORKER_JOBS=0 would take no generations: set it to 1 or more.")
    services = await Services.open(settings)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopped.set)
    try:
        assert services.work is not None
        print(f"Toolsmith worker {services.work.name} is taking generations from {services.work.queue.name}, up to {settings.worker_jobs} at once. Press Ctrl+C to stop.", flush=True)
        await stopped.wait()
    finally:
        await services.close()
