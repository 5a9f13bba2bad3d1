"""The arena: one prompt to two models shown blind side by side, a vote, the reveal, and a leaderboard of the votes."""

from app.arena.leaderboard import BOOTSTRAP_ROUNDS, Standing, Vote, standings
from app.arena.matches import SIDES, VOTES, Arena, Match, MatchRecord, Side, check_side

__all__ = ["BOOTSTRAP_ROUNDS", "SIDES", "VOTES", "Arena", "Match", "MatchRecord", "Side", "Standing", "Vote", "check_side", "standings"]
