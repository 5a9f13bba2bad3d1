"""The OpenAPI description at /api/openapi.json: valid, complete over the router, and in step with docs/api.md."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from openapi_spec_validator import validate
from starlette.routing import Route

from app.settings import Settings
from app.web import create_app
from app.web.api.openapi import api_routes
from app.web.api.schemas import error_codes

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"
_ENDPOINT = re.compile(r"`(GET|POST|PATCH|PUT|DELETE) (/api/[^\s`?]*)")


def _shape(path: str) -> str:
    """`/api/apps/{id}/versions/{n}` and `/api/apps/{app_id}/versions/{number}` are one path."""
    return re.sub(r"{[^}]*}", "{}", path)


async def _document(client: httpx.AsyncClient) -> dict:
    answer = await client.get("/api/openapi.json")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_description_is_valid_openapi_3_1(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    assert document["openapi"].startswith("3.1")
    validate(document)


async def test_anyone_may_read_it(settings: Settings, services) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, services)), base_url="http://localhost:8000") as anonymous:
        assert (await anonymous.get("/api/openapi.json")).status_code == 200


async def test_every_route_under_api_is_described(settings: Settings, client: httpx.AsyncClient) -> None:
    """Generic over the router: a route added without a description fails here until it has one."""
    paths = (await _document(client))["paths"]
    missing = []
    for route in api_routes(create_app(settings).routes):
        assert isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            path = re.sub(r"{([^}:]+)(?::[^}]+)?}", r"{\1}", route.path)
            if method.lower() not in paths.get(path, {}):
                missing.append(f"{method} {route.path}")
    assert not missing, f"Routes without an OpenAPI description (make them ApiRoute with an Operation, see docs/api.md): {missing}"


async def test_docs_and_description_name_the_same_endpoints(client: httpx.AsyncClient) -> None:
    paths = (await _document(client))["paths"]
    described = {(method.upper(), _shape(path)) for path, methods in paths.items() for method in methods}
    documented = {(method, _shape(path)) for method, path in _ENDPOINT.findall(DOCS.read_text(encoding="utf-8"))}
    assert described - documented == set(), f"described but not in docs/api.md: {sorted(described - documented)}"
    assert documented - described == set(), f"in docs/api.md but not described: {sorted(documented - described)}"


def test_docs_link_the_description() -> None:
    assert "/api/openapi.json" in DOCS.read_text(encoding="utf-8")


def test_every_error_code_of_the_docs_is_in_the_description() -> None:
    table = DOCS.read_text(encoding="utf-8").split("## Errors", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| \d{3} \| `([a-z_]+)` \|", table, re.MULTILINE))
    assert documented, "docs/api.md lost its table of error codes"
    assert documented <= set(error_codes()), sorted(documented - set(error_codes()))


async def test_every_operation_answers_errors_as_the_error_schema(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, status)
