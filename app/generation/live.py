"""Generations under way, kept in memory so any number of clients can follow one.

Each run keeps every event it published, numbered from 1, so a client that
reconnects with `Last-Event-ID: N` gets exactly the events after N. A finished
run lingers for a while for late reconnects; after that, clients read the
finished version from the store.

Stopping goes through here too: `LiveRuns.stop` asks the run to stop and the
process writing it (which registered `LiveRun.on_stop`) ends it, so a registry
shared between processes can carry the request to whichever one that is.

Routes and the sandbox host reach runs only through `follow`, `preview` and
`request_stop` of `LiveRuns`; `app.generation.redis_live` gives the same
across processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

TERMINAL = frozenset({"finished"})
NEW_ANSWER_PHASES = frozenset({"retry"})  # phases whose text is a new answer, not more of the same one


@dataclass(frozen=True)
class LiveEvent:
    id: int
    name: str  # "status", "delta", "phase" or "finished"
    data: dict[str, Any]


@dataclass
class LiveRun:
    """One generation's events so far, and the text of the answer so far.

    A run may ask the model more than once: to continue a cut-off answer (more
    of the same answer) or, when its edit blocks did not fit, for a whole page
    (a new answer). `text` is everything streamed; `answer` the current answer.
    """

    version_id: str
    events: list[LiveEvent] = field(default_factory=list)
    text: str = ""
    finished: bool = False
    base_html: str | None = None  # the page being changed, for previews of edit blocks
    answer_start: int = 0
    stop_requested: bool = False
    _wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    _on_stop: list[Callable[[], object]] = field(default_factory=list)
    # Called with every event as it is published: how other processes' followers hear of it.
    relay: Callable[[LiveEvent], None] | None = None

    def publish(self, name: str, data: dict[str, Any]) -> None:
        if self.finished:
            raise RuntimeError("publish after finish")
        if name == "delta":
            self.text += data["text"]
        elif name == "phase" and data.get("phase") in NEW_ANSWER_PHASES:
            self.answer_start = len(self.text)
        self.events.append(LiveEvent(len(self.events) + 1, name, data))
        self.finished = name in TERMINAL
        if self.relay is not None:
            self.relay(self.events[-1])
        # Wake every follower, then arm a fresh event for the next publish.
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def on_stop(self, callback: Callable[[], object]) -> None:
        """`callback` runs once when someone asks this run to stop (the writer ends it then)."""
        self._on_stop.append(callback)

    def request_stop(self) -> bool:
        """Asks the writer to stop; False when the run had already finished."""
        if self.finished:
            return False
        if not self.stop_requested:
            self.stop_requested = True
            for callback in self._on_stop:
                callback()
        return True

    async def ended(self) -> None:
        """Returns once the run has published its last event."""
        async for _ in self.follow(len(self.events)):
            pass

    @property
    def answer(self) -> str:
        return self.text[self.answer_start :]

    async def follow(self, after: int = 0) -> AsyncIterator[LiveEvent]:
        """Events after id `after`, waiting for new ones until the run finishes."""
        position = max(after, 0)
        while True:
            while position < len(self.events):
                event = self.events[position]
                position += 1
                yield event
            if self.finished:
                return
            await self._wakeup.wait()


@dataclass(frozen=True)
class Preview:
    """What the live preview of a run shows: the current answer so far, and the page it changes."""

    answer: str
    base_html: str | None


class LiveRuns:
    """The registry of runs by version id, in this process."""

    def __init__(self, linger_seconds: float = 120.0) -> None:
        self._runs: dict[str, LiveRun] = {}
        self._linger = linger_seconds

    def start(self, version_id: str, base_html: str | None = None) -> LiveRun:
        run = LiveRun(version_id, base_html=base_html)
        self._runs[version_id] = run
        return run

    def get(self, version_id: str) -> LiveRun | None:
        return self._runs.get(version_id)

    def stop(self, version_id: str) -> LiveRun | None:
        """Asks the run writing `version_id` to stop; the run, or None when none is under way here."""
        run = self._runs.get(version_id)
        return run if run is not None and run.request_stop() else None

    def retire(self, version_id: str) -> None:
        """Forget a finished run once late reconnects are unlikely."""
        asyncio.get_running_loop().call_later(self._linger, self._runs.pop, version_id, None)

    def follow(self, version_id: str, after: int = 0) -> AsyncIterator[LiveEvent] | None:
        """The run's events after id `after`, up to and with `finished`; None when no run is known."""
        run = self.get(version_id)
        return run.follow(after) if run is not None else None

    async def preview(self, version_id: str) -> Preview | None:
        run = self.get(version_id)
        return Preview(run.answer, run.base_html) if run is not None else None

    async def request_stop(self, version_id: str) -> bool:
        """Asks whoever writes `version_id` to stop, and returns once its run has ended; False when
        no run of it is under way (here; with Redis, anywhere), so the caller records the stop itself."""
        run = self.stop(version_id)
        if run is None:
            return False
        await run.ended()
        return True

    async def close(self) -> None:
        """Nothing to let go of in memory; the Redis runs flush and disconnect."""
