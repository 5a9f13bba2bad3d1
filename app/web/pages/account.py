"""Signing in and out, one-time sign-in links, and the account page."""

from __future__ import annotations

import time
from collections import deque

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.accounts import MAX_LENGTH
from app.errors import NotFound, TooManyAttempts
from app.web.auth import end_session, require_user, signed_in, start_session
from app.web.requests import services_of, templates_of

MAX_FAILURES = 10
FAILURE_WINDOW = 15 * 60.0
MAX_NAMES = 10_000  # names tracked at once; the oldest is forgotten first


class FailedSignIns:
    """Wrong passwords per user name, in memory: after MAX_FAILURES within FAILURE_WINDOW
    seconds that name cannot sign in with a password until the oldest failure ages out."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, username: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(username, deque())
        while failures and failures[0] <= now - FAILURE_WINDOW:
            failures.popleft()
        return failures

    def check(self, username: str) -> None:
        now = time.monotonic()
        failures = self._recent(username, now)
        if len(failures) >= MAX_FAILURES:
            minutes = max(1, round((failures[0] + FAILURE_WINDOW - now) / 60))
            raise TooManyAttempts(f"Too many wrong passwords for {username!r}. Try again in {minutes} minute{'s' if minutes != 1 else ''}, or ask for a one-time link: `toolsmith users link {username}`.")

    def failed(self, username: str) -> None:
        self._recent(username, time.monotonic()).append(time.monotonic())
        while len(self._failures) > MAX_NAMES:
            del self._failures[next(iter(self._failures))]

    def succeeded(self, username: str) -> None:
        self._failures.pop(username, None)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or any(c in target for c in "\r\n"):
        return "/"
    return target


def _login_page(request: Request, *, next_url: str, username: str = "", error: str | None = None, status: int = 200) -> Response:
    signed_out = request.query_params.get("signed_out") == "1"
    no_password = request.query_params.get("no_password", "")
    return templates_of(request).TemplateResponse(
        request,
        "login.html",
        {
            "title": "Sign in",
            "next": next_url,
            "username": username,
            "error": error,
            "signed_out": signed_out,
            # A user name as the link carried it, shown only if it looks like one.
            "no_password": no_password if signed_out and no_password.replace("-", "").replace("_", "").replace(".", "").isalnum() and len(no_password) <= 64 else "",
        },
        status_code=status,
    )


async def login_form(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if signed_in(request) is not None:
        return RedirectResponse(next_url, status_code=303)
    return _login_page(request, next_url=next_url)


async def login(request: Request) -> Response:
    services = services_of(request)
    form = await request.form()
    username = str(form.get("username") or "").strip().lower()[:64]
    password = str(form.get("password") or "")[: MAX_LENGTH + 1]
    next_url = safe_next(str(form.get("next") or ""))
    failures: FailedSignIns = request.app.state.failed_signins
    failures.check(username)
    user = await services.accounts.check_password(username, password) if username and password else None
    if user is None:
        failures.failed(username)
        return _login_page(request, next_url=next_url, username=username, error="Wrong user name or password.", status=400)
    failures.succeeded(username)
    response = RedirectResponse(next_url, status_code=303)
    await start_session(response, services, user)
    return response


async def signin_link(request: Request) -> Response:
    """A one-time link from `toolsmith serve` or `toolsmith users link`: signs in once, then never again."""
    services = services_of(request)
    user = await services.accounts.use_signin_link(request.path_params["token"])
    if user is None:
        raise NotFound("This sign-in link does not work: it was used already or it expired. On the machine running Toolsmith, “.venv/bin/toolsmith users link NAME” prints a new one.")
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    await start_session(response, services, user)
    return response


async def logout(request: Request) -> Response:
    # The sign-in page then says so, and how to get back in without a password.
    who = signed_in(request)
    target = "/login?signed_out=1" if who is None or who.user.has_password else f"/login?signed_out=1&no_password={who.user.username}"
    response = RedirectResponse(target, status_code=303)
    await end_session(request, response, services_of(request))
    return response


async def account(request: Request) -> Response:
    user = require_user(request)
    tokens = await services_of(request).accounts.list_tokens(user.id)
    return templates_of(request).TemplateResponse(
        request, "account.html", {"title": "Your account", "user": user.to_json(), "tokens": [t.to_json() for t in tokens]}
    )


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/signin/{token}", signin_link, methods=["GET"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/account", account, methods=["GET"]),
]
