"""The browser check of every version, through the API and real Chromium: the corpus's verdicts, the demo's tools, the queue."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from app.checks import Checks, CheckStore, Job, Outcome, Problem, browser
from app.checks.service import OFF
from app.services import Services
from app.settings import Settings
from app.storage import Store
from sandbox.headers import Origins
from sandbox.libraries import vendored_files
from tests.check_corpus import CASES
from tests.conftest import api_client, wait_for_version


def chromium() -> str:
    path = os.environ.get("TOOLSMITH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if os.environ.get("CI"):
            raise RuntimeError("No Chromium: set TOOLSMITH_CHROMIUM")
        pytest.skip("No Chromium here: set TOOLSMITH_CHROMIUM")
    return path


@pytest.fixture
async def checked(settings: Settings) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    """Services with checks on, in the Chromium the tests use, and a client of the API."""
    on = replace(settings, checks=True, chromium=chromium())
    services = await Services.open(on)
    try:
        async with api_client(on, services) as client:
            yield services, client
    finally:
        await services.close()


async def _checked_version(services: Services, client: httpx.AsyncClient, app_id: str, number: int = 1) -> dict:
    version = await wait_for_version(client, app_id, number, timeout=30)
    await services.checks.wait(version["id"], timeout=120)
    return (await client.get(f"/api/apps/{app_id}/versions/{number}")).json()["version"]


@pytest.mark.slow(1)
async def test_the_corpus_gets_its_verdicts(checked: tuple[Services, httpx.AsyncClient]) -> None:
    services, client = checked
    # All at once: they wait in the queue, one check at a time, and the hangs among them hold up nobody for long.
    made = []
    for case in CASES:
        response = await client.post("/api/import", json={"html": case.html, "title": case.name})
        assert response.status_code == 201, response.text
        made.append((case, response.json()["app"]["id"]))
    wrong = []
    for case, app_id in made:
        check = (await _checked_version(services, client, app_id))["check"]
        kinds = {p["kind"] for p in check["problems"]}
        steps = " | ".join(p.get("step") or "" for p in check["problems"])
        if check["status"] != case.status or not case.kinds <= kinds or (case.step and case.step not in steps):
            wrong.append(f"{case.name}: expected {case.status} {sorted(case.kinds)} {case.step or ''}, got {check['status']} {check['problems']}")
        assert check["checked_at"] and check["duration_ms"] >= 0
    assert wrong == [], "\n".join(wrong)


async def test_a_check_names_the_step_and_keeps_a_thumbnail(checked: tuple[Services, httpx.AsyncClient]) -> None:
    services, client = checked
    case = next(c for c in CASES if c.name == "a handler that throws on click")
    app_id = (await client.post("/api/import", json={"html": case.html})).json()["app"]["id"]
    check = (await _checked_version(services, client, app_id))["check"]
    (problem,) = [p for p in check["problems"] if p["kind"] == "error"]
    assert problem["step"] == "clicking “Add”"
    assert "TypeError" in problem["message"] and problem["line"] >= 1
    shot = await client.get(check["screenshot_url"])
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
    assert shot.content.startswith(b"\x89PNG") and len(shot.content) < 100_000
    listed = (await client.get(f"/api/apps/{app_id}")).json()["versions"][0]["check"]
    assert listed == check


@pytest.mark.slow(1)
async def test_every_demo_tool_passes_its_check(checked: tuple[Services, httpx.AsyncClient]) -> None:
    services, client = checked
    prompts = ["a tip calculator", "a csv to sortable table tool", "a pomodoro timer", "a unit converter for temperature", "a todo list",
               "a password generator", "a markdown previewer", "a colour contrast checker", "a loan calculator", "a dice roller", "a word counter"]
    apps = [(prompt, (await client.post("/api/apps", json={"prompt": prompt, "model": "demo"})).json()["app"]["id"]) for prompt in prompts]
    failed = {}
    for prompt, app_id in apps:
        check = (await _checked_version(services, client, app_id))["check"]
        if check["status"] != "passed":
            failed[prompt] = check
    assert failed == {}


async def test_checks_off_and_no_chromium_say_why(settings: Settings, client: httpx.AsyncClient) -> None:
    app_id = (await client.post("/api/import", json={"html": "<h1>hi</h1>"})).json()["app"]["id"]
    check = (await client.get(f"/api/apps/{app_id}/versions/1")).json()["version"]["check"]
    assert check == {"status": "not_checked", "problems": [], "reason": OFF}
    nowhere = replace(settings, checks=True, chromium="/nonexistent/chromium")
    services = await Services.open(nowhere)
    try:
        async with api_client(nowhere, services, await services.accounts.create_user("another")) as other:
            app_id = (await other.post("/api/import", json={"html": "<h1>hi</h1>"})).json()["app"]["id"]
            check = (await other.get(f"/api/apps/{app_id}/versions/1")).json()["version"]["check"]
    finally:
        await services.close()
    assert check["status"] == "not_checked" and "TOOLSMITH_CHROMIUM" in check["reason"] and "screenshot_url" not in check


async def test_a_restart_queues_the_pending_checks_again(settings: Settings) -> None:
    services = await Services.open(settings)  # checks off: nothing is queued
    try:
        async with api_client(settings, services) as client:
            app_id = (await client.post("/api/import", json={"html": "<!DOCTYPE html><h1>Left pending</h1>"})).json()["app"]["id"]
            version = (await client.get(f"/api/apps/{app_id}/versions/1")).json()["version"]
        await CheckStore(services.store.engine).queue(version["id"])  # as a server stopped mid-queue leaves it
    finally:
        await services.close()
    on = replace(settings, checks=True, chromium=chromium())
    services = await Services.open(on)
    try:
        record = await services.checks.wait(version["id"], timeout=120)
        assert record is not None and record.status == "passed" and record.has_screenshot
    finally:
        await services.close()


async def test_pass_rates_by_model(store: Store, settings: Settings) -> None:
    """What the arena shows beside each model: of its versions checked, how many passed."""
    checks = Checks(settings, store, vendored_files())
    app, v1 = await store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None, html="<p>1", status="complete")
    v2 = await store.create_version(app.id, parent_number=1, prompt="p", model="demo", system_prompt_hash=None, html="<p>2", status="complete")
    v3 = await store.create_version(app.id, parent_number=1, prompt="p", model="openai:gpt-x", system_prompt_hash=None, html="<p>3", status="complete")
    v4 = await store.create_version(app.id, parent_number=1, prompt="p", model="openai:gpt-x", system_prompt_hash=None, html="<p>4", status="complete")
    hand = await store.create_version(app.id, parent_number=1, prompt="p", model="hand", system_prompt_hash=None, html="<p>5", status="complete", kind="hand_edit")
    await checks.records.record(v1.id, Outcome())
    await checks.records.record(v2.id, Outcome([Problem("error", "boom")]))
    await checks.records.record(v3.id, Outcome())
    await checks.records.queue(v4.id)
    await checks.records.record(hand.id, Outcome())
    rates = await checks.records.pass_rates()
    assert {m: (r.passed, r.checked, r.rate) for m, r in rates.items()} == {"demo": (1, 2, 0.5), "openai:gpt-x": (1, 1, 1.0)}
    assert list(await checks.records.pass_rates(["demo"])) == ["demo"]
    assert (await checks.of([v4]))[v4.id]["status"] == "pending"
    assert (await checks.of([hand]))[hand.id]["status"] == "passed"
    other = (await store.create_version(app.id, parent_number=1, prompt="p", model="demo", system_prompt_hash=None, html="<p>6", status="complete"))
    assert (await checks.of([other]))[other.id] == {"status": "not_checked", "problems": [], "reason": OFF}


def _kill_browser_marked(marker: str) -> bool:
    """Kills the Chromium whose command line carries `marker` (its main process): a browser that dies."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                arguments = handle.read().split(b"\0")
        except OSError:
            continue
        if marker.encode() in arguments and not any(a.startswith(b"--type=") for a in arguments):
            os.kill(int(entry), signal.SIGKILL)
            return True
    return False


