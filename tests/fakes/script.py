"""Scripting the fake model servers: what they answer, and what they share.

A test queues steps; each request to a fake takes the next one (a step with
`times=N` answers N requests in a row). With nothing queued the fake answers
normally: a small, complete HTML page in a ```html fence whose <h1> echoes the
last user prompt (escaped), streamed in small chunks with a tiny delay.

    fake.script(answer("Hello"))              # stream this text, stop normally
    fake.script(edits())                      # an edit block for the page in the request (see edit_answer)
    fake.script(cut_off())                    # half a page, stopped by the token limit
    fake.script(rate_limited(times=3))        # HTTP 429 + retry-after: 0, three requests in a row
    fake.script(http_error(401))              # bad key; also 404 unknown model, 400, 403, 500, 529...
    fake.script(stream_error(after_chunks=3)) # three chunks, then an error inside the stream
    fake.script(disconnect(after_chunks=3))   # three chunks, then the connection drops
    fake.script(answer(delay=0.2))            # a slow stream: 0.2 s before each chunk
    fake.script(hang())                       # never answer: not even the status line and headers
    fake.script(stall(after_chunks=3))        # three chunks, then silence with the connection open
    fake.script(garbage(after_chunks=3))      # three chunks, then lines that are not SSE, then the end
    fake.script(bad_json(after_chunks=3))     # three chunks, then an event whose data is not JSON
    fake.script(no_end())                     # the whole answer, but never the final event
    fake.requests                             # every request: method, path, headers, json
    fake.reset()                              # forget the queue and the requests

Every step also takes `message`, `error_type`, `code` (the provider's error
fields), `chunk_size`, `input_tokens` and `output_tokens` (the usage reported;
estimated from the text when not given). A fake built with `api_key="..."`
answers 401 to requests carrying any other key.

Steps are plain data (`Step`), so a fake running in another process is driven
over HTTP: `POST /_fake/script` with `{"steps": [{"kind": "cut_off"}, ...]}`,
`GET /_fake/requests`, `POST /_fake/reset`, `GET /_fake/health`.
"""

from __future__ import annotations

import abc
import argparse
import dataclasses
import html
import re
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Send

from tests.fakes.server import ServerThread

Kind = Literal["answer", "edits", "cut_off", "http_error", "stream_error", "disconnect", "hang", "stall", "garbage", "bad_json", "no_end"]
KINDS: tuple[str, ...] = ("answer", "edits", "cut_off", "http_error", "stream_error", "disconnect", "hang", "stall", "garbage", "bad_json", "no_end")
# Faults that cut a stream short after `after_chunks` chunks.
FAILING_MID_STREAM = frozenset({"stream_error", "disconnect", "stall", "garbage", "bad_json"})
HANG_SECONDS = 3600.0  # "forever", for a test: the client gives up long before


@dataclass(frozen=True)
class Step:
    """One scripted reply; `times` says how many requests in a row get it."""

    kind: Kind = "answer"
    text: str | None = None  # None: the default page for the request's prompt
    status: int = 200  # http_error: the HTTP status to answer with
    message: str | None = None  # http_error / stream_error: the provider's error message
    error_type: str | None = None  # the provider's error type; None: the usual one for the status
    code: str | None = None  # OpenAI's error code ("insufficient_quota"...); None: the usual one
    after_chunks: int = 3  # stream_error / disconnect: chunks sent before failing
    delay: float | None = None  # seconds between chunks; None: the server's default
    chunk_size: int | None = None  # characters per chunk; None: the server's default
    retry_after: str | None = "0"  # the retry-after header of a 429 or 529
    input_tokens: int | None = None  # reported usage; None: estimated from the text
    output_tokens: int | None = None
    times: int = 1

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown step kind {self.kind!r}: use one of {', '.join(KINDS)}.")
        if self.times < 1:
            raise ValueError("A step must answer at least one request: set times >= 1.")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Step:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"Unknown step fields {sorted(unknown)}: use {sorted(names)}.")
        return cls(**data)


