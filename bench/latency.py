"""Latency Toolsmith adds to one generation: first content and end of stream, against the upstream direct.

    python bench/latency.py            # 200 generations one after another; -n to change
    python bench/latency.py --postgres # on PostgreSQL instead of the default SQLite

The upstream streams without delay, so what is left is Toolsmith's own overhead: the HTTP
requests (POST /api/apps/stream, which answers with the stream; and, measured beside it, POST
/api/apps then GET …/stream), saving the prompt, the provider call through the real
SDK, relaying every delta as Server-Sent Events, reading the page and recording the version.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
from pathlib import Path

from harness import PostgresDatabase, Profile, Timing, Toolsmith, Upstream, client, direct, load, median, percentile, run, through_toolsmith


def _summary(name: str, timings: list[Timing]) -> tuple[float, float]:
    first = [t.first * 1000 for t in timings if t.first is not None]
    end = [t.end * 1000 for t in timings if t.end is not None]
    print(f"  {name:<18} first content p50 {median(first):7.2f} ms  p90 {percentile(first, 90):7.2f} ms   end of stream p50 {median(end):7.2f} ms  p90 {percentile(end, 90):7.2f} ms")
    return median(first), median(end)


async def main(folder: Path, count: int, postgres: bool, profile: Path | None) -> None:
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(Upstream(folder, delay=0.0))
        database = stack.enter_context(PostgresDatabase()).url if postgres else None
        toolsmith = stack.enter_context(Toolsmith(folder, upstream, database_url=database))
        async with client(4) as http:
            for _ in range(10):  # warm every path: imports, connections, caches
                await direct(http, upstream)
                await through_toolsmith(http, toolsmith)
                await through_toolsmith(http, toolsmith, one_request=True)
            directs: list[Timing] = []
            ones: list[Timing] = []
            twos: list[Timing] = []
            with Profile(toolsmith.pid, profile):
                for _ in range(count):  # interleaved, so all three see the same load
                    directs.append(await direct(http, upstream))
                    ones.append(await through_toolsmith(http, toolsmith, one_request=True))
                    twos.append(await through_toolsmith(http, toolsmith))
        print(f"Latency, {count} generations one at a time, 30 KB page in 400 chunks, {'PostgreSQL' if postgres else 'SQLite'}; {load()}")
        d_first, d_end = _summary("direct", directs)
        for name, throughs in (("POST /api/apps/stream (one request)", ones), ("POST /api/apps + GET stream (two)", twos)):
            failed = [t for t in throughs if t.outcome != "done:complete"]
            print(f"  {name}:")
            t_first, t_end = _summary("  through Toolsmith", throughs)
            print(f"    added: first content +{t_first - d_first:.2f} ms (ratio {t_first / d_first:.2f}), end of stream +{t_end - d_end:.2f} ms (ratio {t_end / d_end:.2f}); not complete: {len(failed)}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"  commit {commit}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="generations (default 200)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at TOOLSMITH_TEST_POSTGRES_URL's server")
    parser.add_argument("--profile", type=Path, help="sample Toolsmith with py-spy meanwhile, collapsed stacks to this file")
    args = parser.parse_args()
    run(lambda folder: main(folder, args.n, args.postgres, args.profile))
