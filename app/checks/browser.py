"""Headless Chromium on a thread of its own, loading pages exactly as the sandbox host serves them.

The browser runs off the service's event loop: Playwright's messages, screenshots and the
waiting a check does never hold up a request. Each slot of the pool has its own Chromium
process, so a page that crashes or hangs its browser takes down one check, and the slot
starts a new browser for the next. Nothing a checked page asks for leaves the machine:
every request is answered from here (the page, the vendored libraries) or refused, and
the browser's proxy is a closed port for anything routing does not see.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import threading
import time
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

from playwright.async_api import Browser, Frame, Page, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from app.checks.probes import BAD_WORDS, CONTROLS, DESCRIBE, DISMISS_DIALOGS, FRAME_PATH, HOST_PATH, IS_BLANK, THUMBNAIL_SCALE, host_page
from app.checks.problems import Outcome, Problem
from app.storage import VersionFile
from sandbox.headers import Origins, app_headers, file_headers, vendor_headers
from sandbox.libraries import CONTENT_TYPES, VENDOR_PATH, VendoredFiles
from sandbox.serving import served_page

T = TypeVar("T")

LAPTOP = (1280, 800)
PHONE = (390, 844)

CHROMIUM_ARGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--mute-audio",
    # Whatever routing does not answer (WebSockets, anything new) goes to a closed port.
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)


@dataclass(frozen=True)
class Timing:
    """How long a check waits for each thing; every wait is bounded."""

    load: float = 10.0  # the page's load event
    answer: float = 3.0  # the page's main thread answering; longer is a hang
    settle: float = 0.3  # after load and after each step, for timers and handlers to run
    action: float = 1.5  # one click or fill
    total: float = 60.0  # the whole check, both widths


@dataclass
class Action:
    """One step of a functional check: fill, click, press or select on an element of the app."""

    action: str
    selector: str
    value: str = ""


@dataclass
class Expectation:
    """What the app must show after the steps: `kind` contains | matches | equals | count | no_problems."""

    kind: str
    selector: str = ""
    value: str = ""


@dataclass
class Job:
    """A page to check; with `steps`, a functional check too (evals)."""

    html: str
    steps: list[Action] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)
    smoke: bool = True
    files: dict[str, VersionFile] = field(default_factory=dict)  # the page's own files, by path: served beside it


# What Chromium itself says when the sandbox stops a page below the bridge (a form or a dialog the
# bridge did not stand in for): no script event fires; the page just does nothing.
BLOCKED_BY_SANDBOX = ("Blocked form submission", "Ignored call to")


class Reports:
    """What the page reported, in order: the bridge's messages, and the sandbox's refusals from the console."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._bridged = 0

    def reset(self) -> None:
        """A new load of the page: what the last one said is gone."""
        self.items, self._bridged = [], 0

    def console(self, text: str) -> None:
        if text.startswith(BLOCKED_BY_SANDBOX):
            self.items.append({"type": "sandbox-blocked", "message": text})

    async def sync(self, page: Page) -> list[dict[str, Any]]:
        bridged: list[dict[str, Any]] = await page.evaluate("window.__reports || []")
        self.items.extend(bridged[self._bridged :])
        self._bridged = len(bridged)
        return self.items


class PageHung(Exception):
    """The page's main thread stopped answering (after `step`, when a step of the interaction caused it)."""

    def __init__(self, step: str | None = None) -> None:
        super().__init__(step)
        self.step = step


class _Slot:
    def __init__(self) -> None:
        self.browser: Browser | None = None


