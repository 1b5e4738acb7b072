"""Borda count and Kendall's W (wfsurvey.domain.consensus) against examples worked by hand, each checked against
scipy 1.17.1: W = scipy.stats.friedmanchisquare(*columns).statistic / (m (n − 1)), where the columns are each option's
mid-ranks across the respondents (scipy applies the same tie correction)."""
from __future__ import annotations

import pytest

from wfsurvey.domain.consensus import (
    MIN_RANKINGS_FOR_W,
    borda_order,
    borda_points,
    kendall_w,
    mid_ranks,
    tie_term,
    totals,
)

ABC = ["a", "b", "c"]
ABCD = ["a", "b", "c", "d"]


def test_full_agreement_gives_w_of_one_and_borda_points_n_minus_p_plus_one():
    t = totals([{"a": 1, "b": 2, "c": 3}] * 3, ABC)
    assert kendall_w(t) == pytest.approx(1.0)
    # 3 options: first earns 3, second 2, third 1; three respondents.
    assert borda_order(t) == [("a", 9.0), ("b", 6.0), ("c", 3.0)]


def test_four_complete_rankings_worked_by_hand():
    rankings = [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 3, "c": 2}, {"a": 2, "b": 1, "c": 3}, {"a": 1, "b": 2, "c": 3}]
    t = totals(rankings, ABC)
    # Rank sums 5, 8, 11 around their mean m(n+1)/2 = 8: S = 9 + 0 + 9 = 18.
    assert t.rank_sums == {"a": 5.0, "b": 8.0, "c": 11.0}
    # W = 12 S / (m² (n³ − n)) = 216 / (16 × 24) = 0.5625.
    # scipy: friedmanchisquare([1,1,2,1], [2,3,1,2], [3,2,3,3]).statistic = 4.5; 4.5 / (4 × 2) = 0.5625.
    assert kendall_w(t) == pytest.approx(0.5625)
    # Borda (4 − rank): a 3+3+2+3 = 11, b 2+1+3+2 = 8, c 1+2+1+1 = 5.
    assert borda_order(t) == [("a", 11.0), ("b", 8.0), ("c", 5.0)]


def test_partial_rankings_and_ties_worked_by_hand():
    rankings = [
        {"a": 1, "b": 2},          # top 2 of 4: c and d tie after them at (3 + 4) / 2 = 3.5
        {"b": 1, "a": 2, "c": 3},  # d alone after them: 4
        {"a": 1, "b": 1, "c": 2},  # a and b tie at (1 + 2) / 2 = 1.5; c is 3rd, d 4th
    ]
    assert mid_ranks(rankings[0], ABCD) == {"a": 1, "b": 2, "c": 3.5, "d": 3.5}
    assert mid_ranks(rankings[2], ABCD) == {"a": 1.5, "b": 1.5, "c": 3, "d": 4}
    assert [tie_term(r, ABCD) for r in rankings] == [6.0, 0.0, 6.0]  # a pair is 2³ − 2 = 6
    t = totals(rankings, ABCD)
    # Rank sums 4.5, 4.5, 9.5, 11.5 around 7.5: S = 9 + 9 + 4 + 16 = 38.
    assert t.rank_sums == {"a": 4.5, "b": 4.5, "c": 9.5, "d": 11.5}
    # W = 12 × 38 / (9 × 60 − 3 × 12) = 456 / 504 = 19/21 ≈ 0.904762.
    # scipy: friedmanchisquare([1,2,1.5], [2,1,1.5], [3.5,3,3], [3.5,4,4]).statistic = 8.142857; / (3 × 3) = 0.904762.
    assert kendall_w(t) == pytest.approx(19 / 21)
    # Borda (5 − position, tied at their mid-rank, unranked nothing): a 4 + 3 + 3.5, b 3 + 4 + 3.5, c 0 + 2 + 2, d 0.
    assert borda_points(rankings[2], ABCD) == {"a": 3.5, "b": 3.5, "c": 2.0}
    # a and b tie on 10.5: the options' own order decides.
    assert borda_order(t) == [("a", 10.5), ("b", 10.5), ("c", 4.0), ("d", 0.0)]


def test_no_agreement_gives_w_of_nought():
    rankings = [{"a": 1, "b": 2, "c": 3}, {"b": 1, "c": 2, "a": 3}, {"c": 1, "a": 2, "b": 3}]
    assert kendall_w(totals(rankings, ABC)) == pytest.approx(0.0)


def test_too_few_rankings_give_no_w_but_a_borda_order():
    assert MIN_RANKINGS_FOR_W == 3
    t = totals([{"a": 1, "b": 2, "c": 3}, {"a": 1, "c": 2}], ABC)
    assert t.m == 2 and kendall_w(t) is None
    assert borda_order(t) == [("a", 6.0), ("c", 3.0), ("b", 2.0)]


def test_options_not_offered_are_ignored_and_every_tie_gives_no_w():
    t = totals([{"a": 1, "zz": 2}] * 3, ["a", "b"])
    assert t.rank_sums == {"a": 3.0, "b": 6.0} and kendall_w(t) == pytest.approx(1.0)
    assert kendall_w(totals([{"a": 1, "b": 1}] * 3, ["a", "b"])) is None
