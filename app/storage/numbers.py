"""Numbers a client sends (version numbers, event ids), checked before they reach SQL."""

from __future__ import annotations

# Integer columns are 32-bit on PostgreSQL and checked by the SQLite driver: anything larger fails
# inside the database instead of being a number that names nothing.
MAX_INTEGER = 2**31 - 1


def is_digits(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also takes "²" and "١", which `int()` refuses or reads otherwise."""
    return bool(text) and text.isascii() and text.isdigit()


def as_number(value: object) -> int | None:
    """A whole number from 0 to MAX_INTEGER, given as an int or as ASCII digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not is_digits(value) or len(value) > 10:
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_INTEGER:
        return value
    return None
