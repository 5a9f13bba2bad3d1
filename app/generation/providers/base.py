"""What every model provider is: one async generator of text chunks and a usage record.

A provider only speaks to its service. Building the messages, timing the run,
extracting the page and saving the version belong to `app.generation.generator`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Message:
    """One turn of the conversation sent to a model."""

    role: Role
    content: str


@dataclass(frozen=True)
class Usage:
    """The provider's own report of what the answer cost and why it stopped.

    `stop_reason` is normalised: "end" (the model finished), "max_tokens" (cut
    off by the token limit), or the provider's own word for anything else.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None


@dataclass(frozen=True)
class Request:
    """Everything a provider needs for one answer."""

    model: str  # the provider's own model name, without our "provider:" prefix
    system: str
    messages: Sequence[Message]
    max_tokens: int
    temperature: float | None = None


# A stream yields text chunks as they arrive and ends with exactly one Usage.
StreamItem = str | Usage


@runtime_checkable
class Provider(Protocol):
    """A source of model answers; see app/providers/*.py for the real ones."""

    name: str  # "anthropic", "openai", "demo", or a configured endpoint name
    needs_key: bool
    key_env_var: str | None  # the variable that holds the key, named in errors

    def stream(self, request: Request) -> AsyncIterator[StreamItem]:
        """Yield text chunks, then one Usage. Raise app.errors.ProviderError subclasses."""
        ...

    async def close(self) -> None:
        """Close the SDK client and its connections (kept open between answers), at shutdown."""
        ...
