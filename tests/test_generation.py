"""Generations through the API with the real SDKs talking to the fake model servers:
usage recorded, cut-off answers kept as incomplete, upstream failures kept as failed versions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import httpx
import pytest

from app.services import Services
from app.settings import Endpoint, Settings
from tests.conftest import api_client, wait_for_version
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.script import answer, cut_off, disconnect, http_error, rate_limited, stream_error

PAGE = "<!DOCTYPE html>\n<html><head><title>Counter</title></head><body><h1>Counter</h1></body></html>"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(delay=0.0, api_key="sk-test")
    with fake.serve():
        yield fake


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(delay=0.0, api_key="sk-ant-test")
    with fake.serve():
        yield fake


@pytest.fixture
async def api(settings: Settings, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic) -> AsyncIterator[httpx.AsyncClient]:
    configured = replace(
        settings,
        openai_api_key="sk-test",
        openai_base_url=fake_openai.url + "/v1",
        anthropic_api_key="sk-ant-test",
        anthropic_base_url=fake_anthropic.url,
        endpoints=(Endpoint(name="local", base_url=fake_openai.url + "/v1", key_env_var="LOCAL_API_KEY", api_key="sk-test", models=("coder",)),),
    )
    services = await Services.open(configured)
    async with api_client(configured, services) as client:
        yield client
    await services.close()


async def _generate(api: httpx.AsyncClient, model: str, prompt: str = "a counter") -> dict:
    response = await api.post("/api/apps", json={"prompt": prompt, "model": model})
    assert response.status_code == 202, response.text
    return await wait_for_version(api, response.json()["app"]["id"], 1)


@pytest.mark.parametrize("model", ["openai:gpt-4.1-mini", "anthropic:claude-sonnet-5-5", "local:coder"])
async def test_answers_one_after_another_share_the_providers_connection(api: httpx.AsyncClient, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, model: str) -> None:
    fake = fake_anthropic if model.startswith("anthropic") else fake_openai
    for prompt in ("a counter", "a timer", "a clock"):
        assert (await _generate(api, model, prompt))["status"] == "complete"
    connections = [r["client"] for r in fake.requests[-3:]]
    assert len(set(connections)) == 1, f"each answer opened a new connection: {connections}"


@pytest.mark.parametrize("model", ["openai:gpt-4.1-mini", "anthropic:claude-sonnet-5-5", "local:coder"])
async def test_usage_and_stop_reason_come_from_the_provider(api: httpx.AsyncClient, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, model: str) -> None:
    fake = fake_anthropic if model.startswith("anthropic") else fake_openai
    fake.script(answer(f"Here it is.\n```html\n{PAGE}\n```", input_tokens=321, output_tokens=123))
    version = await _generate(api, model)
    assert (version["status"], version["html"], version["notes"]) == ("complete", PAGE, "Here it is.")
    assert (version["input_tokens"], version["output_tokens"], version["stop_reason"]) == (321, 123, "end")
    assert version["model"] == model
    sent = fake.requests[-1]["json"]
    assert sent["model"] == model.split(":", 1)[1]
    assert sent["stream"] is True


async def test_the_system_prompt_and_its_hash(api: httpx.AsyncClient, fake_anthropic: FakeAnthropic) -> None:
    from app.generation.prompting import system_prompt

    version = await _generate(api, "anthropic:claude-sonnet-5-5")
    system = fake_anthropic.requests[-1]["json"]["system"]
    assert (system if isinstance(system, str) else system[0]["text"]) == system_prompt().text
    assert version["system_prompt_hash"] == system_prompt().hash


async def test_follow_up_sends_history_and_the_current_page(api: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(answer(f"```html\n{PAGE}\n```"), answer(f"```html\n{PAGE.replace('Counter</h1>', 'Counter!</h1>')}\n```"))
    first = await _generate(api, "openai:gpt-4.1-mini", "a counter")
    response = await api.post(f"/api/apps/{first['app_id']}/versions", json={"prompt": "add an exclamation mark", "model": "openai:gpt-4.1-mini"})
    second = await wait_for_version(api, first["app_id"], response.json()["version"]["number"])
    assert "Counter!" in second["html"]
    message = fake_openai.requests[-1]["json"]["messages"][-1]["content"]
    assert "1. a counter" in message and PAGE in message and message.endswith("add an exclamation mark")


async def test_cut_off_answer_is_kept_as_incomplete(api: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    """Still cut off after the continuations allowed (two by default): kept, as incomplete."""
    whole = f"```html\n{PAGE}\n```"
    fake_openai.script(cut_off(whole[:30]), cut_off(whole[30:60]), cut_off(whole[60:90]))
    version = await _generate(api, "openai:gpt-4.1-mini")
    assert (version["status"], version["stop_reason"], version["continuations"]) == ("incomplete", "max_tokens", 2)
    assert len(fake_openai.requests) == 3
    assert version["html"] and "cut off" in version["error"]


@pytest.mark.parametrize(
    ("model", "step", "words"),
    [
        ("openai:gpt-4.1-mini", rate_limited(), "rate limit"),
        ("anthropic:claude-sonnet-5-5", rate_limited(), "rate limit"),
        ("openai:gpt-4.1-mini", http_error(401), "OPENAI_API_KEY"),
        ("anthropic:claude-sonnet-5-5", http_error(401), "ANTHROPIC_API_KEY"),
        ("openai:gpt-4.1-mini", http_error(404, "The model `gpt-4.1-mini` does not exist"), "does not exist"),
        ("openai:gpt-4.1-mini", stream_error(after_chunks=3), ""),
        ("anthropic:claude-sonnet-5-5", stream_error(after_chunks=3), "overloaded"),
        ("openai:gpt-4.1-mini", disconnect(after_chunks=3), ""),
    ],
)
async def test_upstream_failures_keep_the_prompt_in_a_failed_version(
    api: httpx.AsyncClient, fake_openai: FakeOpenAI, fake_anthropic: FakeAnthropic, model: str, step, words: str
) -> None:
    fake = fake_anthropic if model.startswith("anthropic") else fake_openai
    fake.script(step)
    version = await _generate(api, model, "a unit converter")
    assert version["status"] == "failed"
    assert version["prompt"] == "a unit converter"
    assert version["error"] and words.lower() in version["error"].lower()
    assert "Traceback" not in version["error"]
    if step.kind in ("stream_error", "disconnect"):
        assert version["html"] is None


async def test_unreachable_endpoint_says_so(settings: Settings) -> None:
    configured = replace(settings, endpoints=(Endpoint(name="ollama", base_url="http://127.0.0.1:9/v1"),))
    services = await Services.open(configured)
    async with api_client(configured, services) as client:
        version = await _generate(client, "ollama:qwen2.5-coder")
    await services.close()
    assert version["status"] == "failed"
    assert "ollama" in version["error"] and "running" in version["error"]


async def test_an_answer_without_a_page_fails_with_the_answer_kept(api: httpx.AsyncClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(answer("Sorry, I can't build that."))
    version = await _generate(api, "openai:gpt-4.1-mini")
    assert version["status"] == "failed"
    assert version["notes"] == "Sorry, I can't build that."
    assert "without an HTML page" in version["error"]


async def test_stopping_the_server_mid_answer_fails_the_version(settings: Settings, fake_openai: FakeOpenAI) -> None:
    configured = replace(settings, openai_api_key="sk-test", openai_base_url=fake_openai.url + "/v1")
    fake_openai.script(answer(delay=0.05))
    services = await Services.open(configured)
    owner = await services.accounts.create_user("tester")
    app, _ = await services.generator.create_app("a slow page", "openai:gpt-4.1-mini", owner_id=owner.id)
    await services.close()
    reopened = await Services.open(configured)
    stopped = await reopened.store.get_version(app.id, 1)
    await reopened.close()
    assert (stopped.status, stopped.prompt) == ("failed", "a slow page")
    assert "stopped" in (stopped.error or "")
