"""A JSON route and its OpenAPI description, declared together so the two cannot part.

    ApiRoute("/api/apps", create_app, methods=["POST"], doc=Operation(
        "Start a new app from a prompt",
        body=obj({"prompt": STRING, "model": STRING}, required=["prompt"]),
        answers={202: ref("Started")},
        errors=(400, 409),
    ))

The path, its parameters and the methods come from the route itself; `app.web.api.openapi`
walks the router and writes the document. A plain `Route` under /api/ has no description, and
tests/test_openapi.py fails until it is an `ApiRoute`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Route

Schema = dict[str, Any]

# Answers that are not JSON: the version stream, downloads. Bodies that are not: a zip to import.
SSE = "text/event-stream"
HTML = "text/html"
ZIP = "application/zip"
BINARY: Schema = {"type": "string", "contentMediaType": "application/octet-stream"}


@dataclass(frozen=True)
class Query:
    """One query parameter: its name, schema, whether it must be sent, and what it does."""

    name: str
    schema: Schema
    description: str = ""
    required: bool = False


@dataclass(frozen=True)
class Operation:
    """What one method of one route takes and answers (docs/api.md says it in words)."""

    summary: str
    body: Schema | None = None  # the JSON object the request sends; None: no body
    other_bodies: Mapping[str, Schema] = field(default_factory=dict)  # bodies of other media types it takes, by type
    body_required: bool = True
    answers: Mapping[int, Schema] = field(default_factory=lambda: {200: {"type": "object"}})
    media_type: str = "application/json"  # of the answers above
    errors: Collection[int] = ()  # the 4xx statuses this route itself may answer, besides those every route may
    query: Sequence[Query] = ()
    public: bool = False  # needs nobody signed in
    tag: str = "apps"


class ApiRoute(Route):
    """A Starlette route that carries its OpenAPI `Operation` for each method."""

    def __init__(self, path: str, endpoint: Callable[..., Any], *, methods: Sequence[str] = ("GET",), doc: Operation) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        self.operations = {method.upper(): doc for method in methods}


def obj(properties: Mapping[str, Schema], *, required: Sequence[str] = (), extra: bool = True, description: str = "") -> Schema:
    """A JSON object schema. Fields we do not know are ignored, so `extra` stays true for bodies."""
    schema: Schema = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = list(required)
    if not extra:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


# Path parameters by name: the same name means the same thing on every route.
PATH_PARAMETERS: dict[str, Schema] = {
    "number": {"type": "integer", "minimum": 1, "description": "a version number: 1, 2, 3…"},
}

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
