"""The README's first command: `scripts/serve` sets itself up and starts Toolsmith with no
configuration. It keeps apps in the SQLite file of the data folder, uses the offline demo model
(labelled as such) when no API key is set, and prints a link that signs the first person in."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.conftest import ROOT, ToolsmithServer, server_env

# The first start may install the dependencies into .venv (they are there once the tests run).
SET_UP_S = 300


def test_scripts_serve_starts_with_no_configuration(page: Page, tmp_path: Path) -> None:
    # Set: only where the data folder is, so the run leaves nothing in the checkout.
    data = tmp_path / "data"
    server = ToolsmithServer(tmp_path / "server", server_env(TOOLSMITH_DATA_DIR=str(data)), serve=(str(ROOT / "scripts" / "serve"),), own_database=False, start_timeout=SET_UP_S)
    server.start()
    try:
        server.sign_in(page)
        expect(page.get_by_test_id("account-link")).to_have_text("owner")
        expect(page.get_by_text("offline demo model", exact=False).first).to_be_visible()
        expect(page.get_by_test_id("model-select").locator("option:checked")).to_have_text("Offline demo (not an LLM)")
        assert (data / "toolsmith.db").is_file()
    finally:
        server.stop()
