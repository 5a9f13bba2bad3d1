"""The shapes the JSON API answers with, as OpenAPI components (docs/api.md names them App, Version...).

Answer objects are closed (`additionalProperties: false`): a field added to an answer without
being added here makes the fuzz suite's response check fail, so the description cannot lag.
"""

from __future__ import annotations

from app.errors import ToolsmithError
from app.generation import ERROR_KINDS, INSTEAD
from app.storage import KINDS, PATHS, PURPOSES, STATUSES
from app.web.api.described import BOOLEAN, INTEGER, STRING, TIME, Schema, array, nullable, obj, ref

# Codes of answers Starlette itself gives (an unknown address, a method the route does not take).
ROUTING_CODES = ("not_found", "method_not_allowed", "http_error")


def error_codes() -> list[str]:
    """Every `code` an error answer may carry: the whole tree of app.errors, and routing's own."""
    codes: set[str] = set(ROUTING_CODES)
    pending: list[type[ToolsmithError]] = [ToolsmithError]
    while pending:
        kind = pending.pop()
        codes.add(kind.code)
        pending.extend(kind.__subclasses__())
    return sorted(codes)


def _closed(properties: dict[str, Schema], optional: tuple[str, ...] = (), description: str = "") -> Schema:
    return obj(properties, required=[name for name in properties if name not in optional], extra=False, description=description)


SELECTION = obj(
    {
        "kind": {"type": "string", "enum": ["code", "element"]},
        "start_line": INTEGER,
        "end_line": INTEGER,
        "selector": STRING,
        "tag": STRING,
        "text": STRING,
        "html": STRING,
    },
    description="The part of the parent's page a request was scoped to: lines of code, or an element picked in the preview.",
)

RUNTIME_ERROR = obj(
    {
        "kind": {"type": "string", "enum": list(ERROR_KINDS)},
        "message": STRING,
        "action": nullable({"type": "string", "enum": list(INSTEAD), "description": "what the sandbox stopped, for the kind `blocked`"}),
        "line": nullable(INTEGER),
        "column": nullable(INTEGER),
        "stack": nullable(STRING),
        "filename": nullable(STRING),
    },
    required=["message"],
)

APP: dict[str, Schema] = {
    "id": STRING, "title": STRING, "title_by_hand": BOOLEAN, "created_at": TIME, "updated_at": TIME, "remixed_from": nullable(STRING),
    # "own": in the person's list; "eval": made by an eval run; "arena": a side of an arena match, until kept.
    "purpose": {"type": "string", "enum": list(PURPOSES)},
}  # fmt: skip

# The browser check of a version (docs/checks.md).
CHECK = obj(
    {
        "status": {"type": "string", "enum": ["pending", "passed", "problems", "not_checked"]},
        "problems": array(obj({"kind": STRING, "message": STRING, "step": nullable(STRING), "line": nullable(INTEGER), "column": nullable(INTEGER)}, required=["kind", "message"])),
        "reason": nullable(STRING),
        "screenshot_url": nullable(STRING),
        "checked_at": nullable(TIME),
        "duration_ms": nullable(INTEGER),
    },
    required=["status"],
    description="Whether the version's page works, as a headless browser found it.",
)

