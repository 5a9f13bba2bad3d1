"""The checks of versions in the database: queued, recorded, read back, and pass rates by model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.checks.problems import Outcome
from app.storage import checks, iso, utc, versions

STATUSES = ("pending", "passed", "problems", "not_checked")


@dataclass(frozen=True)
class CheckRecord:
    version_id: str
    status: str
    problems: list[dict[str, Any]]
    reason: str | None
    has_screenshot: bool
    duration_ms: int | None
    queued_at: datetime
    checked_at: datetime | None

    def to_json(self, screenshot_url: str | None) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "problems": self.problems}
        if self.reason:
            data["reason"] = self.reason
        if self.has_screenshot and screenshot_url:
            data["screenshot_url"] = screenshot_url
        if self.checked_at:
            data["checked_at"], data["duration_ms"] = iso(self.checked_at), self.duration_ms
        return data


@dataclass(frozen=True)
class PassRate:
    """How a model's versions fared in their checks: `passed` of `checked` (pending and not_checked left out)."""

    model: str
    passed: int
    checked: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.checked if self.checked else None

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "passed": self.passed, "checked": self.checked, "rate": self.rate}


_LISTED = (checks.c.version_id, checks.c.status, checks.c.problems, checks.c.reason, (checks.c.screenshot.is_not(None)).label("has_screenshot"), checks.c.duration_ms, checks.c.queued_at, checks.c.checked_at)


def _record(row: sa.Row[Any]) -> CheckRecord:
    return CheckRecord(row.version_id, row.status, row.problems or [], row.reason, bool(row.has_screenshot), row.duration_ms, utc(row.queued_at), utc(row.checked_at))  # type: ignore[arg-type]


class CheckStore:
    """The SQL of checks (the `checks` table of app.storage.schema)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def queue(self, version_id: str) -> None:
        """A version waits for its check; a check already recorded for it starts over."""
        await self._put(version_id, status="pending", problems=None, reason=None, screenshot=None, duration_ms=None, checked_at=None)

    async def not_checked(self, version_id: str, reason: str) -> None:
        await self._put(version_id, status="not_checked", problems=None, reason=reason, screenshot=None, duration_ms=None, checked_at=datetime.now(UTC))

    async def record(self, version_id: str, outcome: Outcome) -> None:
        status = "problems" if outcome.problems else "passed"
        problems = [p.to_json() for p in outcome.problems]
        await self._put(version_id, status=status, problems=problems, reason=None, screenshot=outcome.screenshot, duration_ms=outcome.duration_ms, checked_at=datetime.now(UTC))

    async def _put(self, version_id: str, **values: Any) -> None:
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            updated = await conn.execute(checks.update().where(checks.c.version_id == version_id).values(**values))
            if updated.rowcount:
                return
        try:
            async with self.engine.begin() as conn:
                await conn.execute(checks.insert().values(version_id=version_id, queued_at=now, **values))
        except IntegrityError:
            # Another writer made the row first, or the version is gone; write over the first, ignore the second.
            async with self.engine.begin() as conn:
                await conn.execute(checks.update().where(checks.c.version_id == version_id).values(**values))

    async def pending(self) -> list[str]:
        """Versions still waiting for their check (a restart left them so), oldest first."""
        async with self.engine.connect() as conn:
            return list(await conn.scalars(sa.select(checks.c.version_id).where(checks.c.status == "pending").order_by(checks.c.queued_at)))

    async def of(self, version_ids: list[str]) -> dict[str, CheckRecord]:
        if not version_ids:
            return {}
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(*_LISTED).where(checks.c.version_id.in_(version_ids)))
            return {row.version_id: _record(row) for row in rows}

    async def screenshot(self, version_id: str) -> bytes | None:
        async with self.engine.connect() as conn:
            shot: bytes | None = await conn.scalar(sa.select(checks.c.screenshot).where(checks.c.version_id == version_id))
            return shot

    async def thumbnails(self, app_ids: list[str]) -> dict[str, int]:
        """For each app, the number of its newest version whose check took a screenshot."""
        if not app_ids:
            return {}
        statement = (
            sa.select(versions.c.app_id, sa.func.max(versions.c.number).label("number"))
            .join(checks, checks.c.version_id == versions.c.id)
            .where(versions.c.app_id.in_(app_ids), checks.c.screenshot.is_not(None))
            .group_by(versions.c.app_id)
        )
        async with self.engine.connect() as conn:
            return {row.app_id: row.number for row in await conn.execute(statement)}

    async def pass_rates(self, models: list[str] | None = None) -> dict[str, PassRate]:
        """Each model's checked versions and how many passed, by model id (`demo`, `anthropic:…`);
        versions no model wrote (imports, hand edits) are left out, and with `models`, every other model."""
        passed = sa.func.sum(sa.case((checks.c.status == "passed", 1), else_=0))
        statement = (
            sa.select(versions.c.model, passed.label("passed"), sa.func.count().label("checked"))
            .join(checks, checks.c.version_id == versions.c.id)
            .where(checks.c.status.in_(("passed", "problems")), versions.c.kind.not_in(("hand_edit", "restore", "import", "remix")))
            .group_by(versions.c.model)
        )
        if models is not None:
            statement = statement.where(versions.c.model.in_(models))
        async with self.engine.connect() as conn:
            rows = await conn.execute(statement)
            return {row.model: PassRate(row.model, int(row.passed or 0), int(row.checked)) for row in rows}
