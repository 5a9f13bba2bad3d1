"""`toolsmith users add|link` print sign-in links at the address of the running server, whatever its port."""

from __future__ import annotations

import subprocess
import sys

from e2e.conftest import ROOT


def test_a_sign_in_link_names_the_port_the_server_runs_on(toolsmith_server) -> None:
    server = toolsmith_server()
    env = {key: value for key, value in server._env.items() if key != "TOOLSMITH_PUBLIC_URL"}
    for args in (("users", "link", "owner"), ("users", "add", "grace", "--no-password")):
        result = subprocess.run([sys.executable, "-m", "app", *args, "--database-url", server.db_url], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
        assert f"{server.url}/signin/" in result.stdout, result.stdout
        assert server.port != 8000
