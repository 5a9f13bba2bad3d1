"""One generation, from prompt to saved version.

The caller owns the run: this module checks the request, saves the prompt
before the model is called, streams the answer to `app.live`, extracts the page
and records how it ended. Providers only stream; routes only call in here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from html import unescape

from app.errors import BadRequest, Conflict, InvalidHTML, InvalidPrompt, ProviderError
from app.extract import extract_page
from app.live import LiveRuns
from app.models import ModelRegistry
from app.prompting import build_messages, system_prompt
from app.providers.base import Provider, Request, Usage
from app.settings import Settings
from app.store import AppRecord, Store, VersionRecord

log = logging.getLogger("toolsmith.generation")

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


class Generator:
    """Starts generations and imports, and records their outcome."""

    def __init__(self, settings: Settings, store: Store, registry: ModelRegistry, live: LiveRuns) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.live = live
        self._tasks: set[asyncio.Task[None]] = set()

    def _check_prompt(self, prompt: object) -> str:
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

    async def create_app(self, prompt: object, model: object = None, *, owner_id: str) -> tuple[AppRecord, VersionRecord]:
        """A new app of `owner_id` whose version 1 is being generated from `prompt`."""
        text = self._check_prompt(prompt)
        model_id = self._model_id(model)
        provider, model_name = self.registry.resolve(model_id)
        system = system_prompt()
        app, version = await self.store.create_app(title=title_from_prompt(text), prompt=text, model=model_id, system_prompt_hash=system.hash, owner_id=owner_id)
        self._launch(version, provider, model_name, build_messages([], None, text), rename_app=True)
        return app, version

    async def follow_up(self, app_id: str, prompt: object, model: object = None, parent: object = None) -> VersionRecord:
        """A new version of an app: the parent version's page changed as `prompt` asks."""
        text = self._check_prompt(prompt)
        model_id = self._model_id(model)
        provider, model_name = self.registry.resolve(model_id)
        await self.store.get_app(app_id)
        existing = await self.store.list_versions(app_id)
        if any(v.status == "generating" for v in existing):
            raise Conflict("A version of this app is still being written: wait for it to finish, then send your follow-up.")
        by_number = {v.number: v for v in existing}
        base = self._parent(by_number, parent)
        history = []
        ancestor: VersionRecord | None = base
        while ancestor is not None:
            history.append(ancestor.prompt)
            ancestor = by_number.get(ancestor.parent_number) if ancestor.parent_number else None
        history.reverse()
        system = system_prompt()
        version = await self.store.create_version(
            app_id, parent_number=base.number if base else None, prompt=text, model=model_id, system_prompt_hash=system.hash
        )
        messages = build_messages(history, base.html if base else None, text)
        self._launch(version, provider, model_name, messages, rename_app=base is None)
        return version

    def _parent(self, by_number: dict[int, VersionRecord], parent: object) -> VersionRecord | None:
        """The version to change; None when the app has no page yet (its first answer failed)."""
        if parent is None or parent == "":
            with_page = [v for v in by_number.values() if v.html]
            return max(with_page, key=lambda v: v.number) if with_page else None
        if isinstance(parent, bool) or not isinstance(parent, int | str) or not str(parent).isdigit():
            raise BadRequest("“parent” must be a version number.")
        base = by_number.get(int(parent))
        if base is None:
            raise BadRequest(f"This app has no version {parent} to build on.")
        if not base.html:
            raise BadRequest(f"Version {parent} has no page to change (it failed): pick another version.")
        return base

    async def import_page(self, html: object, title: object = None, *, owner_id: str) -> tuple[AppRecord, VersionRecord]:
        """A new app of `owner_id` whose version 1 is an existing HTML page."""
        if not isinstance(html, str) or not html.strip():
            raise InvalidHTML("The page is empty: paste or upload an HTML document.")
        size = len(html.encode("utf-8"))
        if size > self.settings.max_html_bytes:
            raise InvalidHTML(f"The page is {size:,} bytes; the limit is {self.settings.max_html_bytes:,}. Import a smaller page.")
        if title is not None and not isinstance(title, str):
            raise BadRequest("“title” must be a string.")
        page = extract_page(html).html
        if page is None:  # a fragment with no fence or doctype
            page = "<!DOCTYPE html>\n" + html.strip()
        name = (title or "").strip() or title_of_page(page) or "Imported page"
        return await self.store.create_app(title=name, prompt=f"Imported “{name}”", model="import", system_prompt_hash=None, html=page, status="complete", owner_id=owner_id)

    def _launch(self, version: VersionRecord, provider: Provider, model_name: str, messages: list, *, rename_app: bool) -> None:
        request = Request(model=model_name, system=system_prompt().text, messages=messages, max_tokens=self.settings.max_output_tokens)
        run = self.live.start(version.id)
        run.publish("status", {"status": "generating"})
        task = asyncio.create_task(self._run(version, provider, request, rename_app))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, version: VersionRecord, provider: Provider, request: Request, rename_app: bool) -> None:
        run = self.live.get(version.id)
        assert run is not None
        started = time.monotonic()
        usage = Usage()
        outcome: dict[str, object]
        try:
            async for item in provider.stream(request):
                if isinstance(item, Usage):
                    usage = item
                elif item:
                    run.publish("delta", {"text": item})
            page = extract_page(run.text, cut_off=usage.stop_reason == "max_tokens")
            if page.html is None:
                outcome = {"status": "failed", "error": "The model answered without an HTML page. Its answer is shown above; rephrase the request and try again."}
            else:
                outcome = {"status": "complete" if page.complete else "incomplete", "html": page.html}
                if not page.complete:
                    outcome["error"] = "The answer was cut off before the page was finished; the page may not work fully. Ask again, or ask for a smaller change."
            outcome["notes"] = page.notes
        except ProviderError as exc:
            outcome = {"status": "failed", "error": exc.message}
        except asyncio.CancelledError:
            await self._finish(version, run.text, usage, started, {"status": "failed", "error": "Toolsmith stopped before this answer finished. Send the prompt again."})
            raise
        except Exception:
            log.exception("generation of version %s failed", version.id)
            outcome = {"status": "failed", "error": "Something went wrong on Toolsmith's side while writing this version. Try again; if it keeps happening, check the server log."}
        html = outcome.get("html")
        if rename_app and isinstance(html, str) and (page_title := title_of_page(html)):
            await self.store.rename_app(version.app_id, page_title)
        await self._finish(version, run.text, usage, started, outcome)

    async def _finish(self, version: VersionRecord, answer: str, usage: Usage, started: float, outcome: dict[str, object]) -> VersionRecord:
        run = self.live.get(version.id)
        try:
            finished = await self.store.finish_version(
                version.id,
                answer=answer,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                stop_reason=usage.stop_reason,
                duration_ms=int((time.monotonic() - started) * 1000),
                **outcome,
            )
        finally:
            if run is not None:
                run.publish("finished", {"status": outcome["status"]})
                self.live.retire(version.id)
        return finished

    async def shutdown(self) -> None:
        """Stop runs under way; each records itself as failed with its prompt kept."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
