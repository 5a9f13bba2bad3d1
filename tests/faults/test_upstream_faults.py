"""Every way an upstream model service misbehaves, for each wire format: Anthropic, OpenAI, and an
OpenAI-compatible endpoint. For each fault: what the API and the stream say, how the version ends
(status, error, prompt kept), that the person learns of it within the provider's timeout (the
message names the bound), and that the server answers other requests meanwhile.

docs/reliability.md has one row per fault of FAULTS; tests/test_reliability_docs.py keeps them together.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.settings import Endpoint, Settings
from tests.conftest import LiveServer
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.script import ScriptedFake, Step, answer, bad_json, disconnect, garbage, hang, http_error, no_end, stall

TIMEOUT = 2.0  # TOOLSMITH_PROVIDER_TIMEOUT, small so that every hang ends quickly (and above one byte a second)
GENERATION_TIMEOUT = 5.0  # TOOLSMITH_GENERATION_TIMEOUT
HUGE = "<!DOCTYPE html>\n" + "<p>" + "x" * (5 * 1024 * 1024) + "</p>\n"


@dataclass(frozen=True)
class Fault:
    """One way to misbehave: the steps the fake answers with, and the words the person is shown."""

    name: str
    steps: tuple[Step, ...]
    says: tuple[str, ...]  # every one of these is in the version's error, whatever the wire format


# The SDKs retry a failed call before streaming once (TOOLSMITH_PROVIDER_RETRIES=1): faults before the
# first byte are scripted for both attempts.
FAULTS = [
    Fault("429 with Retry-After", (http_error(429, retry_after="1", times=2),), ("rate limiting", "wait a minute")),
    Fault("429 without Retry-After", (http_error(429, retry_after=None, times=2),), ("rate limiting", "wait a minute")),
    Fault("500", (http_error(500, times=2),), ("failed", "try again")),
    Fault("502", (http_error(502, times=2),), ("failed", "try again")),
    Fault("503", (http_error(503, times=2),), ("failed", "try again")),
    Fault("hang before headers", (hang(times=2),), ("did not answer within 2 seconds", "TOOLSMITH_PROVIDER_TIMEOUT")),
    Fault("hang mid-stream", (stall(after_chunks=3),), ("went silent in the middle of the answer for 2 seconds", "TOOLSMITH_PROVIDER_TIMEOUT")),
    Fault("close mid-stream", (disconnect(after_chunks=3),), ("broke in the middle of the answer",)),
    Fault("malformed SSE", (garbage(after_chunks=3),), ("stopped before it was complete",)),
    Fault("invalid JSON chunk", (bad_json(after_chunks=3),), ("not valid JSON",)),
    Fault("no final event", (no_end(),), ("stopped before it was complete",)),
    Fault("5 MB answer", (answer(HUGE, chunk_size=256 * 1024, delay=0.0),), ("grew past 4,000,000 characters", "TOOLSMITH_MAX_HTML_BYTES")),
    Fault("one byte a second", (answer(chunk_size=1, delay=1.0),), ("still writing after 5 seconds", "TOOLSMITH_GENERATION_TIMEOUT")),
]


@dataclass
class Upstream:
    """One wire format: its fake, the model id that reaches it, and the server that uses it."""

    wire: str
    fake: ScriptedFake
    model: str
    server: LiveServer


@pytest.fixture(scope="module", params=["anthropic", "openai", "compatible"])
def upstream(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    wire = request.param
    fake: ScriptedFake = FakeAnthropic() if wire == "anthropic" else FakeOpenAI(usage=wire == "openai")
    with fake.serve() as fake_server:
        settings = Settings(
            data_dir=Path(tmp_path_factory.mktemp(f"faults-{wire}")),
            anthropic_api_key="sk-ant-test",
            anthropic_base_url=fake_server.url,
            openai_api_key="sk-test",
            openai_base_url=fake_server.url + "/v1",
            endpoints=(Endpoint("local", fake_server.url + "/v1", models=("small",)),),
            provider_retries=1,
            provider_timeout=TIMEOUT,
            generation_timeout=GENERATION_TIMEOUT,
            demo_delay=0.0,
        )
        model = {"anthropic": "anthropic:claude-test", "openai": "openai:gpt-test", "compatible": "local:small"}[wire]
        server = LiveServer(settings).start()
        try:
            yield Upstream(wire, fake, model, server)
        finally:
            server.stop()


def _events(http: httpx.Client, stream_url: str) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    name = ""
    with http.stream("GET", stream_url, timeout=httpx.Timeout(30.0)) as answer:
        assert answer.status_code == 200
        for line in answer.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
                if name in ("done", "error"):
                    break
    return events


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault(upstream: Upstream, fault: Fault) -> None:
    server = upstream.server
    upstream.fake.reset()
    upstream.fake.script(*fault.steps)
    prompt = f"a tip calculator ({fault.name}, {upstream.wire})"
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as http:
        started = http.post("/api/apps", json={"prompt": prompt, "model": upstream.model})
        assert started.status_code == 202, started.text
        body = started.json()

        # While the fault plays out, everything else answers.
        answered: list[int] = []

        def others() -> None:
            with httpx.Client(base_url=server.url, headers=server.headers, timeout=10) as other:
                for path in ("/api/models", "/api/apps", "/api/me"):
                    answered.append(other.get(path).status_code)

        meanwhile = threading.Thread(target=others)
        meanwhile.start()
        events = _events(http, body["stream_url"])
        meanwhile.join()
        assert answered == [200, 200, 200]

        name, data = events[-1]
        assert name == "error", events[-3:]
        assert data["error"]["code"] == "generation_failed"
        message = data["error"]["message"]
        for words in fault.says:
            assert words in message, f"{upstream.wire} {fault.name}: {message!r} lacks {words!r}"

        version = http.get(f"/api/apps/{body['app']['id']}/versions/1").json()["version"]
        assert version["status"] == "failed"
        assert version["error"] == message
        assert version["prompt"] == prompt
        # The app stays usable: a follow-up with another model works.
        follow = http.post(f"/api/apps/{body['app']['id']}/versions", json={"prompt": "try again", "model": "demo"})
        assert follow.status_code == 202, follow.text
