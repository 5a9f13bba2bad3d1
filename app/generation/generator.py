"""One generation, from prompt to saved version.

The caller owns the run: this module checks the request, saves the prompt
(for a new app run here, while the model is asked: nothing of the answer is kept or
shown before the prompt is), streams the answer to `app.generation.live`, has it read
(`app.generation.answers`) and records how it ended. Providers only stream; routes only
call in here.

One version may take more than one request to the model:
- an answer cut off by the token limit is continued, up to
  `max_continuations` times, and the parts are stitched (app/continuation.py);
  if it still is not finished, the version is kept as incomplete;
- a follow-up answered in edit blocks (app/edits.py) that do not fit the page
  gets one more request, for the whole page (app/prompting.py).
The version records which path made its page (`page`, `edits`,
`edits_then_page`, `edits_retried`), how many edits, the continuations, and
the tokens of all its requests together.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from app.errors import BadRequest, BeyondTheDemo, Conflict, InvalidPrompt, NotFound, ProviderError, QueueUnavailable, ToolsmithError
from app.generation.answers import Answer, Refused, read_answer, read_retry
from app.generation.continuation import Stitcher
from app.generation.extract import partial_page
from app.generation.fixes import check_errors, describe_errors, fix_title
from app.generation.live import LiveRun, LiveRuns
from app.generation.models import ModelRegistry
from app.generation.prompting import build_messages, continuation, fix_request, follow_up_system_prompt, recorded_hash, retry_after_edits, system_prompt
from app.generation.providers.base import Message, Provider, Request, Usage
from app.generation.queue import GenerationQueue, Payload
from app.generation.selection import check_selection, describe_selection
from app.settings import Settings
from app.storage import AppRecord, Leases, Store, VersionRecord, as_number

log = logging.getLogger("toolsmith.generation")

STOPPED = "You stopped this version before it finished; what was written so far is kept and may be unfinished. Continue it, or send a new prompt."
_TURN_SECONDS = 0.001  # the longest a run reads its model's answer before others on the event loop get a turn
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def title_from_prompt(prompt: str, limit: int = 60) -> str:
    text = " ".join(prompt.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return text[:1].upper() + text[1:]


def title_of_page(html: str) -> str | None:
    match = _TITLE_TAG.search(html)
    title = " ".join(unescape(match.group(1)).split()) if match else ""
    return title[:200] or None


async def _rows_written(written: asyncio.Future[None] | None) -> bool:
    """Whether a run's version row exists, once its write (if it was still under way) has settled."""
    if written is None:
        return True
    try:
        await asyncio.shield(written)
    except BaseException:  # the write failed or was cancelled: its caller has the error
        return False
    return True


async def _pass(gate: asyncio.Future[None]) -> None:
    """Waits for `gate`; a gate that failed (rows not written) ends the run, which its caller cancels."""
    if not gate.done():
        await asyncio.wait({gate})  # not the gate's own error: the caller that wrote it has that one
    if gate.cancelled() or gate.exception() is not None:
        raise asyncio.CancelledError


@dataclass(frozen=True)
class Job:
    """Everything one version's run needs."""

    version: VersionRecord
    provider: Provider
    model_name: str
    system: str
    messages: list[Message]
    base_html: str | None  # the page being changed; None for a first prompt
    edits: bool  # the model was told it may answer in edit blocks
    prefix: str = ""  # the cut-off answer this run continues

    def payload(self) -> Payload:
        """The job as the queue carries it; the worker finds the provider again from the version's model."""
        return {
            "version_id": self.version.id,
            "system": self.system,
            "messages": [[m.role, m.content] for m in self.messages],
            "base_html": self.base_html,
            "edits": self.edits,
            "prefix": self.prefix,
        }


