"""Serving a stored version: requests per second of the sandbox host against a bare ASGI app returning the same bytes under the same server.

    python bench/serving.py              # 32 connections, 10 s per run, best of 3; -c, -s, -r to change

The page is a finished ~38 KB version fetched at its signed preview address, with its headers;
bench/bare_app.py answers every request with exactly that response. Both run under uvicorn in a
process of their own, configured the same way; the load comes from one client process that
keeps its connections open (HTTP/1.1 keep-alive), so both see the same client.
A last run sends If-None-Match with the page's ETag and counts the 304s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from harness import ROOT, ServerProcess, Toolsmith, Upstream, free_port, load, run, server_env

HOP_BY_HOP = {"content-length", "date", "server", "connection", "transfer-encoding"}


async def _connection(host: str, port: int, target: str, extra: str, deadline: float, counts: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    request = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nSec-Fetch-Dest: iframe\r\n{extra}\r\n".encode()
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            counts[status] = counts.get(status, 0) + 1
    finally:
        writer.close()


async def rate(url: str, connections: int, seconds: float, extra: str = "") -> tuple[float, dict[int, int]]:
    """Requests per second over `connections` keep-alive connections, and the statuses seen."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    counts: dict[int, int] = {}
    started = time.perf_counter()
    await asyncio.gather(*(_connection(parts.hostname or "127.0.0.1", parts.port or 80, target, extra, started + seconds, counts) for _ in range(connections)))
    return sum(counts.values()) / (time.perf_counter() - started), counts


async def main(folder: Path, connections: int, seconds: float, rounds: int) -> None:
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(Upstream(folder))
        toolsmith = stack.enter_context(Toolsmith(folder, upstream))
        async with httpx.AsyncClient(timeout=60) as http:
            created = (await http.post(toolsmith.url + "/api/apps", json={"prompt": "a table", "model": "bench:fake"}, headers=toolsmith.headers)).json()
            async with http.stream("GET", toolsmith.url + created["stream_url"], headers=toolsmith.headers) as events:
                async for _ in events.aiter_lines():
                    pass
            version = (await http.get(toolsmith.url + f"/api/apps/{created['app']['id']}/versions/1", headers=toolsmith.headers)).json()["version"]
            page_url = version["preview_url"]
            page = await http.get(page_url, headers={"Sec-Fetch-Dest": "iframe"})
            assert page.status_code == 200, page.text[:300]
        stored = {"status": page.status_code, "headers": [[k, v] for k, v in page.headers.items() if k.lower() not in HOP_BY_HOP], "body": page.text}
        (folder / "response.json").write_text(json.dumps(stored))
        port = free_port()
        bare = ServerProcess(folder, "bare", [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(port), "--response", str(folder / "response.json")], server_env())
        bare.start(f"http://127.0.0.1:{port}/")
        stack.callback(bare.stop)
        bare_url = f"http://127.0.0.1:{port}{urlsplit(page_url).path}?{urlsplit(page_url).query}"
        await rate(bare_url, connections, 2)  # warm both
        await rate(page_url, connections, 2)
        best_bare = best_page = 0.0
        for _ in range(rounds):  # alternated, so a change in the machine's load hits both
            bare_rate, _ = await rate(bare_url, connections, seconds)
            page_rate, statuses = await rate(page_url, connections, seconds)
            assert set(statuses) == {200}, statuses
            best_bare, best_page = max(best_bare, bare_rate), max(best_page, page_rate)
            print(f"  round: bare {bare_rate:7.0f} req/s, sandbox host {page_rate:7.0f} req/s, ratio {page_rate / bare_rate:.2f}")
        etag = page.headers.get("etag")
        print(f"Serving a stored {len(page.content) / 1000:.0f} KB version, {connections} connections, {seconds:g} s runs, best of {rounds}; {load()}")
        print(f"  bare ASGI app {best_bare:7.0f} req/s   sandbox host {best_page:7.0f} req/s   ratio {best_page / best_bare:.2f}")
        if etag:
            revalidated, statuses = await rate(page_url, connections, seconds, f"If-None-Match: {etag}\r\n")
            print(f"  with If-None-Match: {revalidated:7.0f} req/s, statuses {statuses}")
        else:
            print("  no ETag on the page")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", type=int, default=32, help="connections (default 32)")
    parser.add_argument("-s", type=float, default=10.0, help="seconds per run (default 10)")
    parser.add_argument("-r", type=int, default=3, help="rounds (default 3)")
    args = parser.parse_args()
    run(lambda folder: main(folder, args.c, args.s, args.r))
