"""Real servers for tests: a Starlette app under uvicorn in a thread, or a fake in a subprocess.

    with ServerThread(FakeOpenAI().app) as server:      # in this process
        client = AsyncOpenAI(base_url=server.url + "/v1", api_key="k")

    with ServerProcess.module("tests.fakes.openai_server") as server:   # another process
        ...  # server.url; script it over HTTP (see tests/fakes/script.py)

Both wait until the server answers and, if it never does, raise with its output.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

ROOT = Path(__file__).resolve().parents[2]


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago, for servers we cannot hand a bound socket."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _accepts_connections(url: str) -> bool:
    host, _, port = url.split("://", 1)[1].split("/", 1)[0].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_server(
    url: str,
    *,
    timeout: float = 10.0,
    ready: Callable[[], bool] | None = None,
    alive: Callable[[], bool] = lambda: True,
    output: Callable[[], str] = lambda: "",
) -> None:
    """Block until the server at `url` is ready; raise with its output if it dies or takes too long.

    `ready` defaults to "accepts TCP connections"; `alive` lets a dead server fail at once.
    """
    is_ready = ready or (lambda: _accepts_connections(url))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_ready():
            return
        if not alive():
            raise RuntimeError(f"The server for {url} stopped before it was ready. Its output:\n{output()}")
        time.sleep(0.02)
    raise RuntimeError(f"The server for {url} was not ready after {timeout} s. Its output:\n{output()}")


class _Capture(logging.Handler):
    """Keeps uvicorn's log lines so a failed start can show them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.stream = io.StringIO()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream.write(self.format(record) + "\n")


class ServerThread:
    """An ASGI app under a real uvicorn server in a background thread, on 127.0.0.1."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        # Binding here, before the thread starts, gives the port at once and rules out races.
        # As TCP (IPPROTO_TCP): asyncio sets TCP_NODELAY only then (see app/cli/workers.py).
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(128)
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(
            app,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self._capture = _Capture()
        self._thread = threading.Thread(target=self._run, name=f"uvicorn-{self.port}", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._socket])
        except BaseException as exc:
            self._capture.stream.write(f"server thread failed: {exc!r}\n")

    def output(self) -> str:
        return self._capture.stream.getvalue()

    def start(self) -> ServerThread:
        logging.getLogger("uvicorn").addHandler(self._capture)
        self._thread.start()
        wait_for_server(
            self.url,
            ready=lambda: self.server.started,
            alive=self._thread.is_alive,
            output=self.output,
        )
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=5)
        if self._thread.is_alive():
            self.server.force_exit = True
            self._thread.join(timeout=5)
        self._socket.close()
        logging.getLogger("uvicorn").removeHandler(self._capture)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerProcess:
    """A server command in a subprocess, e.g. a fake run as `python -m tests.fakes.openai_server`."""

    def __init__(self, args: Sequence[str], *, port: int, env: dict[str, str] | None = None) -> None:
        self.args = list(args)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self._log = tempfile.TemporaryFile()
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def module(cls, module: str, *extra_args: str, port: int | None = None) -> ServerProcess:
        """Run `python -m module --port PORT [extra_args]` from the repository root."""
        port = port or free_port()
        return cls([sys.executable, "-m", module, "--port", str(port), *extra_args], port=port)

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        process = self.process
        wait_for_server(self.url, alive=lambda: process.poll() is None, output=self.output)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
