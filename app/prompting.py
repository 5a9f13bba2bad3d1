"""The system prompt (a versioned file) and the messages sent to the model for a generation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.providers.base import Message

PROMPTS_DIR = Path(__file__).parent / "prompts"
SYSTEM_PROMPT_FILE = "system-v1.md"


@dataclass(frozen=True)
class SystemPrompt:
    """The text sent as the system prompt, and the hash each version records."""

    name: str
    text: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=None)
def system_prompt(name: str = SYSTEM_PROMPT_FILE) -> SystemPrompt:
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
