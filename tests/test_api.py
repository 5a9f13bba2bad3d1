"""The JSON API through HTTP: creating, following up, reading, importing, and every bad input."""

from __future__ import annotations

import httpx
import pytest

from app.accounts.users import UserRecord
from app.services import Services
from tests.conftest import wait_for_version


async def test_models_lists_demo_and_says_which_lack_a_key(client: httpx.AsyncClient) -> None:
    data = (await client.get("/api/models")).json()
    by_id = {m["id"]: m for m in data["models"]}
    assert data["default"] == "demo"
    assert by_id["demo"]["is_demo"] and by_id["demo"]["usable"]
    assert by_id["anthropic:claude-sonnet-5-5"] == {**by_id["anthropic:claude-sonnet-5-5"], "usable": False, "key_env_var": "ANTHROPIC_API_KEY"}


async def test_create_app_streams_a_demo_page_into_version_1(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/apps", json={"prompt": "a tip calculator that splits the bill", "model": "demo"})
    assert response.status_code == 202
    body = response.json()
    app_id = body["app"]["id"]
    assert body["version"]["status"] == "generating"
    assert body["version"]["prompt"] == "a tip calculator that splits the bill"
    assert body["stream_url"] == f"/api/apps/{app_id}/versions/1/stream"
    assert body["editor_url"] == f"/apps/{app_id}"
    version = await wait_for_version(client, app_id, 1)
    assert version["status"] == "complete"
    assert version["html"].startswith("<!DOCTYPE html>")
    assert version["model"] == "demo" and version["is_demo"]
    assert version["output_tokens"] > 0 and version["duration_ms"] >= 0
    assert version["system_prompt_hash"]
    assert version["preview_url"].startswith("http://127.0.0.1:8001/v/")


async def test_follow_up_builds_on_the_parent_and_keeps_history(client: httpx.AsyncClient) -> None:
    app_id = (await client.post("/api/apps", json={"prompt": "a tip calculator", "model": "demo"})).json()["app"]["id"]
    await wait_for_version(client, app_id, 1)
    response = await client.post(f"/api/apps/{app_id}/versions", json={"prompt": "make it dark", "model": "demo", "parent": 1})
    assert response.status_code == 202
    assert response.json()["version"]["number"] == 2
    v2 = await wait_for_version(client, app_id, 2)
    assert (v2["status"], v2["parent_number"]) == ("complete", 1)
    listing = (await client.get(f"/api/apps/{app_id}")).json()
    assert [v["number"] for v in listing["versions"]] == [1, 2]
    assert "html" not in listing["versions"][0]


async def test_follow_up_while_generating_is_a_conflict(client: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    app, version = await services.store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None, html="<p>", status="complete", owner_id=user.id)
    await services.store.create_version(app.id, parent_number=1, prompt="q", model="demo", system_prompt_hash=None)
    response = await client.post(f"/api/apps/{app.id}/versions", json={"prompt": "more", "model": "demo"})
    assert response.status_code == 409
    assert "still being written" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({"prompt": ""}, 400, "invalid_prompt", "empty"),
        ({"prompt": "   "}, 400, "invalid_prompt", "empty"),
        ({"prompt": "x" * 20_001}, 400, "invalid_prompt", "the limit is 20,000"),
        ({"prompt": 5}, 400, "invalid_prompt", "must be a string"),
        ({"prompt": 42}, 400, "invalid_prompt", "must be a string"),
        ({"prompt": ["a timer"]}, 400, "invalid_prompt", "must be a string"),
        ({"prompt": "a timer", "model": "nonsense"}, 400, "unknown_model", "provider:model"),
        ({"prompt": "a timer", "model": "mystery:model"}, 400, "unknown_model", "toolsmith models"),
        ({"prompt": "a timer", "model": "anthropic:claude-sonnet-5-5"}, 400, "missing_key", "set ANTHROPIC_API_KEY"),
        ({"prompt": "a timer", "model": "openai:gpt-4.1-mini"}, 400, "missing_key", "set OPENAI_API_KEY"),
    ],
)
async def test_bad_create_requests_say_what_to_do_and_write_nothing(client: httpx.AsyncClient, body: dict, status: int, code: str, words: str) -> None:
    response = await client.post("/api/apps", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert words in error["message"]
    assert (await client.get("/api/apps")).json()["apps"] == []


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
async def test_malformed_json_is_a_clear_400(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post("/api/apps", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    assert "JSON" in response.json()["error"]["message"]


async def test_import_creates_a_complete_version_1(client: httpx.AsyncClient) -> None:
    page = "<html><head><title>My counter</title></head><body><button>+</button></body></html>"
    response = await client.post("/api/import", json={"html": page})
    assert response.status_code == 201
    body = response.json()
    assert body["app"]["title"] == "My counter"
    version = (await client.get(f"/api/apps/{body['app']['id']}/versions/1")).json()["version"]
    assert (version["status"], version["model"]) == ("complete", "import")
    assert version["html"] == page  # as written: no doctype added, so it renders as it does opened directly


INNER_DOCUMENT = """<!DOCTYPE html>
<html><head><title>Preview pane</title></head><body>
<textarea id="src"></textarea><iframe id="out"></iframe>
<script>
const template = `<!DOCTYPE html>
<html><head><title>Inner</title></head><body><h1>inner</h1></body></html>`;
document.getElementById("src").value = template;
</script>
</body></html>"""


@pytest.mark.parametrize(
    "page",
    [
        "<style>body { color: red }</style>\n<h1>Styled first</h1>\n<script>document.title = 'x'</script>",
        INNER_DOCUMENT,
        "\ufeff<!doctype html><p>with a byte-order mark</p>",
        "<p>a fragment</p>",
    ],
)
async def test_an_imported_file_is_kept_exactly_as_written(client: httpx.AsyncClient, page: str) -> None:
    response = await client.post("/api/import", json={"html": page})
    assert response.status_code == 201, response.text
    version = (await client.get(f"/api/apps/{response.json()['app']['id']}/versions/1")).json()["version"]
    assert version["html"] == page


async def test_an_imported_model_answer_keeps_its_page(client: httpx.AsyncClient) -> None:
    answer = "Here is your tool:\n\n```html\n<!DOCTYPE html>\n<html><body><p>tool</p></body></html>\n```\n\nEnjoy."
    response = await client.post("/api/import", json={"html": answer})
    version = (await client.get(f"/api/apps/{response.json()['app']['id']}/versions/1")).json()["version"]
    assert version["html"] == "<!DOCTYPE html>\n<html><body><p>tool</p></body></html>"


@pytest.mark.parametrize(("body", "words"), [({"html": ""}, "empty"), ({"html": "x" * 2_000_001}, "the limit is 2,000,000"), ({"html": "<p>", "title": 3}, "title")])
async def test_bad_imports(client: httpx.AsyncClient, body: dict, words: str) -> None:
    response = await client.post("/api/import", json=body)
    assert response.status_code == 400
    assert words in response.json()["error"]["message"]


async def test_unknown_app_and_version_are_404_json(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/apps/nope")).status_code == 404
    assert (await client.get("/api/apps/nope/versions/1")).json()["error"]["code"] == "not_found"
    app_id = (await client.post("/api/import", json={"html": "<p>hi</p>"})).json()["app"]["id"]
    assert (await client.get(f"/api/apps/{app_id}/versions/9")).status_code == 404
    assert (await client.get(f"/api/apps/{app_id}/versions/abc")).status_code == 404


async def test_follow_up_on_a_failed_parent_is_refused(client: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    app, version = await services.store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None, owner_id=user.id)
    await services.store.finish_version(version.id, status="failed", error="boom")
    response = await client.post(f"/api/apps/{app.id}/versions", json={"prompt": "x", "model": "demo", "parent": 1})
    assert response.status_code == 400
    assert "no page" in response.json()["error"]["message"]


async def test_retry_after_a_failed_first_answer_starts_afresh(client: httpx.AsyncClient, services: Services, user: UserRecord) -> None:
    app, version = await services.store.create_app(title="t", prompt="a tip calculator", model="demo", system_prompt_hash=None, owner_id=user.id)
    await services.store.finish_version(version.id, status="failed", error="boom")
    response = await client.post(f"/api/apps/{app.id}/versions", json={"prompt": "a tip calculator", "model": "demo"})
    assert response.status_code == 202
    retried = await wait_for_version(client, app.id, 2)
    assert (retried["status"], retried["parent_number"]) == ("complete", None)


async def test_pages_render(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert "frame-src http://127.0.0.1:8001" in home.headers["content-security-policy"]
    app_id = (await client.post("/api/import", json={"html": "<title>Hello</title><p>hi</p>"})).json()["app"]["id"]
    editor = await client.get(f"/apps/{app_id}")
    assert editor.status_code == 200 and "Hello" in editor.text
    missing = await client.get("/apps/nope")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
