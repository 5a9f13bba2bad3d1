"""Apps moving between places: export with the whole history, import of an export, and remix.

An export is one JSON object (docs/api.md "Export format"): the app, and every
version with its prompt, model, page, the model's answer, token counts,
timings, and how it was made (kind, path, edits, continuations, the errors a
fix carried, the selection a request was scoped to). Importing it on another
Toolsmith makes a new app of the importer with the same history; ids and
preview addresses are new there.

The files an imported folder or zip brought (app.storage.files) travel once per set, base64 in
the export's "files", and each version that names them says which set: an export of an app
without files is format version 1 exactly as before; one with files is version 2, so that an
older Toolsmith refuses it instead of importing pages whose files are missing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.accounts import Shared
from app.errors import BadRequest
from app.generation import check_errors, check_selection
from app.storage import KINDS, PATHS, STATUSES, AppRecord, Store, VersionFile, VersionRecord, iso, new_id
from app.versions.exported_files import read_file_sets, write_file_sets

FORMAT = "toolsmith.app"
FORMAT_VERSION = 1
FORMAT_VERSION_WITH_FILES = 2
MAX_VERSIONS = 2000

_TEXT_FIELDS = ("prompt", "model", "system_prompt_hash", "html", "answer", "notes", "stop_reason", "error", "edit_error")
_INT_FIELDS = ("input_tokens", "output_tokens", "duration_ms", "edit_count", "continuations")
_MADE_FIELDS = ("kind", "path", "automatic", "runtime_errors", "selection")  # how a version was made


def export_app(app: AppRecord, versions: list[VersionRecord], files: dict[str, list[VersionFile]] | None = None) -> dict[str, Any]:
    """`files`: the files of each `files_from` the versions name, by that version's id."""
    owners = list(dict.fromkeys(v.files_from for v in versions if v.files_from is not None and files and v.files_from in files))
    exported: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION_WITH_FILES if owners else FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "app": {"title": app.title, "created_at": iso(app.created_at), "updated_at": iso(app.updated_at), "remixed_from_title": app.remixed_from_title},
        "versions": [
            {
                "number": v.number,
                "parent_number": v.parent_number,
                **{name: getattr(v, name) for name in _TEXT_FIELDS + _INT_FIELDS + _MADE_FIELDS},
                "status": v.status,
                "created_at": iso(v.created_at),
                "finished_at": iso(v.finished_at),
            }
            for v in versions
        ],
    }
    if owners:
        assert files is not None
        exported["files"] = write_file_sets([files[owner] for owner in owners])
        for item, v in zip(exported["versions"], versions, strict=True):
            if v.files_from in owners:
                item["files_from"] = owners.index(v.files_from)
    return exported


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


def read_export(data: object, *, max_html_bytes: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[list[VersionFile]]]:
    """The app's fields, each version's and the sets of files they name, checked; BadRequest names
    the first thing wrong (InvalidBundle or BundleTooLarge for the files)."""
    if not is_export(data):
        raise BadRequest(f"This is not a Toolsmith export: its “format” should be “{FORMAT}”.")
    assert isinstance(data, dict)
    if data.get("format_version") not in (FORMAT_VERSION, FORMAT_VERSION_WITH_FILES):
        raise BadRequest(f"This export has format version {data.get('format_version')!r}; this Toolsmith reads versions {FORMAT_VERSION} and {FORMAT_VERSION_WITH_FILES}. Upgrade Toolsmith to import it.")
    file_sets = read_file_sets(data.get("files", []))
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
    pages: dict[int, str | None] = {}
    for index, item in enumerate(items):
        where = f"versions[{index}]"
        if not isinstance(item, dict):
            raise BadRequest(f"{where} is not an object.")
        number, parent = item.get("number"), item.get("parent_number")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1 or number in pages:
            raise BadRequest(f"{where}.number must be a whole number from 1, each used once.")
        if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int) or parent not in pages):
            raise BadRequest(f"{where}.parent_number must be the number of an earlier version, or null.")
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
        fields.update(_how_made(item, fields, pages.get(parent) if parent is not None else None, where))
        files_from = item.get("files_from")
        if files_from is not None and (isinstance(files_from, bool) or not isinstance(files_from, int) or not 0 <= files_from < len(file_sets)):
            raise BadRequest(f"{where}.files_from must be the index of a set in the export's “files”, or absent.")
        fields["files_set"] = files_from
        pages[number] = fields["html"]
        history.append(fields)
    return app_fields, history, file_sets


def _how_made(item: dict[str, Any], fields: dict[str, Any], parent_page: str | None, where: str) -> dict[str, Any]:
    """A version's kind, path, automatic, runtime errors and selection, checked; from an export made
    before versions recorded them, described as the database migration describes older versions."""
    made: dict[str, Any] = {"continuations": fields["continuations"] or 0}
    if "kind" not in item:
        made["kind"] = fields["model"] if fields["model"] in ("import", "remix") else "create" if fields["parent_number"] is None else "follow_up"
        made["path"] = "page" if made["kind"] in ("create", "follow_up") and fields["html"] is not None else None
        return made
    kind, path, automatic = item["kind"], item.get("path"), item.get("automatic", False)
    if kind not in KINDS:
        raise BadRequest(f"{where}.kind must be one of {', '.join(KINDS)}.")
    if path is not None and path not in PATHS:
        raise BadRequest(f"{where}.path must be one of {', '.join(PATHS)}, or null.")
    if not isinstance(automatic, bool):
        raise BadRequest(f"{where}.automatic must be true or false.")
    made.update(kind=kind, path=path, automatic=automatic, runtime_errors=None, selection=None)
    try:
        if item.get("runtime_errors") is not None:
            made["runtime_errors"] = [error.to_json() for error in check_errors(item["runtime_errors"])]
        if item.get("selection") is not None:
            made["selection"] = check_selection(item["selection"], parent_page)
    except BadRequest as exc:
        raise BadRequest(f"{where}: {exc.message}") from None
    return made


async def import_export(store: Store, data: object, *, owner_id: str, max_html_bytes: int) -> AppRecord:
    """A new app of `owner_id` with the export's whole history."""
    fields, history, file_sets = read_export(data, max_html_bytes=max_html_bytes)
    app = AppRecord(new_id(), fields["title"], fields["created_at"], fields["updated_at"], owner_id, None, fields["remixed_from_title"])
    return await store.restore_app(app, history, file_sets)


async def remix(store: Store, shared: Shared, *, owner_id: str) -> tuple[AppRecord, VersionRecord]:
    """A new app of `owner_id` whose version 1 is the shared page, marked as remixed from it.

    Only the page travels, with a copy of the files it names: the author's prompts and other
    versions stay theirs.
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
        kind="remix",
        remixed_from_app_id=shared.app.id,
        remixed_from_title=origin[:200],
        files_of=shared.version.files_from,
    )
