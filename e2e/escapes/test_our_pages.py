"""Our own pages under their own policy, and an app opened at its raw address, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from e2e.conftest import ToolsmithServer
from e2e.escapes.canary import Canary, resolutions_of_canary
from e2e.escapes.conftest import Chromium, Owner, PageServer, import_page
from sandbox.headers import APP_SANDBOX
from sandbox.top_level import SAVES_PATH, VIEW_PATH

APP = "<!DOCTYPE html><title>Counter</title><button id=b>0</button><script>b.onclick = () => b.textContent++</script>"


@pytest.fixture(scope="module")
def app(server: ToolsmithServer, owner: Owner) -> dict:
    return import_page(server, owner, APP, "Counter")


@pytest.fixture
def page(chromium: Chromium) -> Iterator[Page]:
    opened = chromium.context.new_page()
    yield opened
    opened.close()


def test_raw_address_opens_a_view_with_only_our_script_around_the_sandboxed_app(page: Page, app: dict) -> None:
    raw = app["version"]["preview_url"]
    page.goto(raw)
    assert page.url == raw and page.title() == "Counter · Toolsmith"
    # Only our scripts, from the sandbox host's /toolsmith/: the frame with its saved data, the save offer.
    scripts = page.locator("script")
    assert [scripts.nth(i).get_attribute("src") for i in range(scripts.count())] == [VIEW_PATH, SAVES_PATH]
    frame = page.locator("iframe")
    assert frame.get_attribute("sandbox") == APP_SANDBOX
    inner = page.frame_locator("iframe")
    inner.locator("#b").click()
    inner.locator("#b").click()
    assert inner.locator("#b").inner_text() == "2"
    app_frame = page.frames[1]
    assert app_frame.url == raw + "&framed=1"
    # An opaque origin: the app has no cookies, no storage, no hold on the page around it.
    assert app_frame.evaluate("origin") == "null"
    # (The runtime bridge may stand in an empty cookie jar for the one the sandbox denies.)
    assert app_frame.evaluate("() => { try { return document.cookie } catch (e) { return e.name } }") in ("", "SecurityError")
    assert app_frame.evaluate("() => { try { return parent.document.title } catch (e) { return e.name } }") == "SecurityError"


def _frame_violations(page: Page, urls: list[str], expected: int) -> list[str]:
    """Adds an iframe per URL to `page` (as injected markup would); returns the frame-src violations,
    once `expected` of them have come (a busy machine reports them late) and a moment after."""
    return page.evaluate(
        """async ([urls, expected]) => {
            const blocked = [];
            document.addEventListener("securitypolicyviolation", (e) => blocked.push(e.effectiveDirective + " " + e.blockedURI));
            for (const url of urls) {
                const frame = document.createElement("iframe");
                frame.src = url;
                document.body.append(frame);
            }
            for (let waited = 0; blocked.length < expected && waited < 10000; waited += 100) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            await new Promise((resolve) => setTimeout(resolve, 500));
            return blocked;
        }""",
        [urls, expected],
    )


def test_the_editor_frames_nothing_but_the_sandbox_host_app_pages(page: Page, server: ToolsmithServer, app: dict, canary: Canary) -> None:
    page.goto(server.url + app["editor_url"])
    page.get_by_test_id("preview-frame").wait_for()
    port = canary.port("editor-frames")
    others = [f"http://editor-frames.canary.test:{port}/", f"http://127.0.0.1:{port}/", server.url + "/", server.sandbox_url + "/vendor/x.js"]
    violations = _frame_violations(page, [*others, app["version"]["preview_url"]], len(others))
    # One violation for each but the app page (Chromium reports another origin's URL as its origin alone).
    assert len(violations) == len(others), violations
    for url in others:
        assert any(v.startswith("frame-src ") and url.startswith(v.removeprefix("frame-src ").rstrip("/")) for v in violations), (url, violations)
    assert canary.hits("editor-frames") == []


def test_the_editor_runs_no_injected_script_and_opens_no_connection(page: Page, server: ToolsmithServer, app: dict, canary: Canary, chromium: Chromium) -> None:
    page.goto(server.url + app["editor_url"])
    port = canary.port("editor-injected")
    host = f"editor-injected.canary.test:{port}"
    result = page.evaluate(
        """async ([host, port]) => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
            for (const rel of ["dns-prefetch", "preconnect"]) {
                const link = document.createElement("link");
                link.rel = rel;
                link.href = "http://" + rel + "." + host;
                document.head.append(link);
            }
            const pc = new RTCPeerConnection({ iceServers: [{ urls: "stun:" + host }, { urls: "turn:" + host + "?transport=tcp", username: "u", credential: "c" }] });
            pc.createDataChannel("x");
            await pc.setLocalDescription(await pc.createOffer());
            const fetched = await fetch("http://" + host + "/").then(() => "answered", (e) => e.name);
            await new Promise((resolve) => setTimeout(resolve, 500));
            return { injected: window.injected === true, fetched };
        }""",
        [host, port],
    )
    assert result == {"injected": False, "fetched": "TypeError"}
    assert canary.hits("editor-injected") == []
    assert [h for h in resolutions_of_canary(chromium.netlog) if h.endswith(f":{port}")] == []


def test_no_other_site_can_frame_our_pages(page: Page, server: ToolsmithServer, app: dict, page_server: PageServer) -> None:
    framing = f"<iframe src='{server.url}/'></iframe><iframe src='{server.url}{app['editor_url']}'></iframe>"
    page_server.pages["framing"] = (framing.encode(), {})
    page.goto(f"{page_server.url}/v/framing")
    page.wait_for_load_state("load")
    children = page.frames[1:]
    assert len(children) == 2
    for child in children:
        assert not child.url.startswith(server.url), f"{child.url} loaded inside another site"


def test_no_other_site_can_frame_an_app(page: Page, app: dict, page_server: PageServer) -> None:
    page_server.pages["framing-app"] = (f"<iframe src='{app['version']['preview_url']}'></iframe>".encode(), {})
    page.goto(f"{page_server.url}/v/framing-app")
    page.wait_for_load_state("load")
    assert page.frames[1].url != app["version"]["preview_url"]
