"""Arena matches: one prompt to two models at once, shown blind as A and B, a vote, then the reveal.

Each side goes through the normal generation path (`Generator.create_app`), so
it is a real app whose version 1 is streamed, served and checked like any other;
its app has the purpose "arena", which keeps it out of the person's list until
they keep it. A match belongs to the person who started it: anyone else is told
it does not exist. The models are copied onto the match, so votes outlive the
apps, and are shown only once the match has its vote.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.arena.leaderboard import Standing, Vote, standings
from app.errors import BadRequest, Conflict, NotFound
from app.generation import Generator, ModelRegistry
from app.storage import AppRecord, Store, VersionRecord, arena_matches, iso, new_id, utc

SIDES = ("a", "b")
VOTES = ("a", "b", "tie", "both_bad")
MAX_MODEL_ID = 200  # the length the apps' versions keep
_MATCH_ID = re.compile(r"[0-9a-f]{16}")  # as app.storage.new_id makes them
_GONE = "You have no arena match {id!r}: the link may be mistyped, or the match belongs to another account."


@dataclass(frozen=True)
class MatchRecord:
    id: str
    owner_id: str
    prompt: str
    app_a_id: str | None
    app_b_id: str | None
    model_a: str
    model_b: str
    vote: str | None
    created_at: datetime
    voted_at: datetime | None

    def model(self, side: str) -> str:
        return self.model_a if side == "a" else self.model_b

    def app_id(self, side: str) -> str | None:
        return self.app_a_id if side == "a" else self.app_b_id

    def winner(self) -> str | None:
        return self.model(self.vote) if self.vote in SIDES else None

    def to_jsonl(self) -> dict[str, Any]:
        """One line of the votes export."""
        return {
            "match": self.id,
            "prompt": self.prompt,
            "model_a": self.model_a,
            "model_b": self.model_b,
            "vote": self.vote,
            "winner": self.winner(),
            "created_at": iso(self.created_at),
            "voted_at": iso(self.voted_at),
        }


@dataclass(frozen=True)
class Side:
    """One side of a match as it stands: its app and its version 1 (None once the app was deleted)."""

    letter: str
    app: AppRecord | None
    version: VersionRecord | None

    @property
    def finished(self) -> bool:
        return self.version is None or self.version.status != "generating"

    @property
    def kept(self) -> bool:
        return self.app is not None and self.app.purpose == "own"


@dataclass(frozen=True)
class Match:
    record: MatchRecord
    sides: tuple[Side, Side]

    def side(self, letter: str) -> Side:
        return self.sides[SIDES.index(letter)]

    @property
    def revealed(self) -> bool:
        return self.record.vote is not None


def _match(row: sa.Row[Any]) -> MatchRecord:
    data = dict(row._mapping)
    data["created_at"], data["voted_at"] = utc(data["created_at"]), utc(data["voted_at"])
    return MatchRecord(**data)


def check_side(letter: object) -> str:
    if letter not in SIDES:
        raise NotFound(f"A match has two sides, “a” and “b”, not {letter!r}.")
    return str(letter)


class Arena:
    """Starts matches, records votes, keeps sides as apps, and ranks the models of one person's votes."""

    def __init__(self, store: Store, generator: Generator, registry: ModelRegistry) -> None:
        self.store = store
        self.generator = generator
        self.registry = registry
        self._random = random.SystemRandom()

    def candidates(self) -> list[str]:
        """The models a match may draw: every configured model that can answer, not the offline demo."""
        return [m.id for m in self.registry.list() if m.usable and not m.is_demo]

    def _pick(self, models: object) -> tuple[str, str]:
        """Two different models, in random order: those asked for, the rest drawn from the candidates."""
        if models is None:
            models = []
        if not isinstance(models, list) or len(models) > 2 or not all(isinstance(m, str) and m.strip() and m.isprintable() and len(m) <= MAX_MODEL_ID for m in models):
            raise BadRequest("“models” must be a list of at most two model ids, such as [\"openai:gpt-5.4-mini\"]; leave it out to draw both at random.")
        chosen = [m.strip() for m in models]
        if len(set(chosen)) < len(chosen):
            raise BadRequest("Pick two different models: the arena compares one model with another.")
        pool = [m for m in self.candidates() if m not in chosen]
        missing = 2 - len(chosen)
        if len(pool) < missing:
            raise BadRequest(
                "The arena needs two models that can answer, and this Toolsmith has "
                f"{len(self.candidates())}: set another provider's key, or add an endpoint to toolsmith.toml (docs/configuration.md), then restart."
            )
        pair = [*chosen, *self._random.sample(pool, missing)]
        for model in pair:
            self.registry.resolve(model)  # an unknown model or a missing key is refused before anything is written
        self._random.shuffle(pair)
        return pair[0], pair[1]

    async def start(self, prompt: object, models: object = None, *, owner_id: str) -> Match:
        """A new match of `owner_id`: both sides start generating at once."""
        model_a, model_b = self._pick(models)
        app_a, version_a = await self.generator.create_app(prompt, model_a, owner_id=owner_id, purpose="arena")
        app_b, version_b = await self.generator.create_app(version_a.prompt, model_b, owner_id=owner_id, purpose="arena")
        record = MatchRecord(new_id(), owner_id, version_a.prompt, app_a.id, app_b.id, model_a, model_b, None, datetime.now(UTC), None)
        async with self.store.engine.begin() as conn:
            await conn.execute(arena_matches.insert().values(**asdict(record)))
        return Match(record, (Side("a", app_a, version_a), Side("b", app_b, version_b)))

    async def _owned(self, match_id: str, owner_id: str) -> MatchRecord:
        if not _MATCH_ID.fullmatch(match_id):  # not one of ours (and never a NUL byte sent to the database)
            raise NotFound(_GONE.format(id=match_id[:40]))
        async with self.store.engine.connect() as conn:
            row = (await conn.execute(sa.select(arena_matches).where(arena_matches.c.id == match_id, arena_matches.c.owner_id == owner_id))).first()
        if row is None:
            raise NotFound(_GONE.format(id=match_id[:40]))
        return _match(row)

    async def _side(self, record: MatchRecord, letter: str) -> Side:
        app_id = record.app_id(letter)
        if app_id is None:
            return Side(letter, None, None)
        try:
            return Side(letter, await self.store.get_app(app_id), await self.store.get_version(app_id, 1))
        except NotFound:
            return Side(letter, None, None)

    async def get(self, match_id: str, owner_id: str) -> Match:
        """The match if `owner_id` started it; NotFound alike whether it is someone else's or does not exist."""
        record = await self._owned(match_id, owner_id)
        return Match(record, (await self._side(record, "a"), await self._side(record, "b")))

    async def vote(self, match_id: str, owner_id: str, vote: object) -> Match:
        """Record the person's verdict, once both sides have finished; the match is revealed from then on."""
        if not isinstance(vote, str) or vote not in VOTES:
            raise BadRequest("“vote” must be “a”, “b”, “tie” or “both_bad”.")
        match = await self.get(match_id, owner_id)
        if match.revealed:
            raise Conflict("This match already has its vote: start a new match to vote again.")
        if not all(side.finished for side in match.sides):
            raise Conflict("A side is still being written: try both once they have finished, then vote.")
        async with self.store.engine.begin() as conn:
            done = await conn.execute(
                arena_matches.update().where(arena_matches.c.id == match_id, arena_matches.c.vote.is_(None)).values(vote=vote, voted_at=datetime.now(UTC))
            )
        if done.rowcount != 1:  # another request voted first
            raise Conflict("This match already has its vote: start a new match to vote again.")
        return await self.get(match_id, owner_id)

    async def keep(self, match_id: str, owner_id: str, letter: object) -> AppRecord:
        """Make one side an app of the person's own (its version 1 is the side's page); again, the same app."""
        match = await self.get(match_id, owner_id)
        side = match.side(check_side(letter))
        if not match.revealed:
            raise Conflict("Vote first: a side can be kept once the models are revealed.")
        if side.app is None or side.version is None:
            raise NotFound("This side's app was deleted, so there is nothing to keep.")
        if not side.version.html:
            raise BadRequest("This side has no page (its answer failed), so there is nothing to keep: keep the other side, or start a new match.")
        return side.app if side.kept else await self.store.set_purpose(side.app.id, "own")

    async def voted(self, owner_id: str) -> list[MatchRecord]:
        """The person's voted matches, oldest first."""
        async with self.store.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(arena_matches).where(arena_matches.c.owner_id == owner_id, arena_matches.c.vote.is_not(None)).order_by(arena_matches.c.voted_at, arena_matches.c.id)
            )
            return [_match(r) for r in rows]

    async def recent(self, owner_id: str, limit: int = 20) -> list[MatchRecord]:
        """The person's latest matches, newest first."""
        async with self.store.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(arena_matches).where(arena_matches.c.owner_id == owner_id).order_by(arena_matches.c.created_at.desc(), arena_matches.c.id).limit(limit)
            )
            return [_match(r) for r in rows]

    async def leaderboard(self, owner_id: str, pass_rates: Mapping[str, float] | None = None) -> tuple[list[Standing], int]:
        """The models of the person's votes, ranked, and the number of votes; the fits run off the event loop."""
        votes = [Vote(m.model_a, m.model_b, m.vote) for m in await self.voted(owner_id) if m.vote]
        return await asyncio.to_thread(standings, votes, pass_rates), len(votes)
