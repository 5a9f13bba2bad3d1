"""Many workers against one process: the same generations, followed to the end, both ways in one run.

Starts, on loopback and one PostgreSQL database each:
- one `toolsmith serve` without Redis (the direct path: events in memory, the run in the process
  that was asked);
- two `toolsmith serve` processes sharing Redis, A serving only (TOOLSMITH_WORKER_JOBS=0) and
  B writing every generation, so each event crosses the queue, Redis Streams and another process.

For each it asks for COUNT generations at once from the offline demo model (DELAY seconds between
its chunks), follows every stream to `done` and prints the time to the first delta, to the end,
the wall time, and the ratios of the shared path to the direct one.

    python bench/many_workers.py [--count 50] [--delay 0.005]

Needs PostgreSQL (TOOLSMITH_TEST_POSTGRES_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/test)
and Redis (TOOLSMITH_TEST_REDIS_URL, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from httpx_sse import aconnect_sse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from e2e.conftest import ToolsmithServer, server_env  # noqa: E402
from tests.conftest import _drop_postgres_database, _postgres_database  # noqa: E402
from tests.test_many_workers import _forget  # noqa: E402

REDIS_URL = os.environ.get("TOOLSMITH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _one(http: httpx.AsyncClient, ask: str, follow: str) -> tuple[float, float]:
    started = time.perf_counter()
    created = (await http.post(f"{ask}/api/apps", json={"prompt": "a tip calculator", "model": "demo"})).json()
    first = 0.0
    async with aconnect_sse(http, "GET", follow + created["stream_url"]) as source:
        async for event in source.aiter_sse():
            if event.event == "delta" and not first:
                first = time.perf_counter() - started
            if event.event in ("done", "error"):
                assert event.event == "done" and json.loads(event.data)["version"]["status"] == "complete", event.data
                break
    return first, time.perf_counter() - started


async def _measure(ask: str, follow: str, token: str, count: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=count * 2, max_keepalive_connections=count * 2)
    async with httpx.AsyncClient(timeout=120, headers={"Authorization": f"Bearer {token}"}, limits=limits) as http:
        await _one(http, ask, follow)  # warm up: connections, the first queue poll
        started = time.perf_counter()
        results = await asyncio.gather(*(_one(http, ask, follow) for _ in range(count)))
        wall = time.perf_counter() - started
    firsts, ends = [r[0] for r in results], [r[1] for r in results]
    return {"first": statistics.median(firsts), "end": statistics.median(ends), "end_p99": sorted(ends)[int(len(ends) * 0.99) - 1 if len(ends) > 1 else 0], "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.005)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="toolsmith-bench-"))
    single_db, shared_db = asyncio.run(_postgres_database()), asyncio.run(_postgres_database())
    prefix = f"toolsmith-bench-{secrets.token_hex(4)}:"
    common = {"TOOLSMITH_DEMO_DELAY": str(args.delay)}
    shared = {**common, "TOOLSMITH_REDIS_URL": REDIS_URL, "TOOLSMITH_REDIS_PREFIX": prefix}
    servers: list[ToolsmithServer] = []

    def start(name: str, db: str, env: dict[str, str]) -> ToolsmithServer:
        server = ToolsmithServer(folder / name, server_env(**env), start_timeout=60)
        server.db_url = db
        servers.append(server)
        server.start()
        return server

    try:
        single = start("single", single_db, common)
        start("b", shared_db, shared)  # B: writes every generation
        a = start("a", shared_db, {**shared, "TOOLSMITH_WORKER_JOBS": "0"})
        direct = asyncio.run(_measure(single.url, single.url, single.api_token(), args.count))
        many = asyncio.run(_measure(a.url, a.url, a.api_token(), args.count))
    finally:
        for server in servers:
            server.stop()
        asyncio.run(_drop_postgres_database(single_db))
        asyncio.run(_drop_postgres_database(shared_db))
        asyncio.run(_forget(prefix))
    print(f"{args.count} generations at once, demo model, {args.delay * 1000:g} ms between chunks; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<44}{'first delta p50':>16}{'end p50':>10}{'end p99':>10}{'wall':>8}")
    for label, row in (("one process, in memory (direct)", direct), ("asked of A, written by B, through Redis", many)):
        print(f"{label:<44}{row['first'] * 1000:>13.0f} ms{row['end']:>8.2f} s{row['end_p99']:>8.2f} s{row['wall']:>6.2f} s")
    print(f"{'ratio (shared / direct)':<44}{many['first'] / direct['first']:>16.2f}{many['end'] / direct['end']:>10.2f}{many['end_p99'] / direct['end_p99']:>10.2f}{many['wall'] / direct['wall']:>8.2f}")


if __name__ == "__main__":
    main()