def answer(text: str | None = None, **options: Any) -> Step:
    """A normal, complete answer (the default page when `text` is None)."""
    return Step("answer", text=text, **options)


def edits(**options: Any) -> Step:
    """An answer in edit blocks that depends on the request: see `edit_answer`."""
    return Step("edits", **options)


def cut_off(text: str | None = None, **options: Any) -> Step:
    """An answer stopped by the token limit (default: the first half of the page)."""
    return Step("cut_off", text=text, **options)


def http_error(status: int, message: str | None = None, **options: Any) -> Step:
    """An HTTP error before any streaming, with the provider's real error body."""
    return Step("http_error", status=status, message=message, **options)


def rate_limited(times: int = 1, retry_after: str = "0", **options: Any) -> Step:
    """HTTP 429 for `times` requests in a row (the SDK retries, so script one per attempt)."""
    return Step("http_error", status=429, times=times, retry_after=retry_after, **options)


def stream_error(after_chunks: int = 3, message: str | None = None, **options: Any) -> Step:
    """Some chunks, then an error inside the stream (Anthropic: overloaded)."""
    return Step("stream_error", after_chunks=after_chunks, message=message, **options)


def disconnect(after_chunks: int = 3, **options: Any) -> Step:
    """Some chunks, then the connection closes without finishing the response."""
    return Step("disconnect", after_chunks=after_chunks, **options)


def hang(**options: Any) -> Step:
    """No answer at all: the request is read, then nothing, not even headers."""
    return Step("hang", **options)


def stall(after_chunks: int = 3, **options: Any) -> Step:
    """Some chunks, then silence with the connection held open."""
    return Step("stall", after_chunks=after_chunks, **options)


def garbage(after_chunks: int = 3, **options: Any) -> Step:
    """Some chunks, then lines that are not Server-Sent Events at all, then the connection closes."""
    return Step("garbage", after_chunks=after_chunks, **options)


def bad_json(after_chunks: int = 3, **options: Any) -> Step:
    """Some chunks, then an event whose data is not JSON."""
    return Step("bad_json", after_chunks=after_chunks, **options)


def no_end(**options: Any) -> Step:
    """The whole answer, then the stream closes without its final event (message_stop; finish_reason and [DONE])."""
    return Step("no_end", **options)


GARBAGE = "<html>502 Bad Gateway</html>\n\u0000\u0000 not an event\n:::\n\n"
BAD_JSON_DATA = '{"type": "content_block_delta", "delta": {"text": "cut'


@dataclass
class Script:
    """The queue of steps and the log of requests of one fake server; safe across threads."""

    steps: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def push(self, *steps: Step) -> None:
        with self._lock:
            self.steps.extend(steps)

    def next(self) -> Step:
        """The step for the request being answered: the head of the queue, or a normal answer."""
        with self._lock:
            if not self.steps:
                return Step()
            step = self.steps[0]
            if step.times > 1:
                self.steps[0] = dataclasses.replace(step, times=step.times - 1)
            else:
                self.steps.pop(0)
            return step

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def reset(self) -> None:
        with self._lock:
            self.steps.clear()
            self.requests.clear()


def default_page(prompt: str) -> str:
    """The answer of an unscripted request: a complete small tool echoing the prompt."""
    title = html.escape(prompt.strip() or "Untitled tool")
    return (
        "Here is your tool.\n\n"
        "```html\n"
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        "<style>body { font-family: sans-serif; margin: 2rem; }</style>\n"
        "</head>\n"
        "<body>\n"
        f"<h1>{title}</h1>\n"
        '<p id="count">0</p>\n'
        '<button id="add" type="button">Add one</button>\n'
        "<script>\n"
        "let count = 0;\n"
        "document.getElementById('add').addEventListener('click', () => {\n"
        "  count += 1;\n"
        "  document.getElementById('count').textContent = String(count);\n"
        "});\n"
        "</script>\n"
        "</body>\n"
        "</html>\n"
        "```\n"
    )


