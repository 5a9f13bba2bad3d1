"""What the speed benchmarks share: the fake upstream, a real `toolsmith serve`, and the two ways of streaming one answer.

The upstream is the fake OpenAI-compatible server of the tests (tests/fakes/openai_server.py) in a
process of its own, scripted to stream one ~30 KB page in 400 chunks to every request. Toolsmith
reaches it as a `toolsmith.toml` endpoint, through the real `openai` SDK, with an API token, exactly
as a person's script would. The direct path streams the same answer from the same upstream with the
same client, so each ratio compares Toolsmith with the one thing it cannot be faster than.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
CHUNKS = 400
POSTGRES_URL = os.environ.get("TOOLSMITH_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
_LEAKY_ENV = re.compile(r"^(TOOLSMITH_|ANTHROPIC_|OPENAI_)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answer_text(size: int = 30_000) -> str:
    """A model's answer holding a complete page of about `size` characters, in a ```html fence."""
    rows = []
    i = 0
    while sum(len(r) for r in rows) < size - 400:
        rows.append(f'<tr><td class="n">{i}</td><td>Row {i} of the benchmark table</td><td><button data-row="{i}">Pick</button></td></tr>\n')
        i += 1
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Benchmark table</title>\n"
        "<style>body{font-family:sans-serif}td{padding:2px 6px}</style>\n</head>\n<body>\n<h1>Benchmark table</h1>\n<table>\n"
        + "".join(rows)
        + "</table>\n<script>document.querySelectorAll('button').forEach(b=>b.onclick=()=>b.textContent='Picked')</script>\n</body>\n</html>"
    )
    return f"Here is your tool.\n\n```html\n{page}\n```\n"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def load() -> str:
    """The machine's load average, printed with every result: other programs share these cores."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user and system) a process has used so far: this one when `pid` is None."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CPU:
    """CPU seconds each of the named processes used between `start()` and `stop()`."""

    def __init__(self, **pids: int | None) -> None:
        self.pids = pids
        self.used: dict[str, float] = {}

    def start(self) -> CPU:
        self._begun = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> dict[str, float]:
        self.used = {name: cpu_seconds(pid) - self._begun[name] for name, pid in self.pids.items()}
        return self.used

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.1f}" for name, seconds in self.used.items())


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited before it answered:\n{log.read_text(errors='replace')}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s:\n{log.read_text(errors='replace')}")


class ServerProcess:
    """A server in a child process, stopped on exit; its output goes to a file in `folder`."""

    def __init__(self, folder: Path, name: str, args: list[str], env: dict[str, str]) -> None:
        self.log = folder / f"{name}.log"
        self.args, self.env = args, env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready_url: str) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        _wait(ready_url, self.process, self.log)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def server_env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not _LEAKY_ENV.match(k)} | {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **extra}


class Upstream(ServerProcess):
    """The fake OpenAI-compatible server, answering every request with `answer_text()` in 400 chunks."""

    def __init__(self, folder: Path, *, delay: float = 0.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.delay = delay
        self.text = answer_text()
        self.chunk_size = -(-len(self.text) // CHUNKS)
        super().__init__(folder, "upstream", [sys.executable, "-m", "tests.fakes.openai_server", "--port", str(self.port), "--delay", str(delay)], server_env())

    def __enter__(self) -> Upstream:
        self.start(f"http://127.0.0.1:{self.port}/_fake/health")
        step = {"kind": "answer", "text": self.text, "chunk_size": self.chunk_size, "delay": self.delay, "times": 10**9}
        httpx.post(f"http://127.0.0.1:{self.port}/_fake/script", json={"steps": [step]}).raise_for_status()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def request_body(self) -> dict[str, Any]:
        return {"model": "fake", "messages": [{"role": "user", "content": "a table"}], "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 16000}


class Toolsmith(ServerProcess):
    """`toolsmith serve` with the upstream as the endpoint `bench`, on SQLite (default) or PostgreSQL."""

    def __init__(self, folder: Path, upstream: Upstream, *, database_url: str | None = None) -> None:
        self.folder = folder
        self.port, self.sandbox_port = free_port(), free_port()
        self.url = f"http://localhost:{self.port}"
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        config = folder / "toolsmith.toml"
        config.write_text(f'[endpoints.bench]\nbase_url = "{upstream.url}"\nmodels = ["fake"]\n')
        self.database_url = database_url or f"sqlite+aiosqlite:///{folder / 'toolsmith.db'}"
        self.token = ""
        env = server_env(
            TOOLSMITH_CONFIG=str(config),
            TOOLSMITH_DATA_DIR=str(folder),
            TOOLSMITH_DATABASE_URL=self.database_url,
            TOOLSMITH_PORT=str(self.port),
            TOOLSMITH_SANDBOX_PORT=str(self.sandbox_port),
            # A version's check runs after its stream has ended, in Chromium on these same two cores:
            # left on, it would slow the next stream of both paths alike and measure Chromium, not Toolsmith.
            TOOLSMITH_CHECKS=os.environ.get("TOOLSMITH_CHECKS", "off"),
            # One token stands for every person of a run: the per-person limit would refuse the 21st stream.
            TOOLSMITH_STREAMS_PER_PERSON="100000",
        )
        super().__init__(folder, "toolsmith", [sys.executable, "-m", "app", "serve"], env)

    def __enter__(self) -> Toolsmith:
        self.start(self.url + "/static/style.css")
        made = subprocess.run([sys.executable, "-m", "app", "tokens", "create", "--name", "bench"], cwd=ROOT, env=self.env, capture_output=True, text=True, check=True)
        self.token = made.stdout.strip()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class PostgresDatabase:
    """A new PostgreSQL database for one run, dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"toolsmith_bench_{secrets.token_hex(4)}"
        base = POSTGRES_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"
        self._admin = POSTGRES_URL.replace("+asyncpg", "")

    def _psql(self, sql: str) -> None:
        subprocess.run(["psql", self._admin, "-q", "-c", sql], check=True, capture_output=True)

    def __enter__(self) -> PostgresDatabase:
        self._psql(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Timing:
    """One stream, in seconds from the moment its first request was sent."""

    first: float | None = None
    end: float | None = None
    status: int = 0  # the first HTTP status that was not a success, or 200
    outcome: str = ""  # Toolsmith: the final event ("done" or "error") and the version's status
    app_id: str = ""  # Toolsmith: the app the generation made
    pieces: int = 0  # the chunks (direct) or delta events (Toolsmith) the answer came in
    errors: list[str] = field(default_factory=list)


async def _lines(response: aiohttp.ClientResponse) -> AsyncIterator[str]:
    async for raw in response.content:
        yield raw.decode().rstrip("\r\n")


async def direct(client: aiohttp.ClientSession, upstream: Upstream) -> Timing:
    """One answer straight from the upstream, as the SDK's wire sees it."""
    timing = Timing()
    started = time.perf_counter()
    async with client.post(upstream.url + "/chat/completions", json=upstream.request_body()) as response:
        timing.status = response.status
        async for line in _lines(response):
            if line.startswith("data:") and '"content": "' in line and '"content": ""' not in line:
                timing.pieces += 1
                if timing.first is None:
                    timing.first = time.perf_counter() - started
            if line == "data: [DONE]":
                timing.end = time.perf_counter() - started
    return timing


async def through_toolsmith(client: aiohttp.ClientSession, toolsmith: Toolsmith, *, one_request: bool = False) -> Timing:
    """One generation as a script makes it: POST /api/apps, then follow its stream to the end; or,
    `one_request`, POST /api/apps/stream, which answers with the stream itself."""
    timing = Timing()
    started = time.perf_counter()
    body = {"prompt": "a table", "model": "bench:fake"}
    if one_request:
        opened = client.post(toolsmith.url + "/api/apps/stream", json=body, headers=toolsmith.headers)
    else:
        async with client.post(toolsmith.url + "/api/apps", json=body, headers=toolsmith.headers) as created:
            if created.status != 202:
                timing.status = created.status
                timing.errors.append((await created.text())[:300])
                return timing
            made = await created.json()
        timing.app_id = made["app"]["id"]
        opened = client.get(toolsmith.url + made["stream_url"], headers=toolsmith.headers)
    event = ""
    async with opened as response:
        timing.status = response.status
        if response.status != 200:
            timing.errors.append((await response.text())[:300])
            return timing
        async for line in _lines(response):
            if line.startswith("event:"):
                event = line[6:].strip()
                if event == "delta":
                    timing.pieces += 1
                    if timing.first is None:
                        timing.first = time.perf_counter() - started
            elif line.startswith("data:") and event == "created":
                timing.app_id = json.loads(line[5:])["app"]["id"]
            elif line.startswith("data:") and event in ("done", "error"):
                timing.end = time.perf_counter() - started
                payload = json.loads(line[5:])
                timing.outcome = f"{event}:{payload['version']['status']}"
                if event == "error":
                    timing.errors.append(payload["error"]["message"])
    return timing


def client(connections: int) -> aiohttp.ClientSession:
    """The client of both paths: aiohttp, whose cost per request stays flat with a thousand at once
    (httpx's pool grew with the requests waiting in it, and took a core from both servers). Idle
    connections are let go after a second, well before the servers close theirs (uvicorn: 5 s)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=1.0), timeout=aiohttp.ClientTimeout(total=900), read_bufsize=1 << 22)  # the last event carries the whole version


class Profile:
    """py-spy sampling a server process while a benchmark runs; collapsed stacks go to `path`."""

    def __init__(self, pid: int, path: Path | None) -> None:
        self.pid, self.path = pid, path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profile:
        if self.path is not None:
            spy = Path(sys.executable).parent / "py-spy"
            args = [str(spy), "record", "--pid", str(self.pid), "--format", "raw", "--output", str(self.path), "--rate", "250", "--nonblocking"]
            self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # py-spy attaches before the measured part begins
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.process is not None:
            self.process.send_signal(2)
            self.process.wait(timeout=60)
            print(f"  profile: {self.path} (py-spy collapsed stacks; bench/profile_summary.py {self.path})")


def run(main: Any) -> None:
    """Run a benchmark's async main in a folder of its own that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="toolsmith-bench-") as folder:
        asyncio.run(main(Path(folder)))
