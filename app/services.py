"""The long-lived objects one Toolsmith process shares between its two servers."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from app.accounts import Accounts, Shared, Shares, Signer
from app.appdata import AppData
from app.arena import Arena
from app.checks import Checks
from app.evals import Evals
from app.generation import GenerationQueue, Generator, LiveRuns, ModelRegistry, QueueWork, RedisLiveRuns
from app.settings import Settings
from app.storage import Leases, Store
from app.versions import Versioning
from sandbox.addresses import folder_url
from sandbox.libraries import VendoredFiles, vendored_files


@dataclass
class Services:
    settings: Settings
    store: Store
    registry: ModelRegistry
    live: LiveRuns
    generator: Generator
    versioning: Versioning
    accounts: Accounts
    shares: Shares
    signer: Signer
    appdata: AppData
    checks: Checks
    evals: Evals
    arena: Arena
    # The vendored libraries installed here: served by the sandbox host, inlined by downloads.
    vendored: VendoredFiles = field(default_factory=vendored_files)
    # With Redis: this process's share of the queue of generations (app.generation.workers).
    work: QueueWork | None = None

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        """Connect to the database, bring its schema up to date, and build the providers.

        With `redis_url`, live events and generations are shared with every other
        process on the same Redis and database, and this one takes its share of the queue.
        """
        store = Store.from_url(settings.resolved_database_url)
        await store.migrate()
        registry = ModelRegistry(settings)
        accounts = Accounts(store.engine)
        signer = Signer(settings.secret_key or await accounts.instance_secret())
        live: LiveRuns
        work = None
        if settings.redis_url is None:
            # Alone, whatever was generating when this process last stopped can never finish.
            await store.fail_interrupted()
            live = LiveRuns()
            generator = Generator(settings, store, registry, live)
        else:
            if make_url(settings.resolved_database_url).get_backend_name() == "sqlite":
                raise SystemExit(
                    "TOOLSMITH_REDIS_URL shares the work between processes, and an SQLite file cannot be shared that way: "
                    "set TOOLSMITH_DATABASE_URL to a PostgreSQL database, or unset TOOLSMITH_REDIS_URL to run in one process."
                )
            # Shared, other processes may be writing those versions now: their leases tell.
            try:
                redis_live = live = await RedisLiveRuns.connect(settings, store)
                queue = await GenerationQueue.connect(settings)
            except (RedisError, OSError) as exc:
                await store.close()
                raise SystemExit(f"Toolsmith could not reach Redis at {_safe_redis_url(settings.redis_url)} ({exc}): start it, or fix or unset TOOLSMITH_REDIS_URL.") from None
            leases = Leases(store.engine)
            generator = Generator(settings, store, registry, live, queue=queue, leases=leases)
            work = QueueWork(settings, generator, queue, leases, redis_live)
            await work.start()
        vendored = vendored_files()
        # Every version that gets a page, however it gets it, is checked in a browser (app.checks)
        # by the process that wrote the page.
        checks = Checks(settings, store, vendored)
        store.page_listeners.append(checks.page_written)
        await checks.start()
        evals = Evals(store, registry, generator, checks, parallel=settings.eval_parallel)
        await evals.runs.fail_interrupted()
        return cls(
            settings, store, registry, live, generator, Versioning(settings, store), accounts, Shares(store, accounts), signer,
            appdata=AppData(store.engine), checks=checks, evals=evals, arena=Arena(store, generator, registry), vendored=vendored, work=work,
        )

    async def close(self) -> None:
        await self.evals.shutdown()
        if self.work is not None:
            await self.work.stop()
        await self.generator.shutdown()
        await self.checks.close()
        await self.registry.close()
        await self.live.close()
        if self.generator.queue is not None:
            await self.generator.queue.close()
        await self.store.close()

    def preview_url(self, sandbox_token: str, *, folder: bool = False) -> str:
        """Where the sandbox host serves a private version: signed, and only for a while (app.accounts.signing).
        `folder`: the page has files of its own, so it is served at its folder address (sandbox/addresses.py)."""
        url = self.signer.preview_url(self.settings.resolved_sandbox_url, sandbox_token)
        return folder_url(url) if folder else url

    def share_frame_url(self, shared: Shared) -> str:
        """Where the sandbox host serves what a share link shows now, for as long as the link works."""
        url = f"{self.settings.resolved_sandbox_url}/v/{shared.version.sandbox_token}?share={shared.share.token}"
        return folder_url(url) if shared.version.has_files else url


def _safe_redis_url(url: str | None) -> str:
    """The Redis URL without its password, for messages."""
    parts = urlsplit(url or "")
    if parts.password is None:
        return url or ""
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{parts.hostname}{f':{parts.port}' if parts.port else ''}"))
