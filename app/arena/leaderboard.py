"""The arena's leaderboard: Bradley-Terry scores fitted to the votes, with bootstrap intervals.

A vote between two models is one comparison: "a" or "b" is a win, "tie" and
"both_bad" are half a win each (a tie says neither was better; so does "both
bad", as Chatbot Arena counts it). The fit is choix's iterative Luce Spectral
Ranking, the maximum-likelihood Bradley-Terry estimate, lightly regularised: a
model that won every vote still gets a finite score, and one vote moves a score
by about 60 points, not hundreds; with many votes the prior fades (60 wins to 30
lands within 2 points of the unregularised fit). Scores are shown on
the Elo scale: 1000 on average, and 400 points apart mean ten to one odds.
The 95 % interval of each score comes from refitting on votes drawn again, with
replacement, a fixed number of times with a fixed seed, so the same votes
always give the same board.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import choix
import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]

ALPHA = 0.5  # choix's regularisation: the prior rate between every two models
BOOTSTRAP_ROUNDS = 200
SEED = 20260
ELO_SCALE = 400 / math.log(10)  # Elo points per unit of log-strength
ELO_BASE = 1000.0


@dataclass(frozen=True)
class Vote:
    """One voted match as the leaderboard reads it."""

    model_a: str
    model_b: str
    vote: str  # a | b | tie | both_bad


@dataclass(frozen=True)
class Standing:
    """One model's row of the board."""

    model: str
    rank: int
    score: float
    low: float  # the 95 % bootstrap interval of the score
    high: float
    votes: int
    wins: int
    losses: int
    ties: int  # ties and "both bad" together
    check_pass_rate: float | None = None  # share of its versions whose automatic check passed

    @property
    def win_rate(self) -> float:
        return self.wins / self.votes if self.votes else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "rank": self.rank,
            "score": round(self.score, 1),
            "interval": [round(self.low, 1), round(self.high, 1)],
            "votes": self.votes,
            "wins": self.wins,
            "losses": self.losses,
            "ties": self.ties,
            "win_rate": round(self.win_rate, 4),
            "check_pass_rate": None if self.check_pass_rate is None else round(self.check_pass_rate, 4),
        }


def comparison_matrix(votes: Sequence[Vote], models: Sequence[str]) -> Floats:
    """`m[i, j]`: the wins of model i over model j, a tie counting half to each."""
    index = {model: i for i, model in enumerate(models)}
    matrix = np.zeros((len(models), len(models)))
    for vote in votes:
        a, b = index[vote.model_a], index[vote.model_b]
        if vote.vote == "a":
            matrix[a, b] += 1
        elif vote.vote == "b":
            matrix[b, a] += 1
        else:
            matrix[a, b] += 0.5
            matrix[b, a] += 0.5
    return matrix


def bradley_terry(matrix: Floats, alpha: float = ALPHA) -> Floats:
    """Log-strengths (mean 0) that maximise the Bradley-Terry likelihood of `matrix`."""
    if len(matrix) < 2:
        return np.zeros(len(matrix))
    params: Floats = choix.ilsr_pairwise_dense(matrix, alpha=alpha, max_iter=1000, tol=1e-10)
    centred: Floats = params - params.mean()
    return centred


def elo(params: Floats) -> Floats:
    return ELO_BASE + ELO_SCALE * params


def standings(votes: Sequence[Vote], pass_rates: Mapping[str, float] | None = None, *, rounds: int = BOOTSTRAP_ROUNDS, seed: int = SEED) -> list[Standing]:
    """Every model that has a vote, best first. Runs the fits: call it off the event loop."""
    models = sorted({v.model_a for v in votes} | {v.model_b for v in votes})
    if not models:
        return []
    scores = elo(bradley_terry(comparison_matrix(votes, models)))
    rng = np.random.default_rng(seed)
    resampled = np.empty((rounds, len(models)))
    for r in range(rounds):
        drawn = [votes[i] for i in rng.integers(0, len(votes), len(votes))]
        resampled[r] = elo(bradley_terry(comparison_matrix(drawn, models)))
    low, high = np.percentile(resampled, [2.5, 97.5], axis=0)
    tally = {m: [0, 0, 0, 0] for m in models}  # votes, wins, losses, ties
    for vote in votes:
        for model, side in ((vote.model_a, "a"), (vote.model_b, "b")):
            counts = tally[model]
            counts[0] += 1
            if vote.vote == side:
                counts[1] += 1
            elif vote.vote in ("a", "b"):
                counts[2] += 1
            else:
                counts[3] += 1
    order = sorted(range(len(models)), key=lambda i: (-scores[i], models[i]))
    return [
        Standing(
            model=models[i],
            rank=rank,
            score=float(scores[i]),
            low=float(low[i]),
            high=float(high[i]),
            votes=tally[models[i]][0],
            wins=tally[models[i]][1],
            losses=tally[models[i]][2],
            ties=tally[models[i]][3],
            check_pass_rate=(pass_rates or {}).get(models[i]),
        )
        for rank, i in enumerate(order, start=1)
    ]