@dataclass
class Spent:
    """What every request of one version cost, added up."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    continuations: int = 0

    def add(self, usage: Usage) -> None:
        if usage.input_tokens is not None:
            self.input_tokens = (self.input_tokens or 0) + usage.input_tokens
        if usage.output_tokens is not None:
            self.output_tokens = (self.output_tokens or 0) + usage.output_tokens
        self.stop_reason = usage.stop_reason


class Generator:
    """Starts generations and imports, and records their outcome."""

    def __init__(self, settings: Settings, store: Store, registry: ModelRegistry, live: LiveRuns, queue: GenerationQueue | None = None, leases: Leases | None = None) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.live = live
        # With a queue, runs go to whichever worker is free (app.generation.workers); without, they run here.
        self.queue = queue
        self.leases = leases
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def _answer_limit(self) -> int:
        """An answer is a page and some prose: one far longer than the largest page kept is a runaway."""
        return 2 * self.settings.max_html_bytes

    def _check_prompt(self, prompt: object, *, required: bool = True) -> str:
        if not required and (prompt is None or (isinstance(prompt, str) and not prompt.strip())):
            return ""
        if prompt is not None and not isinstance(prompt, str):
            raise InvalidPrompt("“prompt” must be a string: the words that describe the tool, for example {\"prompt\": \"a tip calculator\"}.")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InvalidPrompt("The prompt is empty: describe the tool you want, for example “a tip calculator that splits the bill”.")
        prompt = prompt.strip()
        limit = self.settings.max_prompt_chars
        if len(prompt) > limit:
            raise InvalidPrompt(f"The prompt is {len(prompt):,} characters long; the limit is {limit:,}. Shorten it and send it again.")
        return prompt

    def _model_id(self, model: object) -> str:
        if model is None or model == "":
            return self.settings.resolved_default_model
        if not isinstance(model, str):
            raise BadRequest("“model” must be a string such as “anthropic:claude-sonnet-5-5” or “demo”.")
        return model.strip()

    async def create_app(self, prompt: object, model: object = None, *, owner_id: str, purpose: str = "own") -> tuple[AppRecord, VersionRecord]:
        """A new app of `owner_id` whose version 1 is being generated from `prompt`; `purpose` as
        `app.storage.PURPOSES` (an arena side is kept out of the person's list)."""
        text = self._check_prompt(prompt)
        model_id = self._model_id(model)
        provider, model_name = self.registry.resolve(model_id)
        system = system_prompt()
        app, version = self.store.plan_app(title=title_from_prompt(text), prompt=text, model=model_id, system_prompt_hash=system.hash, owner_id=owner_id, purpose=purpose)
        job = Job(version, provider, model_name, system.text, build_messages([], None, text), None, False)
        if self.queue is not None:  # another worker may take it: the rows come first
            await self.store.insert_app(app, version)
            await self._launch(job)
            return app, version
        # Run here, the model is asked while the prompt is written, so the person waits for one of
        # the two, not both. Nothing the model sends is recorded before the rows are, and no one can
        # follow the run before this returns its id; rows that cannot be written cancel the call.
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = self._start(job, written)
        try:
            await self.store.insert_app(app, version)
        except BaseException as exc:
            written.set_exception(exc)
            task.cancel()
            raise
        written.set_result(None)
        return app, version

    async def follow_up(
        self,
        app_id: str,
        prompt: object,
        model: object = None,
        parent: object = None,
        *,
        errors: object = None,
        automatic: object = None,
        selection: object = None,
    ) -> VersionRecord:
        """A new version of an app: the parent version's page changed as `prompt` asks.

        With `errors` it is a fix: the runtime errors the page reported go to the
        model (`prompt`, optional, adds the person's words). `automatic` marks a
        fix the editor asked for by itself, refused past the configured number in
        a row. `selection` scopes the request to lines of the page or an element.
        """
        fixing = errors is not None
        text = self._check_prompt(prompt, required=not fixing)
        model_id = self._model_id(model)
        provider, model_name = self.registry.resolve(model_id)
        by_number = await self._versions_when_idle(app_id)
        base = self._parent(by_number, parent)
        request = stored = text
        page_errors = None
        if fixing:
            if base is None or base.html is None:
                raise BadRequest("This app has no page yet, so there is nothing to fix: send a prompt instead.")
            page_errors = check_errors(errors)
            request = fix_request(describe_errors(page_errors, base.html), text or None)
            stored = fix_title(page_errors, text or None)
        is_automatic = self._check_automatic(automatic, fixing, base, by_number)
        scope = check_selection(selection, base.html if base else None)
        edits = self.settings.edits and base is not None
        system = follow_up_system_prompt(edits=edits)
        base_html = base.html if base else None
        described = describe_selection(scope, base_html) if scope and base_html else None
        messages = build_messages(self._history(base, by_number), base_html, request, edits=edits, scope=described)
        declines = getattr(provider, "declines", None)  # the offline demo says up front what it cannot do
        if declines is not None and (reason := declines(messages, fixing=fixing)):
            raise BeyondTheDemo(reason)
        version = await self.store.create_version(
            app_id,
            parent_number=base.number if base else None,
            prompt=stored,
            model=model_id,
            system_prompt_hash=recorded_hash(system, fix=fixing),
            kind="fix" if fixing else "follow_up" if base else "create",
            runtime_errors=[e.to_json() for e in page_errors] if page_errors else None,
            automatic=is_automatic,
            selection=scope,
        )
        await self._launch(Job(version, provider, model_name, system.text, messages, base_html, edits))
        return version

    async def continue_version(self, app_id: str, number: int, model: object = None) -> VersionRecord:
        """A new version that goes on with the answer of an unfinished one (cut off by the token limit, or stopped)."""
        by_number = await self._versions_when_idle(app_id)
        target = by_number.get(number)
        if target is None:
            raise NotFound(f"App {app_id!r} has no version {number}.")
        if target.status not in ("incomplete", "stopped") or not target.answer:
            raise BadRequest(f"Version {number} was not cut off or stopped: only an unfinished version can be continued.")
        model_id = self._model_id(model if model not in (None, "") else target.model)
        provider, model_name = self.registry.resolve(model_id)
        original = target
        while original.kind == "continue" and original.parent_number in by_number:
            original = by_number[original.parent_number]
        base = by_number.get(original.parent_number) if original.parent_number else None
        base_html = base.html if base else None
        request = original.prompt
        if original.kind == "fix" and original.runtime_errors and base_html:
            errors = check_errors(original.runtime_errors)
            note = original.prompt.split("\n\n", 1)[1] if "\n\n" in original.prompt else None
            request = fix_request(describe_errors(errors, base_html), note)
        edits = self.settings.edits and base_html is not None
        system = follow_up_system_prompt(edits=edits) if base_html is not None else system_prompt()
        version = await self.store.create_version(
            app_id,
            parent_number=target.number,
            prompt=f"Continue v{target.number}, which {'you stopped' if target.status == 'stopped' else 'the token limit cut off'}",
            model=model_id,
            system_prompt_hash=recorded_hash(system, fix=original.kind == "fix"),
            kind="continue",
        )
        scope = describe_selection(original.selection, base_html) if original.selection and base_html else None
        messages = build_messages(self._history(base, by_number), base_html, request, edits=edits, scope=scope)
        await self._launch(Job(version, provider, model_name, system.text, messages, base_html, edits, prefix=target.answer))
        return version

    async def stop(self, app_id: str, number: int) -> VersionRecord:
        """Stops the version being written: it keeps its prompt and what was written so far, as `stopped`.

        The request goes through `LiveRuns`, which tells the writer of the run; every
        follower of its stream hears the end at once. A version left generating with
        no run anywhere (its server went away) is recorded as stopped here.
        """
        version = await self.store.get_version(app_id, number)
        if version.status != "generating":
            raise Conflict(f"Version {number} is not being written (it is {version.status}): there is nothing to stop.")
        if await self.live.request_stop(version.id):
            return await self.store.get_version_by_id(version.id)
        now = await self.store.get_version_by_id(version.id)
        if now.status != "generating":
            return now  # it finished just before the request
        return await self.store.finish_version(version.id, status="stopped", error=STOPPED)

    async def stop_all(self, app_id: str) -> None:
        """Stops every version of the app being written (before the app is deleted)."""
        for version in await self.store.list_versions(app_id):
            if version.status == "generating":
                await self.stop(app_id, version.number)

    async def _versions_when_idle(self, app_id: str) -> dict[int, VersionRecord]:
        await self.store.get_app(app_id)
        existing = await self.store.list_versions(app_id)
        if any(v.status == "generating" for v in existing):
            raise Conflict("A version of this app is still being written: wait for it to finish, then send your follow-up.")
        return {v.number: v for v in existing}

    @staticmethod
    def _history(base: VersionRecord | None, by_number: dict[int, VersionRecord]) -> list[str]:
        """The requests that shaped `base`, oldest first; restores and continuations asked for nothing new."""
        history = []
        version = base
        while version is not None:
            if version.kind == "hand_edit":
                history.append("(The person edited the code by hand.)")
            elif version.kind not in ("restore", "continue"):
                history.append(version.prompt)
            version = by_number.get(version.parent_number) if version.parent_number else None
        history.reverse()
        return history

    def _check_automatic(self, automatic: object, fixing: bool, base: VersionRecord | None, by_number: dict[int, VersionRecord]) -> bool:
        if automatic is None or automatic is False:
            return False
        if automatic is not True:
            raise BadRequest("“automatic” must be true or false.")
        if not fixing:
            raise BadRequest("Only a fix (a request with “errors”) can be automatic.")
        limit = self.settings.auto_fix_attempts
        if limit == 0:
            raise BadRequest("Automatic fixes are off: set TOOLSMITH_AUTO_FIX_ATTEMPTS to allow them, or ask for the fix yourself.")
        in_a_row = 0
        version = base
        while version is not None and version.kind == "fix" and version.automatic:
            in_a_row += 1
            version = by_number.get(version.parent_number) if version.parent_number else None
        if in_a_row >= limit:
            raise Conflict(
                f"Toolsmith already made {in_a_row} automatic fix{'es' if in_a_row != 1 else ''} in a row, the limit "
                "(TOOLSMITH_AUTO_FIX_ATTEMPTS): look at the errors, then ask for a fix yourself."
            )
        return True

    def _parent(self, by_number: dict[int, VersionRecord], parent: object) -> VersionRecord | None:
        """The version to change; None when the app has no page yet (its first answer failed)."""
        if parent is None or parent == "":
            with_page = [v for v in by_number.values() if v.html]
            return max(with_page, key=lambda v: v.number) if with_page else None
        number = as_number(parent)
        if number is None:
            raise BadRequest("“parent” must be a version number.")
        base = by_number.get(number)
        if base is None:
            raise BadRequest(f"This app has no version {parent} to build on.")
        if not base.html:
            raise BadRequest(f"Version {parent} has no page to change (it failed): pick another version.")
        return base

    # ---- running -------------------------------------------------------------------------

    async def _launch(self, job: Job) -> None:
        if self.queue is None or self.leases is None:
            self._start(job)
            return
        try:
            await self.leases.queued(job.version.id, until=datetime.now(UTC) + timedelta(seconds=self.settings.queue_timeout))
            await self.queue.put(job.version.id, job.payload())
        except Exception as exc:
            log.exception("could not queue version %s", job.version.id)
            message = "Toolsmith could not hand this version to a worker (its queue is unreachable). Try again in a moment; if it keeps happening, check that Redis is running."
            await self.store.finish_version(job.version.id, status="failed", error=message)
            raise QueueUnavailable(message) from exc

    def _start(self, job: Job, written: asyncio.Future[None] | None = None) -> asyncio.Task[None]:
        """Runs `job` here; `written`, when its rows are still being written, settles once they are."""
        run = self.live.start(job.version.id, base_html=job.base_html if job.edits else None)
        run.publish("status", {"status": "generating"})
        task = asyncio.create_task(self._run(job, run, written))
        run.on_stop(task.cancel)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def run_queued(self, payload: Payload) -> None:
        """Run a version taken off the queue, in this process, until it ends."""
        version = await self.store.get_version_by_id(str(payload["version_id"]))
        try:
            provider, model_name = self.registry.resolve(version.model)
        except ToolsmithError as exc:  # this worker lacks a key or an endpoint the accepting one had
            run = self.live.start(version.id)
            await self._finish(version, run, Spent(), time.monotonic(), {"status": "failed", "error": exc.message})
            return
        messages = [Message(role, content) for role, content in payload["messages"]]
        job = Job(version, provider, model_name, str(payload["system"]), messages, payload["base_html"], bool(payload["edits"]), str(payload["prefix"]))
        await self._start(job)

    async def _run(self, job: Job, run: LiveRun, written: asyncio.Future[None] | None = None) -> None:
        started = time.monotonic()
        spent = Spent()
        fields: dict[str, Any]
        try:
            # A model that keeps sending, however slowly, never trips the provider's timeout of silence.
            async with asyncio.timeout(self.settings.generation_timeout):
                answer = await self._ask(run, job, job.messages, spent, prefix=job.prefix, gate=written)
                read = read_answer(answer, job.base_html, edits=job.edits)
                if isinstance(read, Refused):
                    assert job.base_html is not None  # only edit blocks are refused, and they are read against a page
                    run.publish("phase", {"phase": "retry", "message": "The edits did not fit the page: asking for the whole page…"})
                    retry = await self._ask(run, job, retry_after_edits(job.messages, answer.text, read.problems), spent)
                    read = read_retry(retry, job.base_html, read.problems)
            fields = read
        except TimeoutError:
            limit = self.settings.generation_timeout
            fields = {"status": "failed", "error": f"The model was still writing after {limit:g} seconds, the limit for one version (TOOLSMITH_GENERATION_TIMEOUT): ask for a smaller change, or try again."}
        except ProviderError as exc:
            fields = {"status": "failed", "error": exc.message}
        except asyncio.CancelledError:
            if not await _rows_written(written):
                self.live.retire(job.version.id)
                raise
            if not run.stop_requested:
                await self._finish(job.version, run, spent, started, {"status": "failed", "error": "Toolsmith stopped before this answer finished. Send the prompt again."})
                raise
            fields = self._stopped(job, run)
        except Exception:
            log.exception("generation of version %s failed", job.version.id)
            fields = {"status": "failed", "error": "Something went wrong on Toolsmith's side while writing this version. Try again; if it keeps happening, check the server log."}
        if not await _rows_written(written):  # the call is being cancelled: there is no row to record in
            self.live.retire(job.version.id)
            return
        # Shielded: a stop that arrives now must not lose the outcome being recorded.
        await asyncio.shield(self._record(job, run, spent, started, fields))

    async def _record(self, job: Job, run: LiveRun, spent: Spent, started: float, fields: dict[str, Any]) -> None:
        html = fields.get("html")
        page_title = title_of_page(html) if isinstance(html, str) else None
        await self._finish(job.version, run, spent, started, fields, page_title if page_title != title_of_page(job.base_html or "") else None)

    @staticmethod
    def _stopped(job: Job, run: LiveRun) -> dict[str, Any]:
        """A stopped version: its answer so far, and the page as far as it was written (the preview's page)."""
        html = partial_page(run.answer, job.base_html if job.edits else None)
        fields: dict[str, Any] = {"status": "stopped", "error": STOPPED, "answer": run.text}
        if html and html != job.base_html:
            fields["html"] = html
        return fields

    async def _ask(self, run: LiveRun, job: Job, messages: Sequence[Message], spent: Spent, prefix: str = "", gate: asyncio.Future[None] | None = None) -> Answer:
        """One answer, continued while the token limit cuts it off (up to the configured number of times).

        With `gate` (the version's rows, still being written), the first chunk waits for it: the
        request is out and the model is thinking meanwhile, but nothing is read on before the row exists.
        """
        parts = [prefix]  # joined only when the whole answer is needed, not per chunk
        size = len(prefix)  # kept as a count, so the limit below costs nothing per chunk
        if prefix:
            run.publish("delta", {"text": prefix})
        asking = continuation(messages, prefix) if prefix else list(messages)
        stitcher = Stitcher(prefix) if prefix else None
        if prefix:
            spent.continuations += 1
        automatic = 0
        turn = time.monotonic()
        while True:
            request = Request(model=job.model_name, system=job.system, messages=asking, max_tokens=self.settings.max_output_tokens)
            usage = Usage()
            async for item in job.provider.stream(request):
                # Chunks already received are read without waiting: an answer that arrives in a burst
                # would be read to its end before its followers send a byte. Let them run now and then.
                if (now := time.monotonic()) - turn > _TURN_SECONDS:
                    await asyncio.sleep(0)
                    turn = now
                if isinstance(item, Usage):
                    usage = item
                elif item:
                    if gate is not None:
                        await _pass(gate)
                        gate = None
                    piece = stitcher.feed(item) if stitcher else item
                    if piece:
                        parts.append(piece)
                        size += len(piece)
                        run.publish("delta", {"text": piece})
                    if size > self._answer_limit:
                        raise ProviderError(
                            f"The answer grew past {self._answer_limit:,} characters, more than any page Toolsmith keeps "
                            "(twice TOOLSMITH_MAX_HTML_BYTES): ask for a smaller tool, or pick another model."
                        )
            if stitcher and (piece := stitcher.finish()):
                parts.append(piece)
                run.publish("delta", {"text": piece})
            spent.add(usage)
            text = "".join(parts)
            parts = [text]
            if usage.stop_reason != "max_tokens":
                return Answer(text, cut_off=False)
            if automatic >= self.settings.max_continuations:
                return Answer(text, cut_off=True)
            automatic += 1
            spent.continuations += 1
            run.publish("phase", {"phase": "continue", "message": f"The answer was cut off: asking the model to continue ({automatic} of {self.settings.max_continuations})…"})
            asking = continuation(messages, text)
            stitcher = Stitcher(text)

    async def _finish(self, version: VersionRecord, run: LiveRun, spent: Spent, started: float, fields: dict[str, Any], page_title: str | None = None) -> VersionRecord:
        fields = dict(fields)
        answer = fields.pop("answer", None) or run.text
        try:
            finished = await self.store.finish_version(
                version.id,
                answer=answer,
                input_tokens=spent.input_tokens,
                output_tokens=spent.output_tokens,
                stop_reason=spent.stop_reason,
                duration_ms=int((time.monotonic() - started) * 1000),
                continuations=spent.continuations,
                page_title=page_title,
                **fields,
            )
        finally:
            run.publish("finished", {"status": fields["status"]})
            self.live.retire(version.id)
        return finished

    async def shutdown(self) -> None:
        """Stop runs under way; each records itself as failed with its prompt kept."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
