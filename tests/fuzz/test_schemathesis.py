"""Schemathesis over every operation of /api/openapi.json, against a real server with an API token.

Bodies, parameters and methods that follow the description and ones that break it; no answer may
be a 5xx, every 4xx must be the Error of the description with its stable code, and every answer
must match the description (schema, status, content type, the Allow header of a 405).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import ignored_auth, positive_data_acceptance

from app.settings import Settings
from app.web import create_app
from app.web.api.openapi import openapi_document
from tests.conftest import LiveServer

# The same document the server serves, built here so the operations are known before it starts.
schema = schemathesis.openapi.from_dict(openapi_document(create_app(Settings()).routes))
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True)

EXAMPLES = 25  # per operation: enough to find what the suite found, quick enough for every CI run


class Fuzzed:
    """A real server with one app of three versions and a share link, so paths reach the handlers."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as http:
            started = http.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"}).json()
            self.app_id = started["app"]["id"]
            for _ in range(200):
                if http.get(f"/api/apps/{self.app_id}/versions/1").json()["version"]["status"] != "generating":
                    break
            http.post(f"/api/apps/{self.app_id}/versions/1/hand-edit", json={"html": "<!DOCTYPE html><h1>edited</h1>"}).raise_for_status()
            self.share_token = http.post(f"/api/apps/{self.app_id}/shares", json={}).json()["share"]["token"]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("fuzz"), demo_delay=0.0, provider_retries=0, provider_timeout=5.0)
    server = LiveServer(settings).start()
    try:
        yield Fuzzed(server)
    finally:
        server.stop()


@schema.parametrize()
@hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation(case: schemathesis.Case, fuzzed: Fuzzed) -> None:
    # The app's id and the share's token are real, so the fuzzed body and version number reach the route.
    if "app_id" in case.path_parameters:
        case.path_parameters["app_id"] = fuzzed.app_id
    if case.path.startswith("/api/shares/") and isinstance(case.path_parameters.get("token"), str) and len(case.path_parameters["token"]) % 2:
        case.path_parameters["token"] = fuzzed.share_token
    # Left out, on purpose: whether a well-formed request is accepted depends on what exists (which
    # models have keys, which versions have pages), which no schema says; and an app is 404, not 401,
    # to anyone but its owner, signed in or not, so that no answer tells whether it exists.
    case.call_and_validate(base_url=fuzzed.server.url, headers=fuzzed.server.headers, excluded_checks=[positive_data_acceptance, ignored_auth])
