"""How many version streams each person has open: a limit, so that no one can hold the server's connections."""

from __future__ import annotations

from collections import Counter

from app.errors import TooManyStreams


class OpenStreams:
    """Counts open streams per person; one past `limit` is refused until another closes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def acquire(self, user_id: str) -> None:
        if self._open[user_id] >= self.limit:
            raise TooManyStreams(
                f"You have {self.limit} streams open already, the limit (TOOLSMITH_STREAMS_PER_PERSON): "
                "close a tab that follows a version, or wait for one to finish, then try again."
            )
        self._open[user_id] += 1

    def release(self, user_id: str) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]

    def count(self, user_id: str) -> int:
        return self._open[user_id]
