"""Many generations at once: all complete, no 5xx, wall time against the same streams taken directly, a static file's latency meanwhile, memory per stream.

    python bench/concurrency.py                 # 1,000 at once on SQLite; -n to change
    python bench/concurrency.py --postgres      # on PostgreSQL

The upstream waits 5 ms before each of its 400 chunks, so one answer takes about 2 s however
many run at once: the direct run (the same client streaming the same answers from the
upstream) measures what this machine can do, and Toolsmith is measured against it in the same
run. Meanwhile bench/probe.py, in a process of its own, fetches a static file of the main
service every 50 ms and samples Toolsmith's memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from harness import CPU, ROOT, PostgresDatabase, Profile, Timing, Toolsmith, Upstream, client, direct, load, median, percentile, rss_kib, run, through_toolsmith

DELAY = 0.005


async def _gather(count: int, make: object) -> tuple[float, list[Timing | BaseException]]:
    started = time.perf_counter()
    results = await asyncio.gather(*(make() for _ in range(count)), return_exceptions=True)  # type: ignore[operator]
    return time.perf_counter() - started, list(results)


async def main(folder: Path, count: int, postgres: bool, profile: Path | None) -> None:
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(Upstream(folder, delay=DELAY))
        database = stack.enter_context(PostgresDatabase()).url if postgres else None
        toolsmith = stack.enter_context(Toolsmith(folder, upstream, database_url=database))
        async with client(count + 10) as http:
            for _ in range(3):
                await through_toolsmith(http, toolsmith)
            direct_cpu = CPU(upstream=upstream.pid, client=None).start()
            direct_wall, direct_results = await _gather(count, lambda: direct(http, upstream))
            direct_cpu.stop()
            idle_rss = rss_kib(toolsmith.pid)
            probe = subprocess.Popen([sys.executable, str(ROOT / "bench" / "probe.py"), toolsmith.url + "/static/style.css", str(max(10.0, direct_wall * 4)), str(toolsmith.pid)], stdout=subprocess.PIPE, text=True)
            toolsmith_cpu = CPU(upstream=upstream.pid, toolsmith=toolsmith.pid, client=None)
            with Profile(toolsmith.pid, profile):
                toolsmith_cpu.start()
                wall, results = await _gather(count, lambda: through_toolsmith(http, toolsmith))
                toolsmith_cpu.stop()
            if probe.poll() is None:
                probe.terminate()
            probed = json.loads(probe.communicate()[0] or '{"latencies": [0], "statuses": {}, "peak_rss_kib": 0}')
            # Every version as the store has it, not only as its stream ended.
            stored: dict[str, int] = {}
            limit = asyncio.Semaphore(20)

            async def status_of(app_id: str) -> None:
                async with limit:
                    status = "unreadable"
                    for _ in range(3):  # a kept-alive connection the server closed meanwhile is tried again
                        try:
                            async with http.get(f"{toolsmith.url}/api/apps/{app_id}", headers=toolsmith.headers) as response:
                                status = (await response.json())["versions"][0]["status"] if response.status == 200 else f"http {response.status}"
                        except aiohttp.ClientConnectionError:
                            continue
                        break
                    stored[status] = stored.get(status, 0) + 1

            await asyncio.gather(*(status_of(r.app_id) for r in results if isinstance(r, Timing) and r.app_id))
    timings = [r for r in results if isinstance(r, Timing)]
    crashed = [r for r in results if not isinstance(r, Timing)]
    server_errors = [t for t in timings if t.status >= 500]
    outcomes: dict[str, int] = {}
    for t in timings:
        outcomes[t.outcome or f"http {t.status}"] = outcomes.get(t.outcome or f"http {t.status}", 0) + 1
    ends = [t.end for t in timings if t.end is not None]
    upstream_pieces = median([r.pieces for r in direct_results if isinstance(r, Timing)] or [0])
    direct_ok = sum(1 for r in direct_results if isinstance(r, Timing) and r.end is not None)
    latencies = [x * 1000 for x in probed["latencies"]]
    print(f"{count} generations at once, 400 chunks at {DELAY * 1000:g} ms each, {'PostgreSQL' if postgres else 'SQLite'}; {load()}")
    print(f"  direct from the upstream: {direct_ok}/{count} complete, wall {direct_wall:.2f} s; CPU seconds: {direct_cpu}")
    print(f"  through Toolsmith: wall {wall:.2f} s (ratio {wall / direct_wall:.2f}); streams ended {outcomes}; 5xx: {len(server_errors)}; client errors: {len(crashed)}")
    print(f"    CPU seconds: {toolsmith_cpu} (Toolsmith {toolsmith_cpu.used['toolsmith'] * 1000 / count:.1f} ms per generation)")
    if crashed:
        print(f"    first client error: {crashed[0]!r}")
    if failed := [t for t in timings if t.errors]:
        print(f"    first failure: {failed[0].status} {failed[0].errors[0]}")
    if timings:
        print(f"    the answer came in {median([t.pieces for t in timings]):.0f} delta events (p50) against {upstream_pieces:.0f} chunks from the upstream")
    if ends:
        print(f"    end of stream p50 {median(ends):.2f} s, max {max(ends):.2f} s")
    print(f"  versions in the store: {stored}")
    print(f"  static file meanwhile: {len(latencies)} requests, p50 {median(latencies):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms, statuses {probed['statuses']}")
    peak = probed["peak_rss_kib"]
    print(f"  memory: {idle_rss / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB: {(peak - idle_rss) / count:.0f} KiB per stream")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"  commit {commit}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="generations at once (default 1000)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at TOOLSMITH_TEST_POSTGRES_URL's server")
    parser.add_argument("--profile", type=Path, help="sample Toolsmith with py-spy meanwhile, collapsed stacks to this file")
    args = parser.parse_args()
    run(lambda folder: main(folder, args.n, args.postgres, args.profile))
