"""Settings, read once from the environment (and an optional TOML file) into a frozen object.

`create_app(settings)` takes one of these; tests build `Settings(...)` directly.
Every setting is declared here once, with its default and its help text, and
docs/configuration.md documents each (a test checks that).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Endpoint:
    """A named OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio, OpenRouter...)."""

    name: str
    base_url: str
    key_env_var: str | None = None  # None: the server takes no key
    api_key: str | None = None  # read from key_env_var at start-up
    models: tuple[str, ...] = ()


# (environment variable, help text). The order is the order docs/configuration.md uses.
ENVIRONMENT: dict[str, str] = {
    "TOOLSMITH_DATABASE_URL": "SQLAlchemy URL of the database. Default: an SQLite file in the data folder. "
    "PostgreSQL: postgresql+asyncpg://user@host/dbname.",
    "TOOLSMITH_DATA_DIR": "Folder for the default SQLite file. Default: ./data",
    "TOOLSMITH_HOST": "Interface both servers listen on. Default: 127.0.0.1",
    "TOOLSMITH_PORT": "Port of the main service. Default: 8000",
    "TOOLSMITH_SANDBOX_PORT": "Port of the sandbox host that serves generated apps. Default: 8001",
    "TOOLSMITH_PUBLIC_URL": "URL people use to reach the main service. Default: http://localhost:PORT",
    "TOOLSMITH_SANDBOX_URL": "URL people's browsers use to reach the sandbox host; must be another host name "
    "(another registrable domain in deployments) than the main service. Default: http://127.0.0.1:SANDBOX_PORT",
    "TOOLSMITH_SECRET_KEY": "Key that signs sign-in cookies and the addresses of private previews. Default: a random key "
    "made on first start and kept in the database. Changing it signs everyone out.",
    "TOOLSMITH_ALLOWED_HOSTS": "Comma-separated host names (host or host:port) the main service answers to besides the "
    "host of TOOLSMITH_PUBLIC_URL; any other Host header is refused. Default: none",
    "TOOLSMITH_DEFAULT_MODEL": "Model picked when a request names none. Default: anthropic:claude-sonnet-5-5 "
    "when ANTHROPIC_API_KEY is set, else openai:gpt-5.4-mini when OPENAI_API_KEY is set, else demo.",
    "TOOLSMITH_CONFIG": "TOML file declaring OpenAI-compatible endpoints. Default: ./toolsmith.toml when present.",
    "TOOLSMITH_MAX_PROMPT_CHARS": "Longest prompt accepted, in characters. Default: 20000",
    "TOOLSMITH_MAX_HTML_BYTES": "Largest page accepted by import, in bytes. Default: 2000000",
    "TOOLSMITH_APP_DATA_QUOTA": "Most an app may keep in localStorage for one person, in characters (UTF-16 code units) "
    "of keys and values; sessionStorage has as much again. Beyond it setItem throws QuotaExceededError. Default: 1000000",
    "TOOLSMITH_MAX_OUTPUT_TOKENS": "Token limit of one model answer. Default: 16000",
    "TOOLSMITH_MAX_CONTINUATIONS": "Times Toolsmith asks a model to continue an answer cut off by the token limit "
    "before it keeps the version as incomplete. Default: 2",
    "TOOLSMITH_EDITS": "Whether follow-ups may be answered with edit blocks (targeted changes) instead of a whole page: "
    "on or off. Default: on",
    "TOOLSMITH_AUTO_FIX_ATTEMPTS": "Automatic fix attempts in a row the editor may make when a new version reports "
    "errors as it runs, each one a version of its own; 0 turns automatic fixes off. Default: 0",
    "TOOLSMITH_DEMO_DELAY": "Seconds between the offline demo model's chunks. Default: 0.03",
    "TOOLSMITH_PROVIDER_RETRIES": "Retries of a provider call that failed before streaming began. Default: 2",
    "TOOLSMITH_PROVIDER_TIMEOUT": "Seconds to wait on a silent provider before giving up. Default: 120",
    "TOOLSMITH_GENERATION_TIMEOUT": "Seconds one version may take in all, every request to the model together, "
    "however steadily the model keeps sending; then it fails with its prompt kept. Default: 900",
    "TOOLSMITH_STREAMS_PER_PERSON": "Version streams (Server-Sent Events) one person may have open at once; "
    "one more is refused with 429 until another closes. Default: 20",
    "TOOLSMITH_STREAM_IDLE_TIMEOUT": "Seconds a stream that has sent nothing but heartbeats stays open before the "
    "server closes it (clients reconnect with Last-Event-ID). Default: 300",
    "TOOLSMITH_CHECKS": "Whether every version that gets a page is checked in headless Chromium (errors, a blank page, a hang, "
    "a smoke interaction, a thumbnail): on or off. Default: on for toolsmith serve",
    "TOOLSMITH_CHECK_WORKERS": "Checks that run at once, each in a Chromium of its own; the others wait in a queue. Default: 1",
    "TOOLSMITH_CHECK_TIMEOUT": "Seconds one check may take, both widths together, before it ends as a hang. Default: 60",
    "TOOLSMITH_CHROMIUM": "The Chromium (or Chrome) executable checks run in. Default: chromium, chromium-browser or "
    "google-chrome on the PATH; with none, versions are marked not checked.",
    "TOOLSMITH_REDIS_URL": "Redis URL (redis://host:6379/0) shared by every Toolsmith process: live events go through Redis "
    "Streams and generations through a job queue, so any number of processes serve the same people (docs/deployment.md). "
    "Needs a PostgreSQL TOOLSMITH_DATABASE_URL. Default: none, one process keeps both in memory.",
    "TOOLSMITH_REDIS_PREFIX": "Prefix of every Redis key and of the queue's name, so several Toolsmith instances can share "
    "one Redis. Default: toolsmith:",
    "TOOLSMITH_WORKER_LEASE": "Seconds a worker holds a generation without renewing its lease; a worker that stops "
    "renewing (killed, cut off) has its generations marked failed, prompt kept, this long after. Default: 10",
    "TOOLSMITH_WORKER_JOBS": "Generations one process runs at once from the queue; more wait for a free worker. 0: this "
    "process only serves, and leaves generations to the others. Default: 100",
    "TOOLSMITH_QUEUE_TIMEOUT": "Seconds a queued generation may wait for a free worker before it is marked failed. Default: 600",
    "ANTHROPIC_API_KEY": "Key for anthropic:* models.",
    "ANTHROPIC_BASE_URL": "Another address for the Anthropic API (a proxy or gateway).",
    "OPENAI_API_KEY": "Key for openai:* models.",
    "OPENAI_BASE_URL": "Another address for the OpenAI API, or any OpenAI-compatible server used as openai:*.",
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved to final values."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    database_url: str | None = None  # None: sqlite file in data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    sandbox_port: int = 8001
    public_url: str | None = None
    sandbox_url: str | None = None
    secret_key: str | None = field(default=None, repr=False)  # None: made once and kept in the database
    allowed_hosts: tuple[str, ...] = ()
    default_model: str | None = None
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    endpoints: tuple[Endpoint, ...] = ()
    max_prompt_chars: int = 20_000
    max_html_bytes: int = 2_000_000
    app_data_quota: int = 1_000_000
    max_output_tokens: int = 16_000
    max_continuations: int = 2
    edits: bool = True
    auto_fix_attempts: int = 0
    demo_delay: float = 0.03
    provider_retries: int = 2
    provider_timeout: float = 120.0
    generation_timeout: float = 900.0
    streams_per_person: int = 20
    stream_idle_timeout: float = 300.0
    # Settings built in code (tests, scripts) leave checks off; toolsmith serve reads TOOLSMITH_CHECKS, on unless set off.
    checks: bool = False
    check_workers: int = 1
    check_timeout: float = 60.0
    eval_parallel: int = 4
    chromium: str | None = None  # None: looked for on the PATH
    redis_url: str | None = field(default=None, repr=False)  # None: live events and generations stay in this process
    redis_prefix: str = "toolsmith:"
    worker_lease: float = 10.0
    worker_jobs: int = 100
    queue_timeout: float = 600.0

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'toolsmith.db').resolve()}"

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def resolved_sandbox_url(self) -> str:
        return (self.sandbox_url or f"http://127.0.0.1:{self.sandbox_port}").rstrip("/")

    @property
    def resolved_default_model(self) -> str:
        if self.default_model:
            return self.default_model
        if self.anthropic_api_key:
            return "anthropic:claude-sonnet-5-5"
        if self.openai_api_key:
            return "openai:gpt-5.4-mini"
        return "demo"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def number(name: str, default: float, cast: Callable[[str], float] = int) -> float:
            raw = text(name)
            if raw is None:
                return default
            try:
                return cast(raw)
            except ValueError:
                raise SystemExit(f"{name}={raw!r} is not a number: set it to a {getattr(cast, '__name__', 'number')} or unset it.") from None

        def switch(name: str, default: bool) -> bool:
            raw = (text(name) or "").lower()
            if not raw:
                return default
            if raw in ("1", "on", "true", "yes"):
                return True
            if raw in ("0", "off", "false", "no"):
                return False
            raise SystemExit(f"{name}={raw!r} is neither on nor off: set it to on or off, or unset it.")

        config_path = text("TOOLSMITH_CONFIG")
        endpoints = load_endpoints(Path(config_path) if config_path else Path("toolsmith.toml"), env, required=bool(config_path))
        return cls(
            data_dir=Path(text("TOOLSMITH_DATA_DIR") or "data"),
            database_url=text("TOOLSMITH_DATABASE_URL"),
            host=text("TOOLSMITH_HOST") or "127.0.0.1",
            port=int(number("TOOLSMITH_PORT", 8000)),
            sandbox_port=int(number("TOOLSMITH_SANDBOX_PORT", 8001)),
            public_url=text("TOOLSMITH_PUBLIC_URL"),
            sandbox_url=text("TOOLSMITH_SANDBOX_URL"),
            secret_key=text("TOOLSMITH_SECRET_KEY"),
            allowed_hosts=tuple(h.strip() for h in (text("TOOLSMITH_ALLOWED_HOSTS") or "").split(",") if h.strip()),
            default_model=text("TOOLSMITH_DEFAULT_MODEL"),
            anthropic_api_key=text("ANTHROPIC_API_KEY"),
            anthropic_base_url=text("ANTHROPIC_BASE_URL"),
            openai_api_key=text("OPENAI_API_KEY"),
            openai_base_url=text("OPENAI_BASE_URL"),
            endpoints=endpoints,
            max_prompt_chars=int(number("TOOLSMITH_MAX_PROMPT_CHARS", 20_000)),
            max_html_bytes=int(number("TOOLSMITH_MAX_HTML_BYTES", 2_000_000)),
            app_data_quota=max(0, int(number("TOOLSMITH_APP_DATA_QUOTA", 1_000_000))),
            max_output_tokens=int(number("TOOLSMITH_MAX_OUTPUT_TOKENS", 16_000)),
            max_continuations=max(0, int(number("TOOLSMITH_MAX_CONTINUATIONS", 2))),
            edits=switch("TOOLSMITH_EDITS", True),
            auto_fix_attempts=max(0, int(number("TOOLSMITH_AUTO_FIX_ATTEMPTS", 0))),
            demo_delay=number("TOOLSMITH_DEMO_DELAY", 0.03, float),
            provider_retries=int(number("TOOLSMITH_PROVIDER_RETRIES", 2)),
            provider_timeout=number("TOOLSMITH_PROVIDER_TIMEOUT", 120.0, float),
            generation_timeout=number("TOOLSMITH_GENERATION_TIMEOUT", 900.0, float),
            streams_per_person=max(1, int(number("TOOLSMITH_STREAMS_PER_PERSON", 20))),
            stream_idle_timeout=number("TOOLSMITH_STREAM_IDLE_TIMEOUT", 300.0, float),
            checks=switch("TOOLSMITH_CHECKS", True),
            check_workers=max(1, int(number("TOOLSMITH_CHECK_WORKERS", 1))),
            check_timeout=max(5.0, number("TOOLSMITH_CHECK_TIMEOUT", 60.0, float)),
            eval_parallel=max(1, int(number("TOOLSMITH_EVAL_PARALLEL", 4))),
            chromium=text("TOOLSMITH_CHROMIUM"),
            redis_url=text("TOOLSMITH_REDIS_URL"),
            redis_prefix=text("TOOLSMITH_REDIS_PREFIX") or "toolsmith:",
            worker_lease=max(1.0, number("TOOLSMITH_WORKER_LEASE", 10.0, float)),
            worker_jobs=max(0, int(number("TOOLSMITH_WORKER_JOBS", 100))),
            queue_timeout=max(1.0, number("TOOLSMITH_QUEUE_TIMEOUT", 600.0, float)),
        )


RESERVED_PROVIDER_NAMES = frozenset({"anthropic", "openai", "demo", "import", "hand", "restore", "remix"})


def load_endpoints(path: Path, env: Mapping[str, str], *, required: bool) -> tuple[Endpoint, ...]:
    """Read `[endpoints.NAME]` tables from a TOML file; see docs/configuration.md."""
    if not path.exists():
        if required:
            raise SystemExit(f"TOOLSMITH_CONFIG names {path}, which does not exist: create it or unset the variable.")
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"{path} is not valid TOML ({exc}): fix it or move it away.") from None
    endpoints = []
    for name, table in (data.get("endpoints") or {}).items():
        if name in RESERVED_PROVIDER_NAMES or not name.replace("-", "").replace("_", "").isalnum():
            raise SystemExit(f"{path}: endpoint name {name!r} is reserved or not a plain word: rename it.")
        if not isinstance(table, dict) or not isinstance(table.get("base_url"), str):
            raise SystemExit(f"{path}: [endpoints.{name}] needs base_url = \"http://...\".")
        key_env = table.get("key_env")
        models = table.get("models") or []
        endpoints.append(
            Endpoint(
                name=name,
                base_url=table["base_url"],
                key_env_var=key_env,
                api_key=(env.get(key_env) or None) if key_env else None,
                models=tuple(str(m) for m in models),
            )
        )
    return tuple(endpoints)
