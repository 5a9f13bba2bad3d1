"""Running an eval: every prompt of a suite through the normal generation path, for each model, then
its functional checks in the sandboxed frame by the same checker that checks every version."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from app.checks import Checks, Job
from app.errors import BadRequest, ChecksUnavailable, ToolsmithError
from app.evals.runs import EvalRuns
from app.evals.suite import Suite, SuitePrompt
from app.generation import Generator, ModelRegistry
from app.storage import Store, VersionRecord

log = logging.getLogger("toolsmith.evals")

MAX_MODELS = 10
MAX_REPEAT = 20
MAX_RUNS = 1_000
CHECK_WAIT = 1_800.0  # seconds an eval waits for a version's own check before running one itself

Progress = Callable[[dict[str, Any]], Awaitable[None]]


class Evals:
    """Starts eval runs, each a task of its own; their progress and results are in the database (EvalRuns)."""

    def __init__(self, store: Store, registry: ModelRegistry, generator: Generator, checks: Checks, *, parallel: int = 4) -> None:
        self.store = store
        self.parallel = max(1, parallel)  # runs of one eval under way at once (TOOLSMITH_EVAL_PARALLEL)
        self.registry = registry
        self.generator = generator
        self.checks = checks
        self.runs = EvalRuns(store.engine)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def check_request(self, suite: Suite, models: object, repeat: object) -> tuple[list[str], int]:
        """The models and repeat count of a run, checked before anything is made."""
        if not isinstance(models, list) or not models or len(models) > MAX_MODELS or not all(isinstance(m, str) and m.strip() for m in models):
            raise BadRequest(f"“models” must list 1 to {MAX_MODELS} model ids, such as [\"demo\"].")
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
            raise BadRequest(f"“repeat” must be a whole number from 1 to {MAX_REPEAT}.")
        chosen = list(dict.fromkeys(m.strip() for m in models))
        for model in chosen:
            self.registry.resolve(model)  # UnknownModel or MissingKey, with what to do
        if len(suite.prompts) * len(chosen) * repeat > MAX_RUNS:
            raise BadRequest(f"That is {len(suite.prompts) * len(chosen) * repeat} runs; one eval makes at most {MAX_RUNS}. Use fewer models or repeats.")
        if self.checks.executable is None:
            raise ChecksUnavailable("Evals check every page in Chromium, and there is none here: install Chromium (Debian: apt install chromium) or set TOOLSMITH_CHROMIUM.")
        return chosen, repeat

    async def start(self, suite: Suite, models: object, repeat: object, *, owner_id: str, progress: Progress | None = None) -> str:
        chosen, times = self.check_request(suite, models, repeat)
        eval_id = await self.runs.create(owner_id, suite.to_json(), chosen, times)
        self._tasks[eval_id] = asyncio.create_task(self._run(eval_id, suite, chosen, times, owner_id, progress), name=f"eval-{eval_id}")
        return eval_id

    async def wait(self, eval_id: str) -> None:
        if task := self._tasks.get(eval_id):
            await asyncio.shield(task)

    async def shutdown(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _run(self, eval_id: str, suite: Suite, models: list[str], repeat: int, owner_id: str, progress: Progress | None) -> None:
        # Several runs at once: a model's answer takes seconds to minutes, and a suite of twenty
        # prompts one after another would keep the person waiting for all of them in a row.
        # Results are written one at a time, as they come; the report lists them in the suite's order.
        slots = asyncio.Semaphore(self.parallel)
        writing = asyncio.Lock()

        async def one(prompt: SuitePrompt, model: str, attempt: int) -> None:
            async with slots:
                result = await self._one(eval_id, prompt, model, attempt, owner_id)
            async with writing:
                await self.runs.add_result(eval_id, result)
                if progress is not None:
                    await progress(result)

        try:
            async with asyncio.TaskGroup() as group:
                for model in models:
                    for prompt in suite.prompts:
                        for attempt in range(1, repeat + 1):
                            group.create_task(one(prompt, model, attempt))
            await self.runs.finish(eval_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("eval %s failed", eval_id)
            first = exc.exceptions[0] if isinstance(exc, ExceptionGroup) else exc
            await self.runs.finish(eval_id, f"The eval stopped: {first}")
        finally:
            self._tasks.pop(eval_id, None)

    async def _one(self, eval_id: str, prompt: SuitePrompt, model: str, attempt: int, owner_id: str) -> dict[str, Any]:
        result: dict[str, Any] = {"prompt_id": prompt.id, "model": model, "attempt": attempt, "passed": False, "expectations": [], "problems": []}
        try:
            # Out of the person's list from its first row: the run's report shows it.
            app, version = await self.generator.create_app(prompt.prompt, model, owner_id=owner_id, purpose="eval")
        except ToolsmithError as exc:
            result |= {"status": "failed", "error": exc.message}
            return result
        await self.store.mark_eval(app.id, eval_id)
        version = await self._finished(version)
        result |= {
            "app_id": app.id, "version": version.number, "status": version.status, "error": version.error,
            "input_tokens": version.input_tokens, "output_tokens": version.output_tokens, "duration_ms": version.duration_ms,
        }  # fmt: skip
        if not version.html:
            return result
        functional = await self.checks.run(Job(version.html, prompt.steps, prompt.expect, smoke=False))
        try:
            # The check every version gets, when checks are on: it may wait its turn behind others.
            generic = await self.checks.wait(version.id, timeout=CHECK_WAIT)
        except TimeoutError:
            generic = None
        if generic is None or generic.status not in ("passed", "problems"):
            # Checks of every version are off here: the eval runs the one it needs itself.
            await self.checks.records.record(version.id, await self.checks.run(Job(version.html)))
            generic = await self.checks.wait(version.id)
        seen = generic.problems if generic else []
        problems = list(seen) + [p.to_json() for p in functional.problems if p.to_json() not in seen]
        expectations = []
        for expectation in functional.expectations:
            if expectation["kind"] == "no_problems":
                expectation = {**expectation, "passed": not problems, "actual": f"{len(problems)} problems"}
            expectations.append(expectation)
        result |= {
            "passed": version.status == "complete" and all(e["passed"] for e in expectations),
            "expectations": expectations,
            "problems": problems,
            "check_ms": functional.duration_ms,
            "screenshot_url": f"/api/apps/{app.id}/versions/{version.number}/screenshot" if generic and generic.has_screenshot else None,
        }
        return result

    async def _finished(self, version: VersionRecord, timeout: float = 900.0) -> VersionRecord:
        async with asyncio.timeout(timeout):
            while version.status == "generating":
                await asyncio.sleep(0.2)
                version = await self.store.get_version_by_id(version.id)
        return version
