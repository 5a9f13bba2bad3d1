"""A bare ASGI app that answers every request with one stored response, under uvicorn configured as `toolsmith serve` configures the sandbox host.

    python bench/bare_app.py --port 9000 --response FILE   # FILE: JSON {"status", "headers": [[k, v]...], "body"}

bench/serving.py runs it as the yardstick for serving a stored version.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn


def make_app(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--response", type=Path, required=True)
    args = parser.parse_args()
    stored = json.loads(args.response.read_text())
    body = stored["body"].encode("utf-8")
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored["headers"]] + [(b"content-length", str(len(body)).encode())]
    app = make_app(stored["status"], headers, body)
    uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning", timeout_graceful_shutdown=3, lifespan="off")).run()


if __name__ == "__main__":
    main()
