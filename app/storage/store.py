"""Reading and writing apps and versions; with app.storage.files, app.storage.leases, app.accounts.users, app.accounts.shares and app.arena.matches, the only modules that run SQL."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.errors import NotFound
from app.storage.engines import engine_for
from app.storage.files import VersionFile, VersionFiles, copy_files, insert_files
from app.storage.migrations import migrate
from app.storage.schema import apps, dependents_of_apps, dependents_of_versions, versions

STATUSES = ("generating", "complete", "incomplete", "stopped", "failed")
PURPOSES = ("own", "arena", "eval")  # what an app is for; only "own" apps are listed as the person's
KINDS = ("create", "follow_up", "fix", "continue", "hand_edit", "restore", "import", "remix")
PATHS = ("page", "edits", "edits_then_page", "edits_retried")  # how a model's answer made the page
FINISH_FIELDS = frozenset(
    {"html", "answer", "notes", "input_tokens", "output_tokens", "duration_ms", "stop_reason", "status", "error", "path", "edit_count", "edit_error", "continuations"}
)


def utc(value: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without their zone; every stored one is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class AppRecord:
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    owner_id: str | None = None
    remixed_from_app_id: str | None = None
    remixed_from_title: str | None = None  # “Title” by Author, as the share link showed it
    title_by_hand: bool = False  # renamed by its owner: the page's <title> no longer renames it
    purpose: str = "own"  # see PURPOSES

    def to_json(self) -> dict[str, Any]:
        # Where a remix came from, in words (“Tip calculator” by Ada); the original's id stays private.
        return {
            "id": self.id,
            "title": self.title,
            "title_by_hand": self.title_by_hand,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "remixed_from": self.remixed_from_title,
            "purpose": self.purpose,
        }


@dataclass(frozen=True)
class VersionRecord:
    id: str
    app_id: str
    number: int
    parent_number: int | None
    prompt: str
    model: str
    system_prompt_hash: str | None
    html: str | None
    answer: str | None
    notes: str | None
    input_tokens: int | None
    output_tokens: int | None
    duration_ms: int | None
    stop_reason: str | None
    status: str
    error: str | None
    sandbox_token: str
    created_at: datetime
    finished_at: datetime | None
    kind: str = "follow_up"  # create | follow_up | fix | continue | hand_edit | restore | import | remix
    path: str | None = None  # page | edits | edits_then_page | edits_retried; None when no model wrote it
    edit_count: int | None = None
    edit_error: str | None = None
    continuations: int = 0
    runtime_errors: list[dict[str, Any]] | None = None
    automatic: bool = False
    selection: dict[str, Any] | None = None
    files_from: str | None = None  # the version whose files (app.storage.files) the page names; None: none

    @property
    def has_files(self) -> bool:
        return self.files_from is not None

    def to_json(self, *, with_html: bool = False) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict: that deep-copies the page and the answer only for
        # them to be dropped, which made an app of 10,000 versions take seconds to list.
        data = {name: getattr(self, name) for name in _VERSION_FIELDS}
        data["created_at"], data["finished_at"] = iso(self.created_at), iso(self.finished_at)
        data["is_demo"] = self.model == "demo"
        data["has_page"] = bool(self.html)
        data["has_files"] = self.has_files
        if with_html:
            data["html"] = self.html
        return data


# What a version's JSON holds of its fields: not its page, its raw answer, nor its sandbox address.
_VERSION_FIELDS = tuple(f.name for f in fields(VersionRecord) if f.name not in ("html", "answer", "sandbox_token", "files_from"))


@dataclass(frozen=True)
class AppSummary:
    """An app as the recent-apps list shows it."""

    app: AppRecord
    version_count: int
    latest_number: int
    latest_status: str

    def to_json(self) -> dict[str, Any]:
        return {
            **self.app.to_json(),
            "version_count": self.version_count,
            "latest_version": {"number": self.latest_number, "status": self.latest_status},
        }


def _app(row: sa.Row[Any]) -> AppRecord:
    return AppRecord(row.id, row.title, utc(row.created_at), utc(row.updated_at), row.owner_id, row.remixed_from_app_id, row.remixed_from_title, bool(row.title_by_hand), row.purpose)  # type: ignore[arg-type]


def _version(row: sa.Row[Any]) -> VersionRecord:
    data = dict(row._mapping)
    data["created_at"], data["finished_at"] = utc(data["created_at"]), utc(data["finished_at"])
    return VersionRecord(**data)


def new_id() -> str:
    return secrets.token_hex(8)


def _followed_title(title: str) -> dict[str, Any]:
    """The values that name an app after its page's <title>, unless its owner named it."""
    return {"title": sa.case((apps.c.title_by_hand.is_(False), title[:200]), else_=apps.c.title)}