async def test_a_browser_that_dies_during_a_check_ends_it_as_a_crash_and_the_next_check_runs(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    # A switch Chromium ignores, so that this test finds its own browser and no other test's.
    marker = f"--toolsmith-test-{secrets.token_hex(4)}"
    monkeypatch.setattr(browser, "CHROMIUM_ARGS", (*browser.CHROMIUM_ARGS, marker))
    origins = Origins(main="http://127.0.0.1:8000", sandbox_url="http://127.0.0.1:8001")
    pool = browser.Chromium(chromium(), 1, origins, vendored_files(), browser.Timing(total=40.0))
    try:
        # A page that keeps its main thread busy: the check is still waiting on it when the browser dies.
        running = asyncio.ensure_future(pool.run(Job("<!DOCTYPE html><title>Busy</title><h1>Busy</h1><script>setTimeout(() => { for (;;) {} }, 500)</script>")))
        for _ in range(200):
            await asyncio.sleep(0.1)
            if _kill_browser_marked(marker):
                break
        else:
            raise AssertionError("the check's Chromium never started")
        outcome = await asyncio.wait_for(running, 40)
        assert [p.kind for p in outcome.problems] == ["crash"], outcome.problems
        assert outcome.duration_ms < 40_000
        # The slot starts a new browser: the pool is not blocked by the one that died.
        after = await asyncio.wait_for(pool.run(Job("<!DOCTYPE html><title>Fine</title><h1>Fine</h1>")), 60)
        assert after.problems == [], after.problems
    finally:
        await pool.close()
