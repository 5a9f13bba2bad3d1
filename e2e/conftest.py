"""Fixtures for end-to-end tests: real server processes driven by real Chromium.

Playwright's sync API refuses to run inside an event loop, so every e2e test
and fixture here is a plain synchronous function. While it runs, it also leaves
its own loop looking like the running one (asyncio.get_running_loop() returns
it), which breaks async tests and asyncio.run() that come after. That is why
`browser` lives for one module, not the session: keep async code out of modules
that use it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Locator, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Variables from the developer's shell that would make a server under test
# talk to a real model or another database.
_LEAKY_ENV = re.compile(r"^(TOOLSMITH_|ANTHROPIC_|OPENAI_)")


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a Toolsmith process a test starts: this one's, without any setting of
    ours or of a model provider (a developer's keys or database must not leak in), plus `extra`.
    Checks of every version are off unless `extra` turns them on: each would run a Chromium of the
    server's own beside the test's."""
    return {key: value for key, value in os.environ.items() if not _LEAKY_ENV.match(key)} | {"PYTHONUNBUFFERED": "1", "TOOLSMITH_CHECKS": "off", **extra}


def pick_outline(frame: FrameLocator) -> Locator:
    """The outline the runtime bridge lays over an app while a pick is under way (sandbox/bridge.js).
    The editor's button turns at once; the frame hears of it a moment later, by message: wait for
    this before clicking into the app."""
    return frame.locator("html > div[style*='2147483647']")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Return once `url` gives any HTTP response; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"exited with code {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"exited with code {process.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"port {port} did not open within {timeout:.0f} s")
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate a process started with start_new_session=True, with its children."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class ToolsmithServer:
    """One `python -m app serve` process (or another command that ends in `toolsmith serve`:
    `serve`) with its own ports and, unless `own_database` is off, its own SQLite database."""

    def __init__(
        self,
        directory: Path,
        env: dict[str, str],
        serve: tuple[str, ...] = (sys.executable, "-m", "app", "serve"),
        own_database: bool = True,
        start_timeout: float = 30,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.sandbox_port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.db_url = f"sqlite+aiosqlite:///{directory / 'db.sqlite'}"
        self.log_path = directory / "server.log"
        self._env = env
        self._serve, self._own_database, self._start_timeout = serve, own_database, start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._started_at = 0  # where the output of the current run begins
        self._started = False  # once: its URLs are known to the tests, and a restart keeps them

    @property
    def output(self) -> str:
        """Everything the server has printed so far, across restarts."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        # A port looked up free can be taken before the server binds it (by another test worker's
        # server): a first start that finds it so moves to new ports. A restart keeps its own.
        for attempt in range(3):
            try:
                self._start_once()
                return
            except RuntimeError as exc:
                if self._started or attempt == 2 or "address already in use" not in str(exc):
                    raise
                self.port, self.sandbox_port = free_port(), free_port()
                self.url = f"http://localhost:{self.port}"
                self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"

    def _start_once(self) -> None:
        command = [
            *self._serve,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--sandbox-port", str(self.sandbox_port),
            *(["--database-url", self.db_url] if self._own_database else []),
        ]
        self._started_at = len(self.output)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for_http(self.url + "/", self._process, self._start_timeout)
            wait_for_http(self.sandbox_url + "/", self._process, self._start_timeout)
            self._started = True
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(
                f"Toolsmith server {exc}\ncommand: {' '.join(command)}\n--- output ---\n{self.output}"
            ) from None

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None

    def kill(self) -> None:
        """SIGKILL the server and its children, as a crash or the OOM killer would: nothing gets to clean up."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def restart(self) -> None:
        """Stop and start again on the same ports and database."""
        self.stop()
        self.start()

    def signin_link(self) -> str:
        """The one-time sign-in link the server printed at its last start (while nobody has a password)."""
        # It prints once both servers listen, which can be a moment after they first answer.
        deadline = time.monotonic() + 15
        while not (links := re.findall(r"(http://\S+/signin/\S+)", self.output[self._started_at :])):
            if time.monotonic() > deadline:
                raise AssertionError(f"the server printed no sign-in link:\n{self.output}")
            time.sleep(0.05)
        return links[-1]

    def sign_in(self, page: Page, username: str | None = None) -> None:
        """Sign `page`'s browser in the way a person does: open a one-time link. By default the link
        the server printed (the owner's, good once); with `username`, a new one from `toolsmith users link`."""
        page.goto(self.cli("users", "link", username).strip() if username else self.signin_link())
        page.wait_for_url(self.url + "/")

    def api_token(self, username: str = "owner") -> str:
        """A new API token of `username`, from `toolsmith tokens create`, for requests made as a script."""
        return self.cli("tokens", "create", "--user", username, "--name", "e2e").strip()

    def share(self, page: Page, app_id: str, version: int | None = None) -> str:
        """A share link to the app, made through the API as the owner's editor makes it.

        `page` must be signed in as the owner and showing one of our pages (for its CSRF token).
        The viewer page is at the link; its sandboxed frame is `[data-testid=share-frame]`.
        """
        token = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
        response = page.request.post(
            f"{self.url}/api/apps/{app_id}/shares",
            data={"version": version},
            headers={"X-CSRF-Token": token, "Origin": self.url},
        )
        if response.status != 201:
            raise AssertionError(f"sharing {app_id} failed: {response.status} {response.text()}")
        return response.json()["share"]["url"]

    def cli(self, *args: str, stdin: str = "") -> str:
        """Run `toolsmith ARGS` on this server's database; returns what it printed, failing loudly."""
        result = subprocess.run(
            [sys.executable, "-m", "app", *args, "--database-url", self.db_url],
            cwd=ROOT,
            env={**self._env, "TOOLSMITH_PUBLIC_URL": self.url},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"toolsmith {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if path := os.environ.get("TOOLSMITH_CHROMIUM"):
        return path
    result = subprocess.run(
        [str(ROOT / "scripts" / "find-chromium")], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        pytest.fail(f"No Chromium for the end-to-end tests:\n{result.stderr}", pytrace=False)
    return result.stdout.strip()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    if any(report.failed for report in request.node.stash.get(_REPORTS, {}).values()):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        try:
            page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"Could not save a screenshot: {exc}", file=sys.stderr)
    context.close()


@pytest.fixture
def toolsmith_server(tmp_path: Path) -> Iterator[Callable[..., ToolsmithServer]]:
    """Factory: `server = toolsmith_server(TOOLSMITH_CONFIG=str(path))` starts one and waits for it."""
    servers: list[ToolsmithServer] = []

    def start(**extra_env: str) -> ToolsmithServer:
        server = ToolsmithServer(tmp_path / f"server{len(servers)}", server_env(**{"TOOLSMITH_DEMO_DELAY": "0.005", **extra_env}))
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def fake_openai(tmp_path: Path) -> Iterator[str]:
    """Base URL (`http://127.0.0.1:N/v1`) of the fake OpenAI-compatible server in tests/fakes."""
    yield from start_fake_openai(tmp_path)


def start_fake_openai(tmp_path: Path, name: str = "openai") -> Iterator[str]:
    """Runs a fake OpenAI-compatible server (tests/fakes) while the generator is open; yields its base URL."""
    if not (ROOT / "tests" / "fakes" / "openai_server.py").exists():
        pytest.fail("tests/fakes/openai_server.py is missing", pytrace=False)
    port = free_port()
    log_path = tmp_path / f"fake_{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.openai_server", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, process)
    except RuntimeError as exc:
        stop_process(process)
        pytest.fail(f"Fake OpenAI server {exc}\n--- output ---\n{log_path.read_text(errors='replace')}", pytrace=False)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop_process(process)
