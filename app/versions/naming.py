"""An app's name as its owner gives it: checked before it is stored."""

from __future__ import annotations

import unicodedata

from app.errors import InvalidTitle

MAX_TITLE = 200
_JOINERS = "\u200c\u200d"  # format characters that emoji and some scripts need


def check_title(value: object) -> str:
    """The name to store, spaces tidied; InvalidTitle says what to send instead."""
    if not isinstance(value, str):
        raise InvalidTitle("“title” must be a string, for example {\"title\": \"Tip calculator\"}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidTitle("The name holds a broken character (a lone surrogate): type it again.") from None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in value if c not in "\t\n" + _JOINERS):
        raise InvalidTitle("The name holds control or invisible characters: use letters, digits, spaces and punctuation.")
    title = " ".join(value.split())
    if not title:
        raise InvalidTitle("The name is empty: type the name the app should have.")
    if len(title) > MAX_TITLE:
        raise InvalidTitle(f"The name is {len(title):,} characters long; the limit is {MAX_TITLE}. Shorten it.")
    return title
