"""The long-lived objects one Toolsmith process shares between its two servers."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.accounts import Accounts, Shared, Shares, Signer
from app.checks import Checks
from app.evals import Evals
from app.generation import Generator, LiveRuns, ModelRegistry
from app.settings import Settings
from app.storage import Store
from app.versions import Versioning
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
    checks: Checks
    evals: Evals
    # The vendored libraries installed here: served by the sandbox host, inlined by downloads.
    vendored: VendoredFiles = field(default_factory=vendored_files)

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        """Connect to the database, bring its schema up to date, and build the providers."""
        store = Store.from_url(settings.resolved_database_url)
        await store.migrate()
        await store.fail_interrupted()
        registry = ModelRegistry(settings)
        live = LiveRuns()
        accounts = Accounts(store.engine)
        signer = Signer(settings.secret_key or await accounts.instance_secret())
        vendored = vendored_files()
        # Every version that gets a page, however it gets it, is checked in a browser (app.checks).
        checks = Checks(settings, store, vendored)
        store.page_listeners.append(checks.page_written)
        await checks.start()
        generator = Generator(settings, store, registry, live)
        evals = Evals(store, registry, generator, checks)
        await evals.runs.fail_interrupted()
        return cls(settings, store, registry, live, generator, Versioning(settings, store), accounts, Shares(store, accounts), signer, checks, evals, vendored)

    async def close(self) -> None:
        await self.evals.shutdown()
        await self.generator.shutdown()
        await self.checks.close()
        await self.store.close()

    def preview_url(self, sandbox_token: str) -> str:
        """Where the sandbox host serves a private version: signed, and only for a while (app.accounts.signing)."""
        return self.signer.preview_url(self.settings.resolved_sandbox_url, sandbox_token)

    def share_frame_url(self, shared: Shared) -> str:
        """Where the sandbox host serves what a share link shows now, for as long as the link works."""
        return f"{self.settings.resolved_sandbox_url}/v/{shared.version.sandbox_token}?share={shared.share.token}"
