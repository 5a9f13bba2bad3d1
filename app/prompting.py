"""The system prompt (a versioned file) and the messages sent to the model for a generation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.providers.base import Message
from sandbox.libraries import VendoredFiles, vendored_files

PROMPTS_DIR = Path(__file__).parent / "prompts"
SYSTEM_PROMPT_FILE = "system-v2.md"
# The prompt that offers no libraries, for when they are not installed (scripts/vendor):
# a page written for them could not load them.
SYSTEM_PROMPT_WITHOUT_LIBRARIES = "system-v1.md"


@dataclass(frozen=True)
class SystemPrompt:
    """The text sent as the system prompt, and the hash each version records."""

    name: str
    text: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


def system_prompt(name: str | None = None) -> SystemPrompt:
    """The named prompt; by default the current one for the libraries installed here."""
    return _read_prompt(name or system_prompt_name(vendored_files()))


def system_prompt_name(libraries: VendoredFiles) -> str:
    return SYSTEM_PROMPT_FILE if libraries.installed else SYSTEM_PROMPT_WITHOUT_LIBRARIES


@lru_cache(maxsize=None)
def _read_prompt(name: str) -> SystemPrompt:
    return SystemPrompt(name, (PROMPTS_DIR / name).read_text(encoding="utf-8").strip())


def build_messages(history: list[str], current_html: str | None, prompt: str) -> list[Message]:
    """The conversation for a new version: one user message.

    A first prompt goes as it is. A follow-up carries the earlier requests (so
    the model knows the intent behind the page), the current page in full, and
    the new request. Older pages are not sent: they would cost tokens and say
    nothing the current one does not.
    """
    if current_html is None:
        return [Message("user", prompt)]
    parts = []
    if history:
        earlier = "\n".join(f"{i}. {earlier_prompt}" for i, earlier_prompt in enumerate(history, 1))
        parts.append("Earlier requests that shaped this page, oldest first:\n" + earlier)
    parts.append("Here is the current page:\n\n```html\n" + current_html + "\n```")
    parts.append("Change it as follows and answer with the complete updated document:\n\n" + prompt)
    return [Message("user", "\n\n".join(parts))]
