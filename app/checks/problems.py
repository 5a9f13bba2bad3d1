"""What a check found: its problems, and the outcome of one run of the browser."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# kind: what went wrong. The editor and the API show `message`; `step` names the smoke
# interaction (or the width) that caused it, `line` and `column` the page's code.
KINDS = ("load", "error", "rejection", "console_error", "blocked", "blank", "hang", "bad_text", "crash", "expectation")

MAX_PROBLEMS = 50
MAX_MESSAGE = 2_000


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    step: str | None = None
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        for name in ("step", "line", "column"):
            if (value := getattr(self, name)) is not None:
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        return cls(str(data["kind"]), str(data["message"]), data.get("step"), data.get("line"), data.get("column"))


@dataclass
class Outcome:
    """One run of a page in Chromium: the problems seen, a thumbnail, and how each expectation of a
    functional check went (evals; empty for the check every version gets)."""

    problems: list[Problem] = field(default_factory=list)
    screenshot: bytes | None = None
    duration_ms: int = 0
    expectations: list[dict[str, Any]] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        message = problem.message if len(problem.message) <= MAX_MESSAGE else problem.message[: MAX_MESSAGE - 1] + "…"
        problem = Problem(problem.kind, message, problem.step, problem.line, problem.column)
        if len(self.problems) < MAX_PROBLEMS and problem not in self.problems:
            self.problems.append(problem)