_PAGE_IN_PROMPT = re.compile(r"```html\n(.*?)\n```", re.DOTALL)


def edit_answer(user_messages: Sequence[str]) -> str:
    """One edit block that turns the <h1> line of the current page into the follow-up's request.

    A follow-up's user message holds the current page in a ```html block and
    ends with the request (app/prompting.py), so the block's SEARCH part is a
    real line of the page and the answer depends on what was asked; later user
    messages (a request to continue, or to try again) change neither.
    """
    holding = next((m for m in reversed(user_messages) if _PAGE_IN_PROMPT.search(m)), "")
    found = _PAGE_IN_PROMPT.search(holding)
    request = holding.strip().rsplit("\n\n", 1)[-1].strip()
    heading = next((line for line in (found.group(1) if found else "").splitlines() if "<h1" in line), None)
    if heading is None:
        return "There is no heading to change.\n"
    indent = heading[: len(heading) - len(heading.lstrip())]
    return (
        "I changed the heading.\n\n"
        f"<<<<<<< SEARCH\n{heading}\n=======\n{indent}<h1>{html.escape(request)}</h1>\n>>>>>>> REPLACE\n"
    )


def answer_text(step: Step, prompt: str, user_messages: Sequence[str] = ()) -> str:
    """The full text a step streams: its own text, an edit block for the request, or the default page.

    `prompt` is the last user message, `user_messages` all of them, oldest first.
    """
    if step.text is not None:
        return step.text
    if step.kind == "edits":
        return edit_answer(user_messages or [prompt])
    page = default_page(prompt)
    return page[: len(page) // 2] if step.kind == "cut_off" else page


def chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def estimate_tokens(text: str) -> int:
    """A stand-in token count (about four characters a token), at least 1."""
    return max(1, len(text) // 4)


def reported_usage(step: Step, prompt: str, answer: str, limit: object) -> tuple[int, int]:
    """(input, output) tokens a step reports: its own numbers, else estimates; a cut-off used the whole limit."""
    input_tokens = step.input_tokens if step.input_tokens is not None else estimate_tokens(prompt)
    if step.output_tokens is not None:
        return input_tokens, step.output_tokens
    if step.kind == "cut_off" and isinstance(limit, int):
        return input_tokens, limit
    return input_tokens, estimate_tokens(answer)


class Drop(Exception):
    """Raised inside an SSE body to close the connection without finishing the response."""


class SSEResponse(StreamingResponse):
    """A streamed body that can also end abruptly: a `Drop` from the iterator cuts the connection."""

    media_type = "text/event-stream; charset=utf-8"
    # Streams whose client went away before the end: how a test sees that a call was cancelled.
    abandoned = 0

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        ended = False
        try:
            async for chunk in self.body_iterator:
                data = chunk if isinstance(chunk, bytes) else str(chunk).encode("utf-8")
                await send({"type": "http.response.body", "body": data, "more_body": True})
            ended = True
        except Drop:
            ended = True
            return  # uvicorn closes a connection whose response was never completed
        finally:
            if not ended:
                SSEResponse.abandoned += 1
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class ScriptedFake(abc.ABC):
    """What both fakes share: the script, the request log, the control routes and the app.

    Subclasses add the provider's own routes in `routes()`.
    """

    def __init__(self, *, delay: float = 0.005, chunk_size: int = 16, api_key: str | None = None) -> None:
        self.delay = delay  # seconds between chunks unless a step says otherwise
        self.chunk_size = chunk_size
        self.api_key = api_key  # when set, requests with another key get the provider's 401
        self._script = Script()
        self._app: Starlette | None = None
        self.url: str | None = None  # set by serve(): where the running fake listens
        self.streaming = 0  # answers being streamed now
        self.most_streaming = 0  # the most streamed at once so far

    def script(self, *steps: Step) -> None:
        """Queue replies for the next requests, in order."""
        self._script.push(*steps)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request received so far: {"method", "path", "headers", "json"}; headers lower-cased."""
        return list(self._script.requests)

    def reset(self) -> None:
        self._script.reset()

    @abc.abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The provider's own endpoints; each fake declares its API here."""

    @property
    def app(self) -> Starlette:
        if self._app is None:
            self._app = Starlette(routes=[*self.routes(), *self._control_routes()])
        return self._app

    def serve(self) -> ServerThread:
        """This fake under a real uvicorn in a background thread: `with fake.serve() as server:`."""
        server = ServerThread(self.app)
        self.url = server.url
        return server

    async def receive(self, request: Request) -> dict[str, Any]:
        """Record the request and return its JSON body ({} if not an object; recorded as sent)."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        self._script.record(
            {
                "method": request.method,
                "path": request.url.path,
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "json": body,
                # Which connection it came on: a client that keeps its connections reuses one.
                "client": f"{request.client.host}:{request.client.port}" if request.client else None,
            }
        )
        return body if isinstance(body, dict) else {}

    async def counted(self, chunks: AsyncIterator[str]) -> AsyncIterator[str]:
        """`chunks`, counted in `streaming` and `most_streaming` while they are sent."""
        self.streaming += 1
        self.most_streaming = max(self.most_streaming, self.streaming)
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            self.streaming -= 1

    def next_step(self) -> Step:
        """The scripted step for the request being answered (a normal answer when none is queued)."""
        return self._script.next()

    def key_ok(self, request: Request) -> bool:
        if self.api_key is None:
            return True
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return self.api_key in (bearer, request.headers.get("x-api-key"))

    def pace(self, step: Step) -> tuple[float, int]:
        return (self.delay if step.delay is None else step.delay), (step.chunk_size or self.chunk_size)

    def _control_routes(self) -> list[BaseRoute]:
        async def push(request: Request) -> JSONResponse:
            try:
                data = await request.json()
                steps = [Step.from_json(item) for item in data["steps"]]
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": f'Send {{"steps": [{{"kind": ...}}]}}: {exc}'}, status_code=400)
            self.script(*steps)
            return JSONResponse({"queued": len(steps)})

        async def requests(request: Request) -> JSONResponse:
            return JSONResponse(self.requests)

        async def reset(request: Request) -> JSONResponse:
            self.reset()
            return JSONResponse({"reset": True})

        async def health(request: Request) -> PlainTextResponse:
            return PlainTextResponse("ok")

        return [
            Route("/_fake/script", push, methods=["POST"]),
            Route("/_fake/requests", requests, methods=["GET"]),
            Route("/_fake/reset", reset, methods=["POST"]),
            Route("/_fake/health", health, methods=["GET"]),
        ]


def main(fake_class: type[ScriptedFake], description: str, argv: Sequence[str] | None = None) -> None:
    """Run a fake standalone: `python -m tests.fakes.openai_server --port 8765`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay", type=float, default=0.005, help="seconds between chunks")
    parser.add_argument("--chunk-size", type=int, default=16, help="characters per chunk")
    parser.add_argument("--api-key", default=None, help="answer 401 to any other key")
    args = parser.parse_args(argv)
    fake = fake_class(delay=args.delay, chunk_size=args.chunk_size, api_key=args.api_key)
    uvicorn.run(fake.app, host=args.host, port=args.port, lifespan="off", ws="none", log_level="info")


def last_user_prompt(body: dict[str, Any]) -> str:
    """The text of the last user message; content is a string or a list of text blocks (both APIs)."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def user_prompts(body: dict[str, Any]) -> list[str]:
    """The text of every user message, oldest first."""
    return [last_user_prompt({"messages": [m]}) for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
