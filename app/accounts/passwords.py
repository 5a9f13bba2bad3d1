"""Password hashing with the standard library's scrypt.

scrypt is memory-hard (each guess costs 32 MiB here), is in every Python
build through OpenSSL, and needs no native extension to install. A hash
records its own parameters, so raising them later only needs `needs_rehash`
at the next sign-in. docs/accounts.md explains the choice.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

N, R, P = 2**15, 8, 1  # 32 MiB and about 0.1 s per hash on a laptop
_MAXMEM = 64 * 1024 * 1024
_PREFIX = "scrypt"

MIN_LENGTH = 8
MAX_LENGTH = 1024  # scrypt takes any length; a cap keeps a request from hashing megabytes


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash`, salt and hash in unpadded base64."""
    salt = secrets.token_bytes(16)
    return f"{_PREFIX}${N}${R}${P}${_b64(salt)}${_b64(_scrypt(password, salt, N, R, P))}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; False for a missing or malformed hash."""
    if not stored or len(password) > MAX_LENGTH:
        return False
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != _PREFIX:
            return False
        computed = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(f"{_PREFIX}${N}${R}${P}$")


@functools.cache
def dummy_hash() -> str:
    """Verifying against this when the user does not exist keeps sign-in equally slow
    either way, so the time of an answer does not tell which user names exist."""
    return hash_password(secrets.token_urlsafe(16))


def check_new_password(password: object) -> str | None:
    """Why `password` cannot be used, in words, or None when it can."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return f"Choose a password of at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Choose a password of at most {MAX_LENGTH} characters."
    return None