class Store:
    """Apps and versions in one SQLAlchemy database (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.files = VersionFiles(engine)
        # Told the id of every version that gets a page, once it is committed, however it got
        # it (a model, edits, a fix, an import, a remix, a hand edit, a restore): app.checks listens.
        self.page_listeners: list[Callable[[str], Awaitable[None]]] = []

    async def _pages_written(self, version_ids: list[str]) -> None:
        for listener in self.page_listeners:
            for version_id in version_ids:
                await listener(version_id)

    @classmethod
    def from_url(cls, database_url: str) -> Store:
        return cls(engine_for(database_url))

    async def migrate(self) -> list[int]:
        async with self.engine.begin() as conn:
            return await conn.run_sync(migrate)

    async def close(self) -> None:
        await self.engine.dispose()

    async def create_app(self, *, files: list[VersionFile] | None = None, files_of: str | None = None, **row: Any) -> tuple[AppRecord, VersionRecord]:
        """A new app with its version 1 in one transaction: both rows, or neither. `row` is what
        `plan_app` takes.

        `files`: those its page names (an imported folder or zip); `files_of`: a version whose files
        are copied for it (a remix). Written in the same transaction.
        """
        app, version = self.plan_app(**row)
        return app, await self.insert_app(app, version, files=files, files_of=files_of)

    @staticmethod
    def plan_app(
        *,
        title: str,
        prompt: str,
        model: str,
        system_prompt_hash: str | None,
        html: str | None = None,
        status: str = "generating",
        owner_id: str | None = None,
        remixed_from_app_id: str | None = None,
        remixed_from_title: str | None = None,
        kind: str = "create",
        purpose: str = "own",
    ) -> tuple[AppRecord, VersionRecord]:
        """The rows `create_app` writes, ids and all, not yet written: the generator asks the
        model for a first version while `insert_app` writes them (app.generation.generator)."""
        if kind not in KINDS:
            raise ValueError(f"unknown version kind {kind!r}")
        if purpose not in PURPOSES:
            raise ValueError(f"unknown app purpose {purpose!r}")
        now = datetime.now(UTC)
        app = AppRecord(new_id(), title[:200], now, now, owner_id, remixed_from_app_id, remixed_from_title, purpose=purpose)
        values = _version_values(app.id, 1, None, prompt, model, system_prompt_hash, html, status, now, {"kind": kind})
        return app, VersionRecord(**values)

    async def insert_app(self, app: AppRecord, version: VersionRecord, *, files: list[VersionFile] | None = None, files_of: str | None = None) -> VersionRecord:
        """Writes a planned app and its version 1 (with `files`, or a copy of `files_of`'s, as
        `create_app` says) in one transaction: all its rows, or none. Returns the version written."""
        async with self.engine.begin() as conn:
            await conn.execute(apps.insert().values(**asdict(app)))
            if files or files_of is not None:
                version = replace(version, files_from=version.id)
            # The version's row first: its files' rows refer to it (PostgreSQL checks at once).
            await conn.execute(versions.insert().values(**{f.name: getattr(version, f.name) for f in fields(VersionRecord)}))
            if files:
                await insert_files(conn, version.id, files)
            elif files_of is not None and not await copy_files(conn, files_of, version.id):
                version = replace(version, files_from=None)  # the original had none to copy
                await conn.execute(versions.update().where(versions.c.id == version.id).values(files_from=None))
        if version.html:
            await self._pages_written([version.id])
        return version

    async def restore_app(self, app: AppRecord, history: list[dict[str, Any]], file_sets: list[list[VersionFile]] | None = None) -> AppRecord:
        """An app with its whole history, as an export described it (`app.versions.transfer`), in one transaction.

        `history` holds each version's fields as VersionRecord names them, and `files_set`, the index
        in `file_sets` of the files its page names (or None); ids and sandbox tokens are new. Each set
        is written once, with the first version that names it, and the others point there.
        """
        paged = []
        owners: dict[int, str] = {}
        async with self.engine.begin() as conn:
            await conn.execute(apps.insert().values(**asdict(app)))
            for item in history:
                fields = {name: value for name, value in item.items() if name != "files_set"}
                version_id = new_id()
                index: int | None = item.get("files_set")
                owns = index is not None and bool(file_sets and file_sets[index]) and index not in owners
                if owns and index is not None:
                    owners[index] = version_id
                if index is not None and index in owners:
                    fields["files_from"] = owners[index]
                await conn.execute(versions.insert().values(**fields, id=version_id, app_id=app.id, sandbox_token=secrets.token_urlsafe(24)))
                if owns:  # after its version's row, which the files' rows refer to
                    assert file_sets is not None and index is not None
                    await insert_files(conn, version_id, file_sets[index])
                if fields.get("html"):
                    paged.append(version_id)
        await self._pages_written(paged)
        return app

    async def create_version(
        self,
        app_id: str,
        *,
        parent_number: int | None,
        prompt: str,
        model: str,
        system_prompt_hash: str | None,
        html: str | None = None,
        status: str = "generating",
        kind: str = "follow_up",
        runtime_errors: list[dict[str, Any]] | None = None,
        automatic: bool = False,
        selection: dict[str, Any] | None = None,
    ) -> VersionRecord:
        """The next version of an app; numbers are unique per app even under concurrent requests."""
        if kind not in KINDS:
            raise ValueError(f"unknown version kind {kind!r}")
        made = {"kind": kind, "runtime_errors": runtime_errors, "automatic": automatic, "selection": selection}
        for _ in range(5):
            now = datetime.now(UTC)
            try:
                async with self.engine.begin() as conn:
                    latest = await conn.scalar(sa.select(sa.func.max(versions.c.number)).where(versions.c.app_id == app_id))
                    version = await self._insert_version(conn, app_id, (latest or 0) + 1, parent_number, prompt, model, system_prompt_hash, html, status, now, made)
                    await conn.execute(apps.update().where(apps.c.id == app_id).values(updated_at=now))
                if html:
                    await self._pages_written([version.id])
                return version
            except IntegrityError:
                continue  # another request took that number first
        raise RuntimeError(f"could not number a new version of app {app_id}")

    async def _insert_version(self, conn: AsyncConnection, app_id: str, number: int, parent_number: int | None, prompt: str, model: str, system_prompt_hash: str | None, html: str | None, status: str, now: datetime, made: dict[str, Any]) -> VersionRecord:
        if "files_from" not in made and parent_number is not None:
            # A version made from another (a follow-up, fix, hand edit, restore) keeps the files its
            # parent's page names: the page still names them, and they are never changed, so shared.
            parent = sa.select(versions.c.files_from).where(versions.c.app_id == app_id, versions.c.number == parent_number)
            made = {**made, "files_from": await conn.scalar(parent)}
        values = _version_values(app_id, number, parent_number, prompt, model, system_prompt_hash, html, status, now, made)
        await conn.execute(versions.insert().values(**values))
        return VersionRecord(**values)

    async def finish_version(self, version_id: str, *, page_title: str | None = None, **fields: Any) -> VersionRecord:
        """Record how a generation ended: status, page, answer, tokens, duration, error.

        `page_title`, the <title> of a page that changed it, names the app in the same transaction
        as `follow_page_title` would, unless its owner named it: one commit at the end of a stream, not two.
        """
        unknown = set(fields) - FINISH_FIELDS
        if unknown:
            raise TypeError(f"finish_version got unknown fields {sorted(unknown)}")
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            await conn.execute(versions.update().where(versions.c.id == version_id).values(**fields, finished_at=now))
            row = (await conn.execute(sa.select(versions).where(versions.c.id == version_id))).one()
            await conn.execute(apps.update().where(apps.c.id == row.app_id).values(updated_at=now, **(_followed_title(page_title) if page_title else {})))
        if fields.get("html"):
            await self._pages_written([version_id])
        return _version(row)

    async def mark_eval(self, app_id: str, eval_id: str) -> None:
        """The app was made by an eval run: its report lists it, the person's own lists do not."""
        async with self.engine.begin() as conn:
            await conn.execute(apps.update().where(apps.c.id == app_id).values(eval_id=eval_id))

    async def rename_app(self, app_id: str, title: str) -> AppRecord:
        """The owner's name for the app; from now on the page's <title> leaves it alone."""
        async with self.engine.begin() as conn:
            await conn.execute(apps.update().where(apps.c.id == app_id).values(title=title[:200], title_by_hand=True, updated_at=datetime.now(UTC)))
        return await self.get_app(app_id)

    async def follow_page_title(self, app_id: str, title: str) -> None:
        """The app is called what its page's <title> says, unless its owner named it."""
        async with self.engine.begin() as conn:
            await conn.execute(apps.update().where(apps.c.id == app_id).values(**_followed_title(title)))

    async def delete_app(self, app_id: str) -> None:
        """The app and everything stored with it: versions, share links and any other row naming it.

        Spelled out rather than left to ON DELETE CASCADE, which SQLite applies only when
        foreign keys are switched on for the connection.
        """
        async with self.engine.begin() as conn:
            of_app = sa.select(versions.c.id).where(versions.c.app_id == app_id)
            for table in dependents_of_versions():
                await conn.execute(table.delete().where(table.c.version_id.in_(of_app)))
            for table in dependents_of_apps():
                await conn.execute(table.delete().where(table.c.app_id == app_id))
            await conn.execute(apps.delete().where(apps.c.id == app_id))

    async def set_purpose(self, app_id: str, purpose: str) -> AppRecord:
        """Give an app another purpose: an arena side kept becomes one of the person's own apps."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown app purpose {purpose!r}")
        async with self.engine.begin() as conn:
            await conn.execute(apps.update().where(apps.c.id == app_id).values(purpose=purpose))
        return await self.get_app(app_id)

    async def get_app(self, app_id: str) -> AppRecord:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(apps).where(apps.c.id == app_id))).first()
        if row is None:
            raise NotFound(f"No app {app_id!r}: it may have been deleted, or the link is mistyped.")
        return _app(row)

    async def owned_app(self, app_id: str, owner_id: str) -> AppRecord:
        """The app if `owner_id` owns it; NotFound alike whether it is someone else's or does not exist."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(apps).where(apps.c.id == app_id, apps.c.owner_id == owner_id))).first()
        if row is None:
            raise NotFound(f"You have no app {app_id!r}: the link may be mistyped, or the app belongs to another account.")
        return _app(row)

    async def list_versions(self, app_id: str) -> list[VersionRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(versions).where(versions.c.app_id == app_id).order_by(versions.c.number))
            return [_version(r) for r in rows]

    async def page_of_versions(self, app_id: str, *, limit: int, before: int | None = None) -> tuple[list[VersionRecord], int]:
        """The newest `limit` versions numbered below `before` (all, without it), oldest first, and
        how many versions the app has in all: lists of an app with thousands stay small."""
        query = sa.select(versions).where(versions.c.app_id == app_id)
        if before is not None:
            query = query.where(versions.c.number < before)
        async with self.engine.connect() as conn:
            rows = list(await conn.execute(query.order_by(versions.c.number.desc()).limit(limit)))
            total = (await conn.execute(sa.select(sa.func.count()).select_from(versions).where(versions.c.app_id == app_id))).scalar_one()
        return [_version(r) for r in reversed(rows)], int(total)

    async def get_version(self, app_id: str, number: int) -> VersionRecord:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(versions).where(versions.c.app_id == app_id, versions.c.number == number))).first()
        if row is None:
            raise NotFound(f"App {app_id!r} has no version {number}.")
        return _version(row)

    async def get_version_by_id(self, version_id: str) -> VersionRecord:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(versions).where(versions.c.id == version_id))).first()
        if row is None:
            raise NotFound("No such version.")
        return _version(row)

    async def get_version_by_token(self, token: str) -> VersionRecord:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(versions).where(versions.c.sandbox_token == token))).first()
        if row is None:
            raise NotFound("No app is published at this address.")
        return _version(row)

    async def list_apps(self, owner_id: str, *, query: str = "", limit: int = 50) -> list[AppSummary]:
        """The own apps of `owner_id` (not arena sides), most recently changed first, with their latest version's status.

        `query` keeps those whose title or any prompt contains it (case does not matter).
        """
        latest = (
            sa.select(versions.c.app_id, sa.func.max(versions.c.number).label("latest"), sa.func.count().label("count"))
            .group_by(versions.c.app_id)
            .subquery()
        )
        statement = (
            sa.select(apps, latest.c.latest, latest.c.count, versions.c.status)
            .join(latest, latest.c.app_id == apps.c.id)
            .join(versions, sa.and_(versions.c.app_id == apps.c.id, versions.c.number == latest.c.latest))
            .where(apps.c.owner_id == owner_id, apps.c.purpose == "own")  # eval runs' apps are on their report, arena sides in the arena
            .order_by(apps.c.updated_at.desc(), apps.c.id)
            .limit(limit)
        )
        if query.strip():
            pattern = "%" + query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            prompted = sa.select(versions.c.app_id).where(versions.c.prompt.ilike(pattern, escape="\\"))
            statement = statement.where(sa.or_(apps.c.title.ilike(pattern, escape="\\"), apps.c.id.in_(prompted)))
        async with self.engine.connect() as conn:
            rows = await conn.execute(statement)
            return [AppSummary(_app(r), r._mapping["count"], r.latest, r.status) for r in rows]

    async def fail_interrupted(self) -> int:
        """Versions left generating by a stopped server become failed, prompt kept."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                versions.update()
                .where(versions.c.status == "generating")
                .values(status="failed", error="Toolsmith stopped before this answer finished. Send the prompt again.", finished_at=datetime.now(UTC))
            )
            return result.rowcount or 0


def _version_values(app_id: str, number: int, parent_number: int | None, prompt: str, model: str, system_prompt_hash: str | None, html: str | None, status: str, now: datetime, made: dict[str, Any]) -> dict[str, Any]:
    """A new version's row, every column named (`made` sets how it was made: kind, path, …)."""
    return {
        "id": new_id(),
        "app_id": app_id,
        "number": number,
        "parent_number": parent_number,
        "prompt": prompt,
        "model": model,
        "system_prompt_hash": system_prompt_hash,
        "html": html,
        "answer": None,
        "notes": None,
        "input_tokens": None,
        "output_tokens": None,
        "duration_ms": None,
        "stop_reason": None,
        "status": status,
        "error": None,
        "sandbox_token": secrets.token_urlsafe(24),
        "created_at": now,
        "finished_at": now if status != "generating" else None,
        "path": None,
        "edit_count": None,
        "edit_error": None,
        "continuations": 0,
        "runtime_errors": None,
        "automatic": False,
        "selection": None,
        "files_from": None,
        **made,
    }
