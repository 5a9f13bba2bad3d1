"""The prompts (versioned files in app/prompts/) and the messages sent to the model for a generation."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.generation.providers.base import Message
from sandbox.libraries import VendoredFiles, vendored_files

PROMPTS_DIR = Path(__file__).parent / "prompts"
# v3 tells the model what works in the sandbox (forms, dialogs, saved files, copy, full screen,
# storage) and what it stops; v4 adds Pyodide, and what it cannot load. v1 to v3 stay, as versions
# record the hash of the one they used.
SYSTEM_PROMPT_FILE = "system-v4.md"
# The prompt that offers no libraries, for when they are not installed (scripts/vendor):
# a page written for them could not load them.
SYSTEM_PROMPT_WITHOUT_LIBRARIES = "system-v3-no-libraries.md"
EDITS_PROMPT_FILE = "edits-v1.md"  # the edit-block format, added to the system prompt of follow-ups
FIX_PROMPT_FILE = "fix-v1.md"  # how runtime errors are put to the model

CONTINUE_REQUEST = (
    "Your answer was cut off by the length limit. Continue it exactly where it stopped, starting with the next "
    "character: do not repeat anything, write no introduction, and do not open a new code block."
)


@dataclass(frozen=True)
class SystemPrompt:
    """A prompt's text, and the hash each version records of the prompts that produced it."""

    name: str
    text: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    def plus(self, other: SystemPrompt) -> SystemPrompt:
        return SystemPrompt(f"{self.name}+{other.name}", f"{self.text}\n\n{other.text}")


def system_prompt(name: str | None = None) -> SystemPrompt:
    """The named prompt; by default the current one for the libraries installed here."""
    return _read_prompt(name or system_prompt_name(vendored_files()))


def system_prompt_name(libraries: VendoredFiles) -> str:
    return SYSTEM_PROMPT_FILE if libraries.installed else SYSTEM_PROMPT_WITHOUT_LIBRARIES


@cache
def _read_prompt(name: str) -> SystemPrompt:
    return SystemPrompt(name, (PROMPTS_DIR / name).read_text(encoding="utf-8").strip())


def follow_up_system_prompt(*, edits: bool) -> SystemPrompt:
    """The system prompt of a follow-up: the usual one, and the edit-block format when edits are allowed."""
    return system_prompt().plus(system_prompt(EDITS_PROMPT_FILE)) if edits else system_prompt()


def recorded_hash(system: SystemPrompt, *, fix: bool) -> str:
    """What a version records: the hash of every prompt file that shaped its request."""
    return system.plus(system_prompt(FIX_PROMPT_FILE)).hash if fix else system.hash


def build_messages(
    history: Sequence[str],
    current_html: str | None,
    prompt: str,
    *,
    edits: bool = False,
    scope: str | None = None,
) -> list[Message]:
    """The conversation for a new version: one user message.

    A first prompt goes as it is. A follow-up carries the earlier requests (so
    the model knows the intent behind the page), the current page in full, the
    part of it the request is about (`scope`, when the person selected one),
    and the new request, last. Older pages are not sent: they would cost tokens
    and say nothing the current one does not.
    """
    if current_html is None:
        return [Message("user", prompt)]
    parts = []
    if history:
        earlier = "\n".join(f"{i}. {earlier_prompt}" for i, earlier_prompt in enumerate(history, 1))
        parts.append("Earlier requests that shaped this page, oldest first:\n" + earlier)
    parts.append("Here is the current page:\n\n```html\n" + current_html + "\n```")
    if scope:
        parts.append(scope)
    if edits:
        parts.append("Change it as follows, answering with edit blocks or with the complete updated document as your instructions say:\n\n" + prompt)
    else:
        parts.append("Change it as follows and answer with the complete updated document:\n\n" + prompt)
    return [Message("user", "\n\n".join(parts))]


def continuation(messages: Sequence[Message], answer_so_far: str) -> list[Message]:
    """The conversation asking the model to go on with an answer the token limit cut off."""
    return [*messages, Message("assistant", answer_so_far), Message("user", CONTINUE_REQUEST)]


def retry_after_edits(messages: Sequence[Message], answer: str, problems: Sequence[str]) -> list[Message]:
    """The conversation asking once more, for the whole page, after edit blocks that did not fit."""
    reasons = "\n".join(f"- {problem}" for problem in problems)
    request = (
        "Your edit blocks could not be applied to the current page, so nothing was changed:\n\n"
        f"{reasons}\n\n"
        "Answer again with the complete updated document, in one ```html block, making the same change."
    )
    return [*messages, Message("assistant", answer), Message("user", request)]


def fix_request(errors_text: str, note: str | None) -> str:
    """The request of a fix: the runtime errors, presented by the fix template, and the person's own words."""
    text = system_prompt(FIX_PROMPT_FILE).text.replace("{errors}", errors_text)
    return f"{text}\n\n{note}" if note else text
