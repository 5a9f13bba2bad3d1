"""Eval runs in the database: made, added to as each run of a prompt finishes, read back by their owner."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.errors import NotFound
from app.evals.stats import summarize
from app.storage import evals, iso, new_id, utc

INTERRUPTED = "Toolsmith stopped before this eval finished; the runs so far are kept. Start it again to run the rest."


def in_suite_order(run: dict[str, Any]) -> list[dict[str, Any]]:
    """A run's results by model, then prompt as its suite lists them, then attempt. They are stored
    as they finish (several runs go at once: app.evals.service), which is what its stream follows."""
    model_at = {model: n for n, model in enumerate(run["models"])}
    prompt_at = {prompt["id"]: n for n, prompt in enumerate(run["prompts"])}
    return sorted(
        run["results"],
        key=lambda r: (model_at.get(str(r.get("model")), len(model_at)), prompt_at.get(str(r.get("prompt_id")), len(prompt_at)), r.get("attempt") or 0),
    )


def _json(row: Any, *, with_results: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": row.id,
        "suite_name": row.suite_name,
        "models": row.models,
        "repeat": row.repeat,
        "status": row.status,
        "total": row.total,
        "done": row.done,
        "error": row.error,
        "created_at": iso(utc(row.created_at)),
        "finished_at": iso(utc(row.finished_at)),
        "summary": summarize(row.results, row.models),
        "report_url": f"/evals/{row.id}",
        "stream_url": f"/api/evals/{row.id}/stream",
    }
    if with_results:
        data["results"] = row.results
        data["prompts"] = [{"id": p["id"], "prompt": p["prompt"]} for p in row.suite["prompts"]]
    return data


class EvalRuns:
    """The SQL of eval runs (the `evals` table of app.storage.schema)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, owner_id: str, suite: dict[str, Any], models: list[str], repeat: int) -> str:
        eval_id = new_id()
        total = len(suite["prompts"]) * len(models) * repeat
        async with self.engine.begin() as conn:
            await conn.execute(
                evals.insert().values(
                    id=eval_id, owner_id=owner_id, suite_name=suite["name"], suite=suite, models=models, repeat=repeat,
                    status="running", total=total, done=0, results=[], error=None, created_at=datetime.now(UTC), finished_at=None,
                )
            )  # fmt: skip
        return eval_id

    async def add_result(self, eval_id: str, result: dict[str, Any]) -> None:
        # One write at a time per eval (app.evals.service), so reading and writing back cannot lose one.
        async with self.engine.begin() as conn:
            results = await conn.scalar(sa.select(evals.c.results).where(evals.c.id == eval_id))
            await conn.execute(evals.update().where(evals.c.id == eval_id).values(results=[*(results or []), result], done=evals.c.done + 1))

    async def finish(self, eval_id: str, error: str | None = None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(evals.update().where(evals.c.id == eval_id).values(status="failed" if error else "finished", error=error, finished_at=datetime.now(UTC)))

    async def fail_interrupted(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(evals.update().where(evals.c.status == "running").values(status="failed", error=INTERRUPTED, finished_at=datetime.now(UTC)))

    async def get(self, eval_id: str, owner_id: str) -> dict[str, Any]:
        """The run, if `owner_id` started it; NotFound alike whether it is someone else's or does not exist."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(evals).where(evals.c.id == eval_id, evals.c.owner_id == owner_id))).first()
        if row is None:
            raise NotFound(f"You have no eval {eval_id[:40]!r}: the link may be mistyped, or the eval belongs to another account.")
        return _json(row)

    async def list(self, owner_id: str, limit: int = 100) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(evals).where(evals.c.owner_id == owner_id).order_by(evals.c.created_at.desc()).limit(limit))
            return [_json(row, with_results=False) for row in rows]
