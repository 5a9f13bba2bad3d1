"""The runtime bridge: where it goes into a page, what it is told, that every served page has it
and that a downloaded page has it told of no editor."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import httpx
import pytest

from app.services import Services
from app.versions.download import offline_page
from sandbox.bridge import bridge_code, bridge_tag, inject_bridge, insertion_point
from sandbox.cdn import rewrite_cdn_links
from sandbox.libraries import VendoredFiles
from sandbox.server import create_sandbox_app
from tests.bridge_corpus import CORPUS, Case
from tests.conftest import LiveServer
from tests.fakes.node_modules import make_node_modules

HOST = "http://localhost:8000"
_CALL = re.compile(r'\("(?P<origin>[^"]*)",(?P<line>\d+),(?P<column>\d+),(?P<length>\d+)\);</script>$')


def _arguments(tag: str) -> dict[str, str]:
    match = _CALL.search(tag)
    assert match, tag[-80:]
    return match.groupdict()


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_the_bridge_goes_first_and_changes_nothing_else(case: Case) -> None:
    assert insertion_point(case.html) == case.at
    injected = inject_bridge(case.html, HOST)
    tag = injected[case.at : len(injected) - (len(case.html) - case.at)]
    assert injected == case.html[: case.at] + tag + case.html[case.at :]
    assert tag.startswith("<script>") and tag.endswith("</script>")


def test_the_bridge_is_one_line_that_knows_its_place_and_length() -> None:
    html = "<!DOCTYPE html>\n<!-- é😀 -->\n<html><head><script>boom()</script>"
    injected = inject_bridge(html, HOST + "/some/path")
    tag = injected[injected.index("<script>") : injected.index("</script>") + len("</script>")]
    assert "\n" not in tag and "\r" not in tag
    assert _arguments(tag) == {
        "origin": "http://localhost:8000",
        "line": "3",
        "column": str(len("<html><head>")),
        "length": str(len(tag)),
    }
    assert injected.count("\n") == html.count("\n")


def test_columns_count_utf16_units_and_lines_count_any_line_break() -> None:
    # "😀" is two UTF-16 units, as the browser counts columns; \r and \r\n end lines as \n does.
    html = "<!DOCTYPE html>\r\n<!--\r😀--><html><head>x"
    arguments = _arguments(bridge_from(inject_bridge(html, HOST)))
    assert (arguments["line"], arguments["column"]) == ("3", str(2 + len("--><html><head>")))
    bom = "\ufeff<!DOCTYPE html><head>"
    assert _arguments(bridge_from(inject_bridge(bom, HOST)))["column"] == str(len("<!DOCTYPE html><head>"))


def bridge_from(page: str) -> str:
    start = page.index("<script>")
    return page[start : page.index("</script>", start) + len("</script>")]


def test_the_bridge_is_small_and_safe_to_inline() -> None:
    code = bridge_code()
    # Inlined into every page: it stands in for dialogs, saves and storage, and stays under 28 KB.
    assert len(bridge_tag(HOST)) < 28_000
    assert code.isascii()
    for text in ("</script", "<!--", "\n"):
        assert text not in code.lower()
    # A host origin cannot break out of the call's string, nor out of the script.
    assert '"http://a\\"b"' in bridge_tag('http://a"b')
    assert "</script>" not in bridge_tag("http://a</script>")[:-9]


def test_every_served_version_carries_the_bridge(live_server: LiveServer) -> None:
    page = "<!DOCTYPE html>\n<html><head><title>t</title></head><body><p id=marker>hi</p></body></html>"
    with httpx.Client(base_url=live_server.url, timeout=30, headers=live_server.headers) as http:
        imported = http.post("/api/import", json={"html": page}).json()
        version = http.get(f"/api/apps/{imported['app']['id']}/versions/1").json()["version"]
        served = httpx.get(version["preview_url"])
    assert served.status_code == 200
    assert served.text == inject_bridge(version["html"], live_server.url)
    assert f'("{live_server.url}",' in served.text


async def test_a_share_frame_carries_the_bridge_and_a_download_one_that_tells_nobody(client: httpx.AsyncClient, services: Services) -> None:
    page = "<!DOCTYPE html><html><head><title>Notes</title></head><body><p>hi</p></body></html>"
    app_id = (await client.post("/api/import", json={"html": page})).json()["app"]["id"]
    share = (await client.post(f"/api/apps/{app_id}/shares", json={})).json()["share"]
    shared = (await client.get(f"/api/shares/{share['token']}")).json()["shared"]
    transport = httpx.ASGITransport(app=create_sandbox_app(services))
    async with httpx.AsyncClient(transport=transport, base_url=services.settings.resolved_sandbox_url) as sandbox:
        framed = await sandbox.get(shared["frame_url"])
    # In the share view the bridge is what keeps apps that use localStorage from crashing.
    assert framed.status_code == 200
    assert framed.text == inject_bridge(page, services.settings.resolved_public_url)
    # A downloaded file has no editor to talk to: its frame gets the bridge for the storage
    # stand-ins alone, told of no origin to report to.
    for path in (f"/api/apps/{app_id}/versions/1/download", f"/s/{share['token']}/download"):
        downloaded = await client.get(path)
        app = offline_page(page, services.vendored)
        assert downloaded.status_code == 200 and f'srcdoc="{escape(app)}"' in downloaded.text
        assert "<p>hi</p>" in app and bridge_code() in app and re.search(r"\(null,1,\d+,\d+\);</script>", app)
        assert HOST not in app and services.settings.resolved_public_url not in app


async def test_cdn_links_are_rewritten_and_the_bridge_stays_first(services: Services, tmp_path: Path) -> None:
    files = VendoredFiles(make_node_modules(tmp_path / "node_modules"))
    page = '<!DOCTYPE html><html><head><script src="https://cdn.jsdelivr.net/npm/chart.js@4"></script></head><body></body></html>'
    _, version = await services.store.create_app(title="t", prompt="p", model="import", system_prompt_hash=None, html=page, status="complete")
    transport = httpx.ASGITransport(app=create_sandbox_app(services, files))
    async with httpx.AsyncClient(transport=transport, base_url=services.settings.resolved_sandbox_url) as sandbox:
        served = (await sandbox.get(services.preview_url(version.sandbox_token))).text
    rewritten = rewrite_cdn_links(page, files)
    assert "/vendor/chart.js@" in rewritten
    assert served == inject_bridge(rewritten, services.settings.resolved_public_url)
    assert served.index("toolsmith-bridge") < served.index("/vendor/chart.js@")
