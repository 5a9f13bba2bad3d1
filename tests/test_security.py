"""Protection of the main origin: CSRF on every state-changing browser request, the Host
allow-list against DNS rebinding, cookie flags, and the headers of our own pages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from app.accounts.users import UserRecord
from app.hosts import host_allowed, hosts_of
from app.services import Services
from app.settings import Settings
from app.web.server import create_app
from sandbox.headers import APP_SANDBOX
from sandbox.libraries import VendoredFiles
from sandbox.server import create_sandbox_app
from tests.conftest import CSRF_META, browser_for
from tests.fakes.node_modules import make_node_modules

CREATE = {"prompt": "a timer", "model": "demo"}


async def _app_count(services: Services, user: UserRecord) -> int:
    return len(await services.store.list_apps(user.id))


# ---- CSRF -------------------------------------------------------------------------------------


async def test_a_browser_request_with_the_page_token_goes_through(settings: Settings, services: Services, user: UserRecord) -> None:
    async with browser_for(settings, services, user) as browser:
        assert (await browser.post("/api/apps", json=CREATE)).status_code == 202
    assert await _app_count(services, user) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"X-CSRF-Token": None}, "security token"),
        ({"X-CSRF-Token": "forged"}, "security token"),
        ({"X-CSRF-Token": ""}, "security token"),
        ({"Origin": "http://evil.example"}, "another origin"),
        ({"Origin": "null"}, "another origin"),  # a sandboxed page, or a data: URL
        ({"Origin": "http://localhost:8000.evil.example"}, "another origin"),
        ({"Sec-Fetch-Site": "cross-site"}, "another site"),
        ({"Sec-Fetch-Site": "same-site"}, "another site"),
    ],
)
async def test_forged_browser_requests_are_refused_and_change_nothing(settings: Settings, services: Services, user: UserRecord, change: dict, words: str) -> None:
    async with browser_for(settings, services, user) as browser:
        for name, value in change.items():
            if value is None:
                del browser.headers[name]
            else:
                browser.headers[name] = value
        response = await browser.post("/api/apps", json=CREATE)
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "csrf_failed" and words in error["message"] and "reload the page" in error["message"]
        # Every method that changes something is checked, not only POST.
        assert (await browser.patch("/api/me", json={"display_name": "Mallory"})).status_code == 403
        assert (await browser.delete("/api/tokens/whatever")).status_code == 403
    assert await _app_count(services, user) == 0
    assert (await services.accounts.get_user(user.id)).display_name == "Test Person"


async def test_the_token_is_bound_to_the_session(settings: Settings, services: Services, user: UserRecord) -> None:
    """A token from the attacker's own session does not work with the victim's cookie."""
    mallory = await services.accounts.create_user("mallory")
    async with browser_for(settings, services, mallory) as attacker, browser_for(settings, services, user) as victim:
        victim.headers["X-CSRF-Token"] = attacker.headers["X-CSRF-Token"]
        assert (await victim.post("/api/apps", json=CREATE)).status_code == 403


async def test_signing_in_changes_the_token(settings: Settings, services: Services, user: UserRecord) -> None:
    async with browser_for(settings, services) as browser:
        before = browser.headers["X-CSRF-Token"]
        assert (await browser.get(f"/signin/{await services.accounts.create_signin_link(user.id)}")).status_code == 303
        assert (await browser.post("/api/apps", json=CREATE)).status_code == 403
        page = await browser.get("/")
        browser.headers["X-CSRF-Token"] = after = CSRF_META.findall(page.text)[0]
        assert after != before
        assert (await browser.post("/api/apps", json=CREATE)).status_code == 202


async def test_html_forms_carry_the_token_as_a_field(settings: Settings, services: Services, user: UserRecord) -> None:
    async with browser_for(settings, services, user) as browser:
        token = browser.headers.pop("X-CSRF-Token")
        refused = await browser.post("/logout", data={})
        assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
        assert (await browser.get("/api/me")).status_code == 200, "a refused sign-out leaves the session"
        assert (await browser.post("/logout", data={"csrf_token": token})).status_code == 303
        assert (await browser.get("/api/me")).status_code == 401


async def test_signing_in_from_another_site_is_refused(settings: Settings, services: Services) -> None:
    """Login CSRF: another site must not sign a visitor in to an account of its choosing."""
    await services.accounts.create_user("mallory", password="mallory's password")
    async with browser_for(settings, services) as browser:
        browser.headers["Origin"] = "http://evil.example"
        browser.headers["Sec-Fetch-Site"] = "cross-site"
        response = await browser.post("/login", data={"username": "mallory", "password": "mallory's password", "csrf_token": browser.headers["X-CSRF-Token"]})
        assert response.status_code == 403
        assert not any("toolsmith_session" in c for c in response.headers.get_list("set-cookie"))
        assert (await browser.get("/api/me")).status_code == 401


async def test_api_tokens_need_no_csrf_token_and_gets_never_do(client: httpx.AsyncClient) -> None:
    # A script with a bearer token: no cookies, so nothing to forge.
    assert (await client.post("/api/apps", json=CREATE, headers={"Origin": "http://elsewhere.example"})).status_code == 202
    assert (await client.get("/api/apps", headers={"Sec-Fetch-Site": "cross-site"})).status_code == 200


async def test_a_session_cookie_sent_with_no_token_from_a_script_is_refused(settings: Settings, services: Services, user: UserRecord) -> None:
    """Cookies alone never authorise a change: a script that stole no token cannot ride a session."""
    async with browser_for(settings, services, user) as browser:
        for name in ("X-CSRF-Token", "Origin", "Sec-Fetch-Site"):
            del browser.headers[name]
        assert (await browser.post("/api/apps", json=CREATE)).status_code == 403


# ---- Host header --------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1:8000", "localhost.evil.example:8000", "", "localhost:9999"])
async def test_unknown_host_names_are_refused_before_anything_else(settings: Settings, services: Services, api_token: str, host: str) -> None:
    transport = httpx.ASGITransport(app=create_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", headers={"Authorization": f"Bearer {api_token}"}) as http:
        for method, path in [("GET", "/"), ("GET", "/api/apps"), ("POST", "/api/apps"), ("GET", "/login"), ("GET", "/static/style.css")]:
            response = await http.request(method, path, headers={"Host": host}, json=CREATE if method == "POST" else None)
            assert response.status_code == 400, (method, path, response.status_code)
            assert response.json()["error"]["code"] == "bad_host"
            assert "TOOLSMITH_ALLOWED_HOSTS" in response.json()["error"]["message"]
    assert (await services.store.list_apps((await services.accounts.get_user_by_name("tester")).id)) == []


@pytest.mark.parametrize("host", ["localhost:8000", "localhost", "LOCALHOST:8000"])
async def test_our_own_name_is_answered(client: httpx.AsyncClient, host: str) -> None:
    assert (await client.get("/api/apps", headers={"Host": host})).status_code == 200


async def test_allowed_hosts_add_names(settings: Settings, services: Services, api_token: str) -> None:
    extra = replace(settings, allowed_hosts=("toolsmith.lan", "192.168.1.20:8000"))
    transport = httpx.ASGITransport(app=create_app(extra, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://toolsmith.lan", headers={"Authorization": f"Bearer {api_token}"}) as http:
        assert (await http.get("/api/apps")).status_code == 200
        assert (await http.get("/api/apps", headers={"Host": "192.168.1.20:8000"})).status_code == 200
        assert (await http.get("/api/apps", headers={"Host": "192.168.1.20:9000"})).status_code == 400


async def test_the_sandbox_answers_only_to_its_own_name(services: Services, tmp_path: Path) -> None:
    _, version = await services.store.create_app(title="t", prompt="p", model="demo", system_prompt_hash=None, html="<p>hi</p>", status="complete")
    signed = services.preview_url(version.sandbox_token)
    library = "/vendor/chart.js@4.6.1/dist/chart.umd.min.js"
    files = VendoredFiles(make_node_modules(tmp_path / "node_modules"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_sandbox_app(services, files)), base_url="http://127.0.0.1:8001") as sandbox:
        for address in (signed, library):
            assert (await sandbox.get(address)).status_code == 200
            refused = await sandbox.get(address, headers={"Host": "rebound.example:8001"})
            assert refused.status_code == 400 and f"sandbox {APP_SANDBOX}" in refused.headers["content-security-policy"]
            assert "chart.js" not in refused.text


def test_host_parsing() -> None:
    allowed = hosts_of(["http://localhost:8000", "https://tools.example.com"], ["[::1]:8000", "lan-box"])
    assert host_allowed("localhost:8000", allowed) and host_allowed("tools.example.com", allowed) and host_allowed("tools.example.com:443", allowed)
    assert host_allowed("[::1]:8000", allowed) and host_allowed("lan-box:1234", allowed) and host_allowed("tools.example.com.", allowed)
    assert not host_allowed("[::1]:8001", allowed) and not host_allowed("example.com", allowed) and not host_allowed("", allowed)
    assert not host_allowed("localhost:8000@evil.example", allowed)


# ---- cookies and headers ------------------------------------------------------------------------


async def test_cookies_are_httponly_and_samesite_lax(settings: Settings, services: Services, user: UserRecord) -> None:
    transport = httpx.ASGITransport(app=create_app(settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as http:
        response = await http.get(f"/signin/{await services.accounts.create_signin_link(user.id)}")
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("toolsmith_session="))
    nonce = next(c for c in cookies if c.startswith("toolsmith_csrf="))
    for cookie in (session, nonce):
        flags = cookie.lower()
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
        assert "secure" not in flags, "plain http on localhost: a Secure cookie would never come back"
        assert "domain=" not in flags, "host-only: never sent to the sandbox host or a sibling domain"


async def test_over_https_cookies_are_secure_and_host_prefixed(settings: Settings) -> None:
    https = replace(settings, public_url="https://tools.example")
    services = await Services.open(https)
    try:
        user = await services.accounts.create_user("ada")
        transport = httpx.ASGITransport(app=create_app(https, services))
        async with httpx.AsyncClient(transport=transport, base_url="https://tools.example") as http:
            response = await http.get(f"/signin/{await services.accounts.create_signin_link(user.id)}")
            assert response.status_code == 303
            cookies = response.headers.get_list("set-cookie")
            session = next(c for c in cookies if "toolsmith_session" in c)
            assert session.startswith("__Host-toolsmith_session=") and "secure" in session.lower()
            assert "secure" in next(c for c in cookies if c.startswith("toolsmith_csrf=")).lower()
            assert (await http.get("/api/me")).json()["user"]["username"] == "ada"
    finally:
        await services.close()


async def test_our_pages_carry_security_headers_and_are_not_cached(settings: Settings, services: Services, user: UserRecord) -> None:
    async with browser_for(settings, services, user) as browser:
        for path in ("/", "/apps", "/account", "/login", "/api/apps"):
            response = await browser.get(path)
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["cache-control"] == "no-store", path
        assert (await browser.get("/static/style.css")).headers["cache-control"] == "no-cache"
