"""What an app may keep: an object of strings, measured as browsers measure localStorage."""

from __future__ import annotations

from typing import Any

from app.errors import InvalidAppData, QuotaExceeded

MAX_KEYS = 10_000  # far more than a tool uses; bounds the work of one save


def chars_of(items: dict[str, str]) -> int:
    """UTF-16 code units of every key and value: what a page's own `key.length + value.length` adds up to."""
    return sum(_units(key) + _units(value) for key, value in items.items())


def _units(text: str) -> int:
    # A character beyond the Basic Multilingual Plane is two code units in JavaScript.
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def check_items(raw: Any, quota: int) -> dict[str, str]:
    """`raw` as the items to keep, or InvalidAppData / QuotaExceeded saying what to change.

    Keys and values are kept exactly as the app wrote them, NUL characters and lone surrogates
    included: they are ordinary JavaScript strings, and they are stored escaped (app.appdata.store).
    """
    if not isinstance(raw, dict):
        raise InvalidAppData('Send the data as a JSON object of strings, such as {"local": {"todos": "[]"}}.')
    if len(raw) > MAX_KEYS:
        raise InvalidAppData(f"An app may keep at most {MAX_KEYS:,} keys; this has {len(raw):,}.")
    bad = next((key for key, value in raw.items() if not isinstance(value, str)), None)
    if bad is not None:
        raise InvalidAppData(f"Every value must be a string, as in localStorage; {bad[:100]!r} is not.")
    chars = chars_of(raw)
    if chars > quota:
        raise QuotaExceeded(f"This is {chars:,} characters; an app may keep {quota:,} for each person. Remove some of its data and save again.")
    return raw
