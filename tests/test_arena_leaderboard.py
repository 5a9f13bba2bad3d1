"""The arena's Bradley-Terry fit against worked examples whose scores are known, and the leaderboard built on it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.arena.leaderboard import ELO_SCALE, bradley_terry, comparison_matrix, elo, standings
from app.arena.leaderboard import Vote as V


def _votes(model_a: str, model_b: str, a_wins: int, b_wins: int, ties: int = 0) -> list[V]:
    return [V(model_a, model_b, "a")] * a_wins + [V(model_a, model_b, "b")] * b_wins + [V(model_a, model_b, "tie")] * ties


def test_three_models_whose_results_match_their_strengths_exactly() -> None:
    """Strengths 1 : 2 : 4. Every pair's results are exactly what the model predicts (x beats y
    with chance s_x / (s_x + s_y)): x–y 1 to 2, x–z 1 to 4, y–z 1 to 2. Then each model's wins
    equal its expected wins, which is the likelihood's optimum, so the fit must give back 1 : 2 : 4:
    log-strengths ln 2 apart, 400·log10(2) ≈ 120.4 Elo points."""
    votes = _votes("x", "y", 1, 2) + _votes("x", "z", 1, 4) + _votes("y", "z", 1, 2)
    params = bradley_terry(comparison_matrix(votes, ["x", "y", "z"]), alpha=0)
    assert np.exp(params - params[0]) == pytest.approx([1, 2, 4], rel=1e-6)
    assert params.sum() == pytest.approx(0, abs=1e-9)
    scores = elo(params)
    assert scores[1] - scores[0] == pytest.approx(400 * math.log10(2), rel=1e-6) == pytest.approx(120.41, abs=0.01)
    assert scores.mean() == pytest.approx(1000)


def test_two_models_strengths_are_the_ratio_of_their_wins() -> None:
    """With two models the likelihood is maximal at s_x / s_y = wins / losses (7 to 3 here)."""
    params = bradley_terry(comparison_matrix(_votes("x", "y", 7, 3), ["x", "y"]), alpha=0)
    assert math.exp(params[0] - params[1]) == pytest.approx(7 / 3, rel=1e-6)


def test_a_tie_and_both_bad_are_half_a_win_to_each_side() -> None:
    """3 wins, 1 loss, a tie and a "both bad": 4 to 2, so x is twice as strong as y."""
    votes = [*_votes("x", "y", 3, 1, ties=1), V("y", "x", "both_bad")]
    matrix = comparison_matrix(votes, ["x", "y"])
    assert matrix.tolist() == [[4, 0], [0, 2]] or matrix.tolist() == [[0, 4], [2, 0]]
    params = bradley_terry(matrix, alpha=0)
    assert math.exp(params[0] - params[1]) == pytest.approx(2, rel=1e-6)


def test_the_fit_of_uneven_results_solves_the_likelihood_equations() -> None:
    """Four models, results that fit no strengths exactly: at the maximum-likelihood estimate each
    model's wins equal the wins the fitted strengths predict (Zermelo's equations)."""
    models = ["w", "x", "y", "z"]
    votes = _votes("w", "x", 5, 2) + _votes("w", "y", 1, 3, ties=2) + _votes("x", "y", 4, 4) + _votes("x", "z", 0, 3) + _votes("y", "z", 2, 5) + _votes("w", "z", 3, 1)
    matrix = comparison_matrix(votes, models)
    strengths = np.exp(bradley_terry(matrix, alpha=0))
    games = matrix + matrix.T
    for i in range(len(models)):
        expected = sum(games[i, j] * strengths[i] / (strengths[i] + strengths[j]) for j in range(len(models)) if j != i)
        assert matrix[i].sum() == pytest.approx(expected, rel=1e-6)


def test_a_model_that_won_every_vote_gets_a_finite_score_that_grows_with_the_votes() -> None:
    one = elo(bradley_terry(comparison_matrix(_votes("x", "y", 1, 0), ["x", "y"])))
    ten = elo(bradley_terry(comparison_matrix(_votes("x", "y", 10, 0), ["x", "y"])))
    assert np.isfinite(ten).all()
    assert 1000 < one[0] < ten[0] and ten[1] < one[1] < 1000
    assert one[0] - one[1] < 200, "one vote is not much evidence"
    # With many votes the light prior fades: 60 wins to 30 is close to the unregularised 2 : 1.
    many = bradley_terry(comparison_matrix(_votes("x", "y", 60, 30), ["x", "y"]))
    assert (many[0] - many[1]) * ELO_SCALE == pytest.approx(400 * math.log10(2), abs=5)


def test_standings_rank_count_and_bracket_each_score() -> None:
    votes = _votes("strong", "weak", 8, 2) + _votes("strong", "middling", 5, 3, ties=1) + _votes("middling", "weak", 6, 2) + [V("weak", "middling", "both_bad")]
    board = standings(votes, {"strong": 0.75})
    assert [s.model for s in board] == ["strong", "middling", "weak"]
    assert [s.rank for s in board] == [1, 2, 3]
    rows = {s.model: s for s in board}
    assert (rows["strong"].votes, rows["strong"].wins, rows["strong"].losses, rows["strong"].ties) == (19, 13, 5, 1)
    assert (rows["weak"].votes, rows["weak"].wins, rows["weak"].losses, rows["weak"].ties) == (19, 4, 14, 1)
    assert (rows["middling"].votes, rows["middling"].win_rate) == (18, 9 / 18)
    assert (rows["strong"].check_pass_rate, rows["weak"].check_pass_rate) == (0.75, None)
    for row in board:
        assert row.low <= row.score <= row.high
    assert board == standings(votes, {"strong": 0.75}), "the same votes always give the same board"
    more = standings(votes * 4)
    width = {s.model: s.high - s.low for s in board}
    assert all(s.high - s.low < width[s.model] for s in more), "four times the votes, narrower intervals"
    assert rows["strong"].to_json()["interval"] == [round(rows["strong"].low, 1), round(rows["strong"].high, 1)]


def test_no_votes_no_board() -> None:
    assert standings([]) == []
