"""The check every version with a page gets: queued when the page is written, run by a bounded pool.

`Checks.page_written` hears of each new page from the store (`Store.page_listeners`) and
queues it; `workers` tasks take versions from the queue one at a time, so a burst of versions
waits its turn instead of starving the service, and a restart finds what was still pending in
the database and queues it again. docs/checks.md says what a check looks at.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from typing import Any

from app.checks.browser import Chromium, Job, Timing
from app.checks.problems import Outcome
from app.checks.store import CheckRecord, CheckStore
from app.errors import NotFound
from app.settings import Settings
from app.storage import Store, VersionRecord
from sandbox.headers import Origins, origin_of
from sandbox.libraries import VendoredFiles

log = logging.getLogger("toolsmith.checks")

OFF = "Checks are turned off here (TOOLSMITH_CHECKS=off)."
MADE_WHILE_OFF = "This version was made while checks were off."
NO_PAGE = "This version has no page to check."


def find_chromium(configured: str | None) -> str | None:
    """The browser checks run in: TOOLSMITH_CHROMIUM, or the first of the usual names on the PATH."""
    if configured:
        return shutil.which(configured) or None
    return next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)


class Checks:
    """The queue of checks, its workers and their browsers."""

    def __init__(self, settings: Settings, store: Store, vendored: VendoredFiles) -> None:
        self.settings = settings
        self.store = store
        self.records = CheckStore(store.engine)
        self.vendored = vendored
        self.enabled = settings.checks
        # Found even with checks off: evals run their checks in it all the same.
        self.executable = find_chromium(settings.chromium)
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._chromium: Chromium | None = None
        self._done: dict[str, asyncio.Event] = {}

    @property
    def unavailable(self) -> str | None:
        """Why versions are not checked here, or None when they are."""
        if not self.enabled:
            return OFF
        if self.executable is None:
            where = f"TOOLSMITH_CHROMIUM={self.settings.chromium!r} is not an executable" if self.settings.chromium else "none is on the PATH"
            return f"No Chromium to check pages in ({where}): install Chromium (Debian: apt install chromium) or set TOOLSMITH_CHROMIUM."
        return None

    async def start(self) -> None:
        """Start the workers, and queue again the checks a stopped server left pending."""
        if self.unavailable is not None:
            return
        for version_id in await self.records.pending():
            self._queue.put_nowait(version_id)
        self._workers = [asyncio.create_task(self._work(), name=f"check-worker-{n}") for n in range(self.settings.check_workers)]

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []
        if self._chromium is not None:
            await self._chromium.close()
            self._chromium = None

    async def page_written(self, version_id: str) -> None:
        """A version got its page: check it (or record why it will not be)."""
        try:
            if not self.enabled:
                return
            if (reason := self.unavailable) is not None:
                await self.records.not_checked(version_id, reason)
                return
            await self.records.queue(version_id)
            self._done.setdefault(version_id, asyncio.Event()).clear()
            self._queue.put_nowait(version_id)
        except Exception:  # a check must never fail the write that made the page
            log.exception("could not queue the check of version %s", version_id)

    async def run(self, job: Job) -> Outcome:
        """Run one page in the pool's browsers now (it waits for a free slot like the queue does)."""
        if self._chromium is None:
            if self.executable is None:
                raise RuntimeError(self.unavailable or "no Chromium")
            origins = Origins(main=origin_of(self.settings.resolved_public_url), sandbox_url=self.settings.resolved_sandbox_url)
            timing = Timing(total=self.settings.check_timeout)
            self._chromium = Chromium(self.executable, self.settings.check_workers, origins, self.vendored, timing)
        return await self._chromium.run(job)

    async def _work(self) -> None:
        while True:
            version_id = await self._queue.get()
            try:
                await self._check(version_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the check of version %s failed", version_id)
            finally:
                self._done.pop(version_id, asyncio.Event()).set()

    async def _check(self, version_id: str) -> None:
        try:
            version = await self.store.get_version_by_id(version_id)
        except NotFound:
            return  # deleted meanwhile
        if not version.html:
            await self.records.not_checked(version_id, NO_PAGE)
            return
        files = {f.path: f for f in await self.store.files.all(version.files_from)} if version.files_from else {}
        outcome = await self.run(Job(version.html, files=files))
        await self.records.record(version_id, outcome)

    async def wait(self, version_id: str, timeout: float = 120.0) -> CheckRecord | None:
        """The version's check once it is no longer pending (evals, scripts); None if it has none."""
        async with asyncio.timeout(timeout):
            while True:
                record = (await self.records.of([version_id])).get(version_id)
                if record is None or record.status != "pending":
                    return record
                event = self._done.setdefault(version_id, asyncio.Event())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), 1.0)

    async def of(self, versions: list[VersionRecord]) -> dict[str, dict[str, Any]]:
        """The `check` of each version as the API shows it, by version id."""
        # A version is checked once it has ended: one still being written has no record to look up.
        records = await self.records.of([v.id for v in versions if v.status != "generating"])
        shown = {}
        for version in versions:
            record = records.get(version.id)
            if record is not None:
                url = f"/api/apps/{version.app_id}/versions/{version.number}/screenshot"
                shown[version.id] = record.to_json(url)
            elif version.status == "generating":
                shown[version.id] = {"status": "pending", "problems": []}
            else:
                reason = OFF if not self.enabled else (MADE_WHILE_OFF if version.html else NO_PAGE)
                shown[version.id] = {"status": "not_checked", "problems": [], "reason": reason}
        return shown
