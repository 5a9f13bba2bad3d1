"""The long-lived objects one Toolsmith process shares between its two servers."""

from __future__ import annotations

from dataclasses import dataclass

from app.generation import Generator
from app.live import LiveRuns
from app.models import ModelRegistry
from app.settings import Settings
from app.store import Store
from app.versioning import Versioning


@dataclass
class Services:
    settings: Settings
    store: Store
    registry: ModelRegistry
    live: LiveRuns
    generator: Generator
    versioning: Versioning

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        """Connect to the database, bring its schema up to date, and build the providers."""
        store = Store.from_url(settings.resolved_database_url)
        await store.migrate()
        await store.fail_interrupted()
        registry = ModelRegistry(settings)
        live = LiveRuns()
        return cls(settings, store, registry, live, Generator(settings, store, registry, live), Versioning(settings, store))

    async def close(self) -> None:
        await self.generator.shutdown()
        await self.store.close()

    def preview_url(self, sandbox_token: str) -> str:
        """Where the sandbox host serves a version; the token is the only key to it."""
        return f"{self.settings.resolved_sandbox_url}/v/{sandbox_token}"
