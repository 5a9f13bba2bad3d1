"""Apps moving between places: export with the whole history, import of an export, and remix.

An export is one JSON object (docs/api.md "Export format"): the app, and every
version with its prompt, model, page, the model's answer, token counts and
timings. Importing it on another Toolsmith makes a new app of the importer with
the same history; ids and preview addresses are new there.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from app.errors import BadRequest
from app.shares import Shared
from app.store import STATUSES, AppRecord, Store, VersionRecord

FORMAT = "toolsmith.app"
FORMAT_VERSION = 1
MAX_VERSIONS = 2000

_TEXT_FIELDS = ("prompt", "model", "system_prompt_hash", "html", "answer", "notes", "stop_reason", "error")
_INT_FIELDS = ("input_tokens", "output_tokens", "duration_ms")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_app(app: AppRecord, versions: list[VersionRecord]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "app": {"title": app.title, "created_at": _iso(app.created_at), "updated_at": _iso(app.updated_at), "remixed_from_title": app.remixed_from_title},
        "versions": [
            {
                "number": v.number,
                "parent_number": v.parent_number,
                **{name: getattr(v, name) for name in _TEXT_FIELDS + _INT_FIELDS},
                "status": v.status,
                "created_at": _iso(v.created_at),
                "finished_at": _iso(v.finished_at),
            }
            for v in versions
        ],
    }


def is_export(data: object) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT


def _when(value: object, where: str, *, required: bool) -> datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{where} must be a date and time in ISO 8601.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{where} is not a date and time in ISO 8601: {value[:40]!r}.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_export(data: object, *, max_html_bytes: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The app's fields and each version's, checked; BadRequest names the first thing wrong."""
    if not is_export(data):
        raise BadRequest(f"This is not a Toolsmith export: its “format” should be “{FORMAT}”.")
    assert isinstance(data, dict)
    if data.get("format_version") != FORMAT_VERSION:
        raise BadRequest(f"This export has format version {data.get('format_version')!r}; this Toolsmith reads version {FORMAT_VERSION}. Upgrade Toolsmith to import it.")
    app = data.get("app")
    items = data.get("versions")
    if not isinstance(app, dict) or not isinstance(items, list) or not items:
        raise BadRequest("An export needs an “app” object and a non-empty “versions” list.")
    if len(items) > MAX_VERSIONS:
        raise BadRequest(f"This export has {len(items):,} versions; the limit is {MAX_VERSIONS:,}.")
    title = app.get("title")
    if not isinstance(title, str) or not title.strip():
        raise BadRequest("The export's app has no title.")
    now = datetime.now(UTC)
    remixed = app.get("remixed_from_title")
    app_fields = {
        "title": title.strip()[:200],
        "created_at": _when(app.get("created_at"), "app.created_at", required=False) or now,
        "updated_at": _when(app.get("updated_at"), "app.updated_at", required=False) or now,
        "remixed_from_title": remixed[:200] if isinstance(remixed, str) and remixed.strip() else None,
    }
    history: list[dict[str, Any]] = []
    numbers: set[int] = set()
    for index, item in enumerate(items):
        where = f"versions[{index}]"
        if not isinstance(item, dict):
            raise BadRequest(f"{where} is not an object.")
        number, parent = item.get("number"), item.get("parent_number")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1 or number in numbers:
            raise BadRequest(f"{where}.number must be a whole number from 1, each used once.")
        if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int) or parent not in numbers):
            raise BadRequest(f"{where}.parent_number must be the number of an earlier version, or null.")
        numbers.add(number)
        fields: dict[str, Any] = {"number": number, "parent_number": parent}
        for name in _TEXT_FIELDS:
            value = item.get(name)
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"{where}.{name} must be text or null.")
            fields[name] = value
        for name in _INT_FIELDS:
            value = item.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise BadRequest(f"{where}.{name} must be a whole number of at least 0, or null.")
            fields[name] = value
        if not isinstance(fields["prompt"], str) or not isinstance(fields["model"], str) or not fields["model"].strip():
            raise BadRequest(f"{where} needs its “prompt” and “model”.")
        fields["model"] = fields["model"][:200]
        fields["stop_reason"] = (fields["stop_reason"] or None) and fields["stop_reason"][:64]
        fields["system_prompt_hash"] = (fields["system_prompt_hash"] or None) and fields["system_prompt_hash"][:64]
        if fields["html"] is not None and len(fields["html"].encode("utf-8")) > max_html_bytes:
            raise BadRequest(f"{where}.html is larger than the limit of {max_html_bytes:,} bytes.")
        status = item.get("status")
        if status not in STATUSES:
            raise BadRequest(f"{where}.status must be one of {', '.join(STATUSES)}.")
        fields["created_at"] = _when(item.get("created_at"), f"{where}.created_at", required=True)
        fields["finished_at"] = _when(item.get("finished_at"), f"{where}.finished_at", required=False)
        if status == "generating":  # exported mid-answer: it will never finish here
            status = "failed"
            fields["error"] = "This version was still being written when the app was exported."
            fields["finished_at"] = fields["finished_at"] or now
        fields["status"] = status
        history.append(fields)
    return app_fields, history


async def import_export(store: Store, data: object, *, owner_id: str, max_html_bytes: int) -> AppRecord:
    """A new app of `owner_id` with the export's whole history."""
    fields, history = read_export(data, max_html_bytes=max_html_bytes)
    app = AppRecord(secrets.token_hex(8), fields["title"], fields["created_at"], fields["updated_at"], owner_id, None, fields["remixed_from_title"])
    return await store.restore_app(app, history)


async def remix(store: Store, shared: Shared, *, owner_id: str) -> tuple[AppRecord, VersionRecord]:
    """A new app of `owner_id` whose version 1 is the shared page, marked as remixed from it.

    Only the page travels: the author's prompts and other versions stay theirs.
    """
    origin = f"“{shared.app.title}”" + (f" by {shared.author}" if shared.author else "")
    return await store.create_app(
        title=shared.app.title,
        prompt=f"Remixed from {origin}",
        model="remix",
        system_prompt_hash=None,
        html=shared.version.html,
        status="complete",
        owner_id=owner_id,
        remixed_from=AppRecord(shared.app.id, origin[:200], shared.app.created_at, shared.app.updated_at),
    )