class Chromium:
    """The pool's browsers. `run(job)` may be awaited from any event loop; at most `slots` run at once."""

    def __init__(self, executable: str, slots: int, origins: Origins, vendored: VendoredFiles, timing: Timing | None = None) -> None:
        self.executable = executable
        self.origins = origins
        self.vendored = vendored
        self.timing = timing or Timing()
        self._slots = [_Slot() for _ in range(max(1, slots))]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="toolsmith-checks", daemon=True)
        self._thread.start()
        self._free: asyncio.Queue[_Slot] = asyncio.Queue()
        self._playwright: Playwright | None = None
        self._logs: dict[int, Reports] = {}  # by id() of the page: each check has its own
        self._submit(self._fill_slots()).result()

    async def _fill_slots(self) -> None:
        self._free = asyncio.Queue()
        for slot in self._slots:
            self._free.put_nowait(slot)

    def _submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    async def run(self, job: Job) -> Outcome:
        """Check `job` on the pool's thread; waits for a free slot."""
        return await asyncio.wrap_future(self._submit(self._run(job)))

    async def close(self) -> None:
        await asyncio.wrap_future(self._submit(self._close()))
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, 10)

    async def _close(self) -> None:
        for slot in self._slots:
            await self._drop(slot)
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
            self._playwright = None

    async def _browser(self, slot: _Slot) -> Browser:
        if slot.browser is not None and slot.browser.is_connected():
            return slot.browser
        if self._playwright is None:
            self._playwright = await async_playwright().start()
        # Chromium's own sandbox stays on; only a root process, where Chromium refuses it, goes without.
        slot.browser = await self._playwright.chromium.launch(
            executable_path=self.executable, headless=True, args=list(CHROMIUM_ARGS), chromium_sandbox=os.geteuid() != 0
        )
        return slot.browser

    async def _drop(self, slot: _Slot) -> None:
        browser, slot.browser = slot.browser, None
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), 5)

    async def _run(self, job: Job) -> Outcome:
        slot = await self._free.get()
        started = time.monotonic()
        outcome = Outcome()
        try:
            await asyncio.wait_for(self._check(slot, job, outcome), self.timing.total)
        except TimeoutError:
            outcome.add(Problem("hang", f"The check did not finish within {self.timing.total:.0f} s: the page keeps the browser busy."))
            await self._drop(slot)
        except PlaywrightError as exc:
            outcome.add(Problem("crash", f"The browser failed while running the page: {_first_line(exc)}"))
            await self._drop(slot)
        finally:
            outcome.duration_ms = int((time.monotonic() - started) * 1000)
            self._free.put_nowait(slot)
        return outcome

    async def _check(self, slot: _Slot, job: Job, outcome: Outcome) -> None:
        browser = await self._browser(slot)
        context = await browser.new_context(viewport={"width": LAPTOP[0], "height": LAPTOP[1]}, service_workers="block")
        page: Page | None = None
        try:
            await context.route("**/*", lambda route: self._answer(route, job))
            page = await context.new_page()
            page.on("dialog", lambda dialog: asyncio.ensure_future(_quietly(dialog.dismiss())))
            log = self._log(page)
            page.on("console", lambda message: log.console(message.text) if message.type == "error" else None)
            laptop = await self._visit(page, job, outcome, smoke=job.smoke, screenshot=True)
            if laptop and not job.steps:
                phone = Outcome()
                await page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
                await self._visit(page, Job(job.html, smoke=False, files=job.files), phone, smoke=False, screenshot=False)
                for problem in phone.problems:
                    if all((p.kind, p.message) != (problem.kind, problem.message) for p in outcome.problems):
                        outcome.add(Problem(problem.kind, problem.message, problem.step or f"at phone width ({PHONE[0]} px)", problem.line, problem.column))
        finally:
            if page is not None:
                self._logs.pop(id(page), None)
            try:
                await asyncio.wait_for(context.close(), 5)
            except (TimeoutError, PlaywrightError):
                await self._drop(slot)

    async def _answer(self, route: Route, job: Job) -> None:
        """Every request of the checked page: the page, its own files, its vendored libraries, the
        frame around it; nothing else. A page with files is at a folder, as the sandbox host serves it."""
        url = route.request.url.split("#")[0]
        main, sandbox = self.origins.main, self.origins.sandbox_url
        folder = FRAME_PATH + "/" if job.files else ""
        frame = sandbox + (folder or FRAME_PATH)
        if url.startswith(main + HOST_PATH):
            size = route.request.frame.page.viewport_size or {"width": LAPTOP[0], "height": LAPTOP[1]}
            await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=host_page(frame, size["width"], size["height"]))
        elif url.split("?")[0] == frame:
            body = served_page(job.html, self.vendored, main)
            await route.fulfill(status=200, headers={**app_headers(self.origins, folder), "Content-Type": "text/html; charset=utf-8"}, body=body)
        elif folder and url.startswith(frame) and (own := job.files.get(unquote(url[len(frame) :].split("?")[0]))):
            await route.fulfill(status=200, headers={**file_headers(self.origins, folder), "Content-Type": own.content_type}, body=own.data)
        elif url.startswith(sandbox + VENDOR_PATH) and (file := self.vendored.at(url[len(sandbox + VENDOR_PATH) :].split("?")[0])):
            headers = {**vendor_headers(self.origins), "Content-Type": CONTENT_TYPES[file.suffix]}
            await route.fulfill(status=200, headers=headers, body=await asyncio.to_thread(file.read_bytes))
        else:
            await route.abort("blockedbyclient")

    async def _visit(self, page: Page, job: Job, outcome: Outcome, *, smoke: bool, screenshot: bool) -> bool:
        """Load the page once and look at it; False when it never came up (the rest is moot)."""
        await page.goto("about:blank")
        self._log(page).reset()
        started = time.monotonic()
        try:
            await page.goto(self.origins.main + HOST_PATH, wait_until="commit", timeout=self.timing.load * 1000)
        except PlaywrightError as exc:
            outcome.add(Problem("load", f"The page could not be opened: {_first_line(exc)}"))
            return False
        # Waiting for the load event a little at a time, asking the page between: a page whose
        # script never returns is a hang, found in seconds, not a slow load.
        while True:
            try:
                await page.wait_for_load_state("load", timeout=self.timing.answer * 1000)
                break
            except PlaywrightError:
                frame = _app_frame(page)
                if frame is not None and not await self._answers(frame):
                    outcome.add(Problem("hang", f"The page stopped answering while it loaded: its script kept the browser busy for more than {self.timing.answer:.0f} s."))
                elif time.monotonic() - started < self.timing.load:
                    continue
                else:
                    outcome.add(Problem("load", f"The page did not finish loading within {self.timing.load:.0f} s."))
                self._collect(await self._log(page).sync(page), outcome, None)
                return False
        frame = _app_frame(page)
        if frame is None:
            outcome.add(Problem("load", "The page did not load in its frame."))
            return False
        await asyncio.sleep(self.timing.settle)
        seen = 0
        try:
            await self._ensure_answers(frame)
            reports = await self._log(page).sync(page)
            self._collect(reports, outcome, None)
            seen = len(reports)
            if await self._eval(frame, IS_BLANK):
                outcome.add(Problem("blank", "Nothing is drawn: the page shows no text, image or control."))
            if screenshot:
                outcome.screenshot = await self._thumbnail(page)
            if job.steps or job.expectations:
                seen = await self._functional(page, frame, job, outcome, seen)
            elif smoke:
                await self._smoke(page, frame, outcome, seen)
        except PageHung as hung:
            after = f" after {hung.step}" if hung.step else ""
            outcome.add(Problem("hang", f"The page stopped answering{after}: its main thread was busy for more than {self.timing.answer:.0f} s.", hung.step))
        return True

    def _log(self, page: Page) -> Reports:
        return self._logs.setdefault(id(page), Reports())

    async def _eval(self, frame: Frame, script: str, arg: Any = None) -> Any:
        try:
            return await asyncio.wait_for(frame.evaluate(script, arg), self.timing.answer)
        except TimeoutError:
            raise PageHung() from None

    async def _answers(self, frame: Frame) -> bool:
        try:
            await asyncio.wait_for(frame.evaluate("1"), self.timing.answer)
        except (TimeoutError, PlaywrightError):
            return False
        return True

    async def _ensure_answers(self, frame: Frame, step: str | None = None) -> None:
        if not await self._answers(frame):
            raise PageHung(step)

    async def _thumbnail(self, page: Page) -> bytes:
        await page.evaluate("document.body.classList.add('shot')")
        try:
            width, height = int(LAPTOP[0] * THUMBNAIL_SCALE), int(LAPTOP[1] * THUMBNAIL_SCALE)
            return await page.screenshot(type="png", clip={"x": 0, "y": 0, "width": width, "height": height}, timeout=self.timing.answer * 1000)
        finally:
            await page.evaluate("document.body.classList.remove('shot')")

    def _collect(self, reports: list[dict[str, Any]], outcome: Outcome, step: str | None) -> None:
        for report in reports:
            kind = report.get("type")
            line, column = _number(report.get("line")), _number(report.get("column"))
            message = str(report.get("message") or "")
            if kind == "error":
                outcome.add(Problem("error", message or "An uncaught error.", step, line, column))
            elif kind == "rejection":
                outcome.add(Problem("rejection", f"Unhandled promise rejection: {message}", step))
            elif kind == "console-error":
                outcome.add(Problem("console_error", message, step))
            elif kind == "blocked":
                # What the bridge stopped (docs/bridge.md): a navigation, a popup, a form sent away, a download…
                action, target = str(report.get("action") or "something"), str(report.get("target") or "")
                outcome.add(Problem("blocked", f"The sandbox stopped a {action}{f' ({target[:200]})' if target else ''}.", step))
            elif kind == "sandbox-blocked":
                outcome.add(Problem("blocked", f"The sandbox refused it: {message}", step))
            elif kind == "csp-violation":
                what = report.get("blockedURI") or "something"
                outcome.add(Problem("blocked", f"The sandbox blocked {what} ({report.get('directive')}).", step, line, column))

    async def _after(self, page: Page, frame: Frame, outcome: Outcome, seen: int, step: str, words: dict[str, int]) -> tuple[int, dict[str, int]]:
        """What a step caused: new reports, a hang, words of a broken page that were not there before."""
        await asyncio.sleep(self.timing.settle)
        await self._ensure_answers(frame, step)
        await self._eval(frame, DISMISS_DIALOGS)
        reports = list(await self._log(page).sync(page))
        self._collect(reports[seen:], outcome, step)
        now: dict[str, int] = await self._eval(frame, BAD_WORDS)
        for word, count in now.items():
            if count > words.get(word, 0) and not any(p.kind == "bad_text" and f"“{word}”" in p.message for p in outcome.problems):
                outcome.add(Problem("bad_text", f"After {step}, the page shows “{word}”.", step))
        return len(reports), now

    async def _smoke(self, page: Page, frame: Frame, outcome: Outcome, seen: int) -> None:
        """Every visible control once, knowing nothing of the tool: type, choose, click (a form is sent by its button)."""
        words: dict[str, int] = await self._eval(frame, BAD_WORDS)
        handles = await asyncio.wait_for(frame.query_selector_all(CONTROLS), self.timing.answer)
        planned = []
        for handle in handles[:60]:
            try:
                what = await asyncio.wait_for(handle.evaluate(DESCRIBE), self.timing.answer)
            except TimeoutError:
                raise PageHung() from None
            except PlaywrightError:
                continue
            if what:
                planned.append((handle, what))
        order = {"type": 0, "select": 1, "click": 2}
        planned.sort(key=lambda item: order[item[1]["action"]])
        for handle, what in planned[:40]:
            name = what["name"]
            action = what["action"]
            step = {
                "type": f"typing “{what.get('value')}” into “{name}”",
                "select": f"changing “{name}”",
                "click": f"clicking “{name}”",
            }[action]
            if not await self._do(handle, action, what):
                continue
            seen, words = await self._after(page, frame, outcome, seen, step, words)

    async def _do(self, handle: Any, action: str, what: dict[str, Any]) -> bool:
        """One smoke step; False when the element went away or would not take it (not the page's fault)."""
        timeout = self.timing.action * 1000
        try:
            if action == "type":
                await handle.fill(what["value"], timeout=timeout)
                await handle.dispatch_event("change")
            elif action == "select":
                await handle.select_option(index=1 if what.get("options", 1) > 1 else 0, timeout=timeout)
            else:
                await handle.click(timeout=timeout)
        except (TimeoutError, PlaywrightTimeout):
            return True  # the page may never have come back from it: _after tells a hang from a control that would not take it
        except PlaywrightError:
            return False
        return True

    async def _functional(self, page: Page, frame: Frame, job: Job, outcome: Outcome, seen: int) -> int:
        """The steps a suite wrote for this prompt, then its expectations (docs/evals.md)."""
        words: dict[str, int] = await self._eval(frame, BAD_WORDS)
        timeout = self.timing.action * 1000
        for action in job.steps:
            step = f"{action.action} {action.selector}" + (f" “{action.value}”" if action.value else "")
            locator = frame.locator(action.selector).first
            try:
                if action.action == "fill":
                    await locator.fill(action.value, timeout=timeout)
                elif action.action == "click":
                    await locator.click(timeout=timeout)
                elif action.action == "press":
                    await locator.press(action.value, timeout=timeout)
                elif action.action == "select":
                    await locator.select_option(action.value, timeout=timeout)
            except PlaywrightError as exc:
                outcome.add(Problem("expectation", f"Could not {step}: {_first_line(exc)}", step))
            seen, words = await self._after(page, frame, outcome, seen, step, words)
        for expectation in job.expectations:
            outcome.expectations.append(await self._expect(frame, expectation, outcome))
        return seen

    async def _expect(self, frame: Frame, expectation: Expectation, outcome: Outcome) -> dict[str, Any]:
        result: dict[str, Any] = {"kind": expectation.kind, "selector": expectation.selector, "value": expectation.value}
        if expectation.kind == "no_problems":
            found = [p for p in outcome.problems if p.kind != "expectation"]
            result["passed"], result["actual"] = not found, f"{len(found)} problems"
            return result
        locator = frame.locator(expectation.selector)
        try:
            if expectation.kind == "count":
                actual: Any = await asyncio.wait_for(locator.count(), self.timing.answer)
                result["passed"] = actual == int(expectation.value)
            else:
                actual = await locator.first.inner_text(timeout=self.timing.action * 1000)
                result["passed"] = _text_matches(expectation.kind, actual, expectation.value)
        except (PlaywrightError, TimeoutError) as exc:
            actual = f"no such element ({_first_line(exc) if isinstance(exc, PlaywrightError) else 'timed out'})"
            result["passed"] = False
        result["actual"] = str(actual)[:300]
        return result


def _text_matches(kind: str, actual: str, value: str) -> bool:
    text = " ".join(actual.split())
    if kind == "contains":
        return value in text
    if kind == "equals":
        return text == value
    return re.search(value, text) is not None


def _app_frame(page: Page) -> Frame | None:
    children = page.main_frame.child_frames
    return children[0] if children else None


async def _quietly(awaitable: Awaitable[Any]) -> None:
    with contextlib.suppress(Exception):
        await awaitable


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10_000_000 else None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]

