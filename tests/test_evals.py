"""Evals through the API and real Chromium: against the fake OpenAI-compatible server answering with
pages written here (some pass, some fail in known ways) and against the demo model with the built-in
suite; progress on the stream, the apps kept out of the person's list."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from httpx_sse import aconnect_sse

from app.evals import load_builtin
from app.settings import Endpoint, Settings
from tests.conftest import LiveServer
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.script import answer
from tests.test_checks import chromium

SUITE = """
name = "three"

[[prompt]]
id = "double"
prompt = "A doubler: a number input with id n and the double shown in an element with id out."
steps = [{ fill = "#n", value = "21" }]
expect = [{ selector = "#out", equals = "42" }, { no_problems = true }]

[[prompt]]
id = "wrong"
prompt = "A doubler that gets it wrong."
steps = [{ fill = "#n", value = "21" }]
expect = [{ selector = "#out", equals = "42" }, { no_problems = true }]

[[prompt]]
id = "throws"
prompt = "A doubler that throws on input."
steps = [{ fill = "#n", value = "21" }]
expect = [{ selector = "#out", equals = "42" }, { no_problems = true }]
"""


def _page(script: str) -> str:
    return "Here it is.\n```html\n<!DOCTYPE html>\n<html><head><title>Doubler</title></head><body>\n<input id=n type=number><p id=out>0</p>\n<script>\n" + script + "\n</script></body></html>\n```\n"


WORKS = _page("n.addEventListener('input', () => { out.textContent = String(Number(n.value) * 2); });")
WRONG = _page("n.addEventListener('input', () => { out.textContent = String(Number(n.value) * 3); });")
THROWS = _page("n.addEventListener('input', () => { out.textContent = String(Number(n.value) * 2); undefinedThing.go(); });")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    served = FakeOpenAI(delay=0.0)
    with served.serve():
        yield served


@pytest.fixture
def evaluated(settings: Settings, fake: FakeOpenAI) -> Iterator[LiveServer]:
    endpoint = Endpoint(name="localai", base_url=f"{fake.url}/v1", models=("coder-1",))
    # One run at a time: the fake answers in the order asked, and the order of progress is checked.
    server = LiveServer(replace(settings, checks=True, chromium=chromium(), endpoints=(endpoint,), eval_parallel=1)).start()
    yield server
    server.stop()


async def test_an_eval_runs_several_prompts_at_once_and_reports_them_in_the_suites_order(settings: Settings, fake: FakeOpenAI) -> None:
    """Each answer takes a while: with three runs allowed at once, the fake streams three at a time;
    progress comes as runs finish, and the report lists them as the suite does."""
    fake.delay = 0.1  # about 2 s an answer: long enough for all three to be under way together
    fake.script(answer(WORKS), answer(WORKS), answer(WORKS))
    endpoint = Endpoint(name="localai", base_url=f"{fake.url}/v1", models=("coder-1",))
    server = LiveServer(replace(settings, chromium=chromium(), endpoints=(endpoint,), eval_parallel=3)).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=60) as client:
            run = (await client.post("/api/evals", json={"suite_toml": SUITE, "models": ["localai:coder-1"]})).json()["eval"]
            async with aconnect_sse(client, "GET", run["stream_url"], timeout=300) as source:
                progress = [json.loads(event.data) async for event in source.aiter_sse() if event.event == "progress"]
            final = (await client.get(f"/api/evals/{run['id']}")).json()["eval"]
            report = (await client.get(final["report_url"])).text
    finally:
        server.stop()
    assert fake.most_streaming == 3
    assert [p["done"] for p in progress] == [1, 2, 3]
    assert sorted(p["result"]["prompt_id"] for p in progress) == ["double", "throws", "wrong"]
    assert final["status"] == "finished" and final["done"] == 3 and len(final["results"]) == 3
    shown = re.findall(r'data-testid="eval-run" data-prompt="(\w+)"', report)
    assert shown == ["double", "wrong", "throws"]


async def test_an_eval_against_an_openai_compatible_server_says_exactly_which_passed(evaluated: LiveServer, fake: FakeOpenAI) -> None:
    fake.script(answer(WORKS), answer(WRONG), answer(THROWS))
    async with httpx.AsyncClient(base_url=evaluated.url, headers=evaluated.headers, timeout=60) as client:
        started = await client.post("/api/evals", json={"suite_toml": SUITE, "models": ["localai:coder-1"], "repeat": 1})
        assert started.status_code == 202, started.text
        run = started.json()["eval"]
        assert (run["status"], run["total"], run["done"]) == ("running", 3, 0)
        progress = []
        async with aconnect_sse(client, "GET", run["stream_url"], timeout=300) as source:
            async for event in source.aiter_sse():
                if event.event == "progress":
                    progress.append(json.loads(event.data))
                elif event.event == "done":
                    final = json.loads(event.data)["eval"]
                    break
        assert [(p["done"], p["total"], p["result"]["prompt_id"]) for p in progress] == [(1, 3, "double"), (2, 3, "wrong"), (3, 3, "throws")]
        assert final["status"] == "finished"
        verdicts = {r["prompt_id"]: r for r in final["results"]}
        assert {k: v["passed"] for k, v in verdicts.items()} == {"double": True, "wrong": False, "throws": False}
        assert [(e["kind"], e["passed"], e["actual"]) for e in verdicts["wrong"]["expectations"]] == [("equals", False, "63"), ("no_problems", True, "0 problems")]
        assert [(e["kind"], e["passed"]) for e in verdicts["throws"]["expectations"]] == [("equals", True), ("no_problems", False)]
        assert any("undefinedThing" in p["message"] for p in verdicts["throws"]["problems"])
        (row,) = final["summary"]
        assert (row["model"], row["runs"], row["passed"]) == ("localai:coder-1", 3, 1)
        assert 0 < row["interval"][0] < 1 / 3 < row["interval"][1] < 1
        shot = await client.get(verdicts["double"]["screenshot_url"])
        assert shot.status_code == 200 and shot.content.startswith(b"\x89PNG")
        # Each run is a real app, kept out of the person's own list, and in the report.
        assert (await client.get("/api/apps")).json()["apps"] == []
        opened = await client.get(f"/api/apps/{verdicts['double']['app_id']}")
        assert opened.status_code == 200 and opened.json()["app"]["purpose"] == "eval"
        # Until the person keeps one: then it is theirs like any other, still on the report.
        kept = await client.post(f"/api/apps/{verdicts['double']['app_id']}/keep")
        assert kept.status_code == 200 and kept.json()["app"]["purpose"] == "own"
        assert [a["id"] for a in (await client.get("/api/apps")).json()["apps"]] == [verdicts["double"]["app_id"]]
        assert (await client.post(f"/api/apps/{verdicts['double']['app_id']}/keep")).json()["app"]["purpose"] == "own"
        report = await client.get(final["report_url"])
        assert report.status_code == 200 and report.text.count('data-testid="eval-run"') == 3
        assert 'data-prompt="wrong" data-model="localai:coder-1" data-passed="false"' in report.text
        listed = (await client.get("/api/evals")).json()["evals"]
        assert [e["id"] for e in listed] == [final["id"]]


# What the demo model's built-in tools make of the built-in suite: the prompts it has a tool for pass;
# the others get its closest tool (or the to-do list), whose elements the checks do not find.
DEMO_PASSES = {"tip", "todo", "word-counter", "dice", "password", "markdown", "loan", "csv-table", "pomodoro", "contrast"}


@pytest.mark.slow(4)
async def test_the_built_in_suite_against_the_demo_model(settings: Settings) -> None:
    # The runs under way at once (four by default) take turns in the one browser for their checks.
    server = LiveServer(replace(settings, checks=True, chromium=chromium())).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=60) as client:
            run = (await client.post("/api/evals", json={"suite": "everyday", "models": ["demo"]})).json()["eval"]
            async with aconnect_sse(client, "GET", run["stream_url"], timeout=1200) as source:
                async for event in source.aiter_sse():
                    if event.event == "done":
                        final = json.loads(event.data)["eval"]
                        break
    finally:
        server.stop()
    passed = {r["prompt_id"] for r in final["results"] if r["passed"]}
    assert len(final["results"]) == len(load_builtin("everyday").prompts)
    assert passed == DEMO_PASSES, {r["prompt_id"]: [e for e in r["expectations"] if not e["passed"]] for r in final["results"] if r["passed"] != (r["prompt_id"] in DEMO_PASSES)}
