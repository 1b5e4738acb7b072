"""Consensus among rankings: the aggregate order by Borda count and the agreement among respondents by Kendall's W.

A ranking is what one respondent gave: option value -> rank (1 first). Options it leaves out are unranked; ties (two
options at one rank) are allowed here, although the respondent form refuses them. Both figures are built from sums over
respondents (`RankTotals`), so that a read model can keep the sums and compute the figures without the answers.

- Borda: an option at position p of n options earns n − p + 1 points from that respondent (tied options share the
  points of the positions they fill, i.e. they are at their mid-rank); an unranked option earns nothing. An option's
  score is the sum over respondents.
- Kendall's W (coefficient of concordance), with the correction for ties:

      W = 12 S / (m² (n³ − n) − m Σ T),   S = Σ_i (R_i − m (n + 1) / 2)²,   T = Σ over tie groups of (t³ − t)

  for m respondents ranking n options, R_i the sum of option i's ranks. A partial ranking puts the options it leaves out
  in a tie after the ranked ones, at the mid-rank of the remaining positions. W is 1 when all rank alike, 0 when the
  rank sums are all equal; it equals the Friedman statistic (with scipy's tie correction) divided by m (n − 1).
  It is None with fewer than MIN_RANKINGS_FOR_W rankings: with two, agreement says little.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: Rankings Kendall's W needs before it is given.
MIN_RANKINGS_FOR_W = 3

#: One respondent's ranking: option value -> rank (1 first); options left out are unranked.
Ranking = Mapping[str, float]


def mid_ranks(ranking: Ranking, options: Sequence[str]) -> dict[str, float]:
    """Every option's position among `options` as a number from 1 to n: ranked options in their order, tied options at
    the mean of the positions they fill, unranked options tied after them all."""
    ranked = sorted((r, v) for v, r in ranking.items() if v in options)
    out: dict[str, float] = {}
    position = 1
    i = 0
    while i < len(ranked):
        group = [v for r, v in ranked if r == ranked[i][0]]
        for v in group:
            out[v] = position + (len(group) - 1) / 2
        position += len(group)
        i += len(group)
    rest = [v for v in options if v not in out]
    for v in rest:
        out[v] = position + (len(rest) - 1) / 2
    return out


def tie_term(ranking: Ranking, options: Sequence[str]) -> float:
    """Σ (t³ − t) over the groups of options that share a mid-rank (the unranked ones included)."""
    groups: dict[float, int] = {}
    for rank in mid_ranks(ranking, options).values():
        groups[rank] = groups.get(rank, 0) + 1
    return float(sum(t ** 3 - t for t in groups.values()))


def borda_points(ranking: Ranking, options: Sequence[str]) -> dict[str, float]:
    """The points one respondent gives each option it ranked: n − p + 1 at position p (mid-rank when tied)."""
    n = len(options)
    ranks = mid_ranks(ranking, options)
    return {v: n - ranks[v] + 1 for v in options if v in ranking}


@dataclass
class RankTotals:
    """What Borda and Kendall's W need, summed over the respondents: a read model keeps these."""

    options: list[str]
    #: Rankings counted (m).
    m: int = 0
    #: Sum of each option's mid-ranks (R_i).
    rank_sums: dict[str, float] = field(default_factory=dict)
    #: Sum of each option's Borda points (its score).
    points: dict[str, float] = field(default_factory=dict)
    #: Σ over respondents of their tie term.
    ties: float = 0.0

    def add(self, ranking: Ranking) -> RankTotals:
        self.m += 1
        for v, r in mid_ranks(ranking, self.options).items():
            self.rank_sums[v] = self.rank_sums.get(v, 0.0) + r
        for v, p in borda_points(ranking, self.options).items():
            self.points[v] = self.points.get(v, 0.0) + p
        self.ties += tie_term(ranking, self.options)
        return self


def totals(rankings: Iterable[Ranking], options: Sequence[str]) -> RankTotals:
    out = RankTotals(list(options))
    for ranking in rankings:
        out.add(ranking)
    return out


def borda_order(t: RankTotals) -> list[tuple[str, float]]:
    """(option, score) from the highest score down; equal scores keep the options' own order."""
    scores = [(v, t.points.get(v, 0.0)) for v in t.options]
    return sorted(scores, key=lambda vs: -vs[1])


def kendall_w(t: RankTotals) -> float | None:
    """Kendall's W with the tie correction, or None with fewer than MIN_RANKINGS_FOR_W rankings or fewer than two options."""
    m, n = t.m, len(t.options)
    if m < MIN_RANKINGS_FOR_W or n < 2:
        return None
    mean = m * (n + 1) / 2
    s = sum((t.rank_sums.get(v, 0.0) - mean) ** 2 for v in t.options)
    denominator = m * m * (n ** 3 - n) - m * t.ties
    if denominator <= 0:  # every respondent tied every option: there is no order to agree on
        return None
    return 12 * s / denominator
