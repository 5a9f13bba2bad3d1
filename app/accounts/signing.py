"""HMAC signatures with the server's secret: session cookies, CSRF tokens, private preview URLs.

Each use signs under its own purpose, so a signature made for one can never
pass as another. The secret is TOOLSMITH_SECRET_KEY, or one made on first
start and kept in the database (`app.accounts.users.Accounts.instance_secret`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

PREVIEW_SECONDS = 3600  # how long a private preview address works once the editor asked for it


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Signer:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the signing secret is empty")
        self._key = secret.encode("utf-8")

    def sign(self, purpose: str, value: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}\n{value}".encode(), hashlib.sha256).digest())

    def verify(self, purpose: str, value: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(purpose, value), signature)

    # ---- session cookies: "<session id>.<signature>" -----------------------------------------

    def session_cookie(self, session_id: str) -> str:
        return f"{session_id}.{self.sign('session', session_id)}"

    def session_id(self, cookie: str) -> str | None:
        """The session id a cookie carries, or None when it was not signed by us."""
        session_id, _, signature = cookie.rpartition(".")
        if not session_id or not self.verify("session", session_id, signature):
            return None
        return session_id

    # ---- CSRF tokens, bound to the browser's nonce cookie and its session ----------------------

    def csrf_token(self, nonce: str, session_id: str | None) -> str:
        return self.sign("csrf", f"{nonce}\n{session_id or ''}")

    # ---- private previews: /v/{token}?exp=…&sig=… on the sandbox host --------------------------

    def preview_url(self, sandbox_url: str, sandbox_token: str, *, now: float | None = None) -> str:
        expires = int(now if now is not None else time.time()) + PREVIEW_SECONDS
        return f"{sandbox_url}/v/{sandbox_token}?exp={expires}&sig={self.sign('preview', f'{sandbox_token}:{expires}')}"

    def preview_allowed(self, sandbox_token: str, query: dict[str, str], *, now: float | None = None) -> bool:
        """Whether `exp` and `sig` sign this token and have not expired.

        Other parameters are ignored: the editor adds `_r=N` to load the same page again.
        """
        expires, signature = query.get("exp", ""), query.get("sig", "")
        if not (expires.isascii() and expires.isdigit()) or not signature:
            return False
        if int(expires) < (now if now is not None else time.time()):
            return False
        return self.verify("preview", f"{sandbox_token}:{expires}", signature)

    def preview_expired(self, sandbox_token: str, query: dict[str, str], *, now: float | None = None) -> bool:
        """Whether `exp` and `sig` once opened this token and its hour is over: the address was a real
        preview, so its page can say how to get a fresh one rather than only "not found"."""
        expires, signature = query.get("exp", ""), query.get("sig", "")
        if not (expires.isascii() and expires.isdigit() and len(expires) <= 20) or not signature:
            return False
        return int(expires) < (now if now is not None else time.time()) and self.verify("preview", f"{sandbox_token}:{expires}", signature)