COMPONENTS: dict[str, Schema] = {
    "Error": _closed(
        {"error": _closed({"code": {"type": "string", "enum": error_codes()}, "message": STRING})},
        description="Every error: a stable code, and a message that says what to do next.",
    ),
    "App": _closed(APP),
    "AppSummary": _closed(
        {
            **APP,
            "version_count": INTEGER,
            "latest_version": _closed({"number": INTEGER, "status": {"type": "string", "enum": list(STATUSES)}}),
            "thumbnail_url": nullable(STRING),
        },
        optional=("thumbnail_url",),
        description="An app as lists show it: an App, how many versions it has, and its newest one's number and status.",
    ),
    "StreamEvent": obj(
        {
            "event": {"type": "string", "enum": ["created", "status", "delta", "phase", "done", "error"]},
            "data": {"type": "string", "contentMediaType": "application/json"},
            "id": STRING,
        },
        required=["event", "data"],
        description="One Server-Sent Event of a version's stream; `data` is JSON (docs/api.md lists each event's).",
    ),
    "Version": _closed(
        {
            "id": STRING,
            "app_id": STRING,
            "number": INTEGER,
            "parent_number": nullable(INTEGER),
            "prompt": STRING,
            "model": STRING,
            "system_prompt_hash": nullable(STRING),
            "notes": nullable(STRING),
            "input_tokens": nullable(INTEGER),
            "output_tokens": nullable(INTEGER),
            "duration_ms": nullable(INTEGER),
            "stop_reason": nullable(STRING),
            "status": {"type": "string", "enum": list(STATUSES)},
            "error": nullable(STRING),
            "created_at": TIME,
            "finished_at": nullable(TIME),
            "kind": {"type": "string", "enum": list(KINDS)},
            "path": nullable({"type": "string", "enum": list(PATHS)}),
            "edit_count": nullable(INTEGER),
            "edit_error": nullable(STRING),
            "continuations": INTEGER,
            "runtime_errors": nullable(array(RUNTIME_ERROR)),
            "automatic": BOOLEAN,
            "selection": nullable(SELECTION),
            "is_demo": BOOLEAN,
            "has_page": BOOLEAN,
            "has_files": BOOLEAN,
            "preview_url": STRING,
            "check": CHECK,
            "html": nullable(STRING),
        },
        optional=("html",),
        description="One version of an app; `html` only in answers about one version.",
    ),
    "Model": _closed({"id": STRING, "provider": STRING, "label": STRING, "key_env_var": nullable(STRING), "usable": BOOLEAN, "is_demo": BOOLEAN}),
    "Share": _closed(
        {
            "id": STRING,
            "token": STRING,
            "url": STRING,
            "version": nullable(INTEGER),
            "show_author": BOOLEAN,
            "state": {"type": "string", "enum": ["active", "expired", "revoked"]},
            "created_at": TIME,
            "expires_at": nullable(TIME),
            "revoked_at": nullable(TIME),
        }
    ),
    "User": _closed({"id": STRING, "username": STRING, "display_name": STRING, "has_password": BOOLEAN, "created_at": TIME}),
    "Token": _closed(
        {
            "id": STRING,
            "name": STRING,
            "state": {"type": "string", "enum": ["active", "expired", "revoked"]},
            "created_at": TIME,
            "expires_at": nullable(TIME),
            "revoked_at": nullable(TIME),
            "last_used_at": nullable(TIME),
        }
    ),
    "Started": _closed(
        {"app": ref("App"), "version": ref("Version"), "stream_url": STRING, "editor_url": STRING},
        optional=("app", "editor_url"),
        description="A version the model is writing now: follow `stream_url`.",
    ),
    "VersionsPage": _closed(
        {"app": ref("App"), "versions": array(ref("Version")), "versions_total": INTEGER, "older_url": nullable(STRING)},
        description="The app and a page of its versions, oldest first; `older_url` is the page before it, null from version 1.",
    ),
    "Created": _closed(
        {"app": ref("App"), "version": ref("Version"), "editor_url": STRING, "files": array(STRING), "skipped": array(STRING)},
        optional=("files", "skipped"),
        description="A new app, ready at once; from a zip, the paths of the files it brought and what was left out, and why.",
    ),
    "Diff": _closed(
        {
            "from": INTEGER,
            "to": INTEGER,
            "added": INTEGER,
            "removed": INTEGER,
            "hunks": array(
                _closed(
                    {
                        "old_start": INTEGER,
                        "old_count": INTEGER,
                        "new_start": INTEGER,
                        "new_count": INTEGER,
                        "lines": array(
                            _closed(
                                {
                                    "op": {"type": "string", "enum": [" ", "-", "+"]},
                                    "old": nullable(INTEGER),
                                    "new": nullable(INTEGER),
                                    "text": STRING,
                                    "marks": array(array(INTEGER)),
                                }
                            )
                        ),
                    }
                )
            ),
        }
    ),
    "Shared": _closed(
        {
            "title": STRING,
            "author": nullable(STRING),
            "version": INTEGER,
            "html": nullable(STRING),
            "expires_at": nullable(TIME),
            "frame_url": STRING,
            "page_url": STRING,
            "download_url": STRING,
        },
        description="What anyone with a share link sees: the page, never the prompts.",
    ),
    "Export": obj(
        {"format": {"const": "toolsmith.app"}, "format_version": INTEGER, "exported_at": TIME, "app": {"type": "object"}, "versions": array({"type": "object"})},
        required=["format", "format_version", "app", "versions"],
        description="An app with its whole history (docs/api.md, “Export format”).",
    ),
}
