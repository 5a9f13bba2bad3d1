"""An app with 10,000 versions against one with 10: the API and the editor page, as ratios.

    python bench/many_versions.py        # from the repository root; about half a minute

Both apps live in one fresh SQLite file and are read through the ASGI app in this process, so the
ratio compares the same path at two sizes; docs/reliability.md keeps the last result.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from app.services import Services
from app.settings import Settings
from app.storage import AppRecord, new_id
from app.web import create_app

PAGE = "<!DOCTYPE html><title>Counter</title>" + "<p>line</p>\n" * 200


async def app_with(services: Services, owner_id: str, count: int) -> str:
    now = datetime.now(UTC)
    history = [
        {"number": n, "parent_number": n - 1 if n > 1 else None, "prompt": f"change {n}", "model": "demo", "system_prompt_hash": None,
         "html": PAGE + f"<!-- {n} -->", "answer": None, "notes": None, "input_tokens": 1, "output_tokens": 1, "duration_ms": 1,
         "stop_reason": "end", "status": "complete", "error": None, "created_at": now, "finished_at": now, "kind": "follow_up" if n > 1 else "create"}
        for n in range(1, count + 1)
    ]
    app = AppRecord(new_id(), f"{count} versions", now, now, owner_id)
    await services.store.restore_app(app, history)
    return app.id


async def timed(http: httpx.AsyncClient, path: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = await http.get(path)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, (path, answer.status_code)
    return statistics.median(times)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), demo_delay=0.0)
        services = await Services.open(settings)
        try:
            user = await services.accounts.create_user("bench")
            _, secret = await services.accounts.create_token(user.id, "bench")
            small, large = await app_with(services, user.id, 10), await app_with(services, user.id, 10_000)
            transport = httpx.ASGITransport(app=create_app(settings, services))
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", headers={"Authorization": f"Bearer {secret}"}) as http:
                print(f"{'what':<44} {'10 versions':>12} {'10,000':>12} {'ratio':>8}")
                for label, path in (
                    ("GET /api/apps/{id}", "/api/apps/{id}"),
                    ("GET /api/apps/{id}/versions/{newest}", "/api/apps/{id}/versions/{n}"),
                    ("GET /api/apps (list)", "/api/apps"),
                    ("editor page /apps/{id}", "/apps/{id}"),
                ):
                    a = await timed(http, path.format(id=small, n=10))
                    b = await timed(http, path.format(id=large, n=10_000))
                    print(f"{label:<44} {a * 1000:>10.1f}ms {b * 1000:>10.1f}ms {b / a:>7.1f}x")
        finally:
            await services.close()


if __name__ == "__main__":
    asyncio.run(main())
