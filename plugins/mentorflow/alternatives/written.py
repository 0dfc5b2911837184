"""Async (written) mentoring: mentors who gave a monthly budget of written questions
(``applications.async_budget``) each take up to ``max(1, async_budget // 2)`` async mentees.

The rule: a written exchange is a question and its follow-up, so a budget of *q* questions a month
serves *q // 2* people (at least one: a mentor who offered any budget takes someone). The
assignment is the one-to-one matcher's model (:mod:`mentorflow.matching.solver`) with those
capacities, over the matcher's scores and hard rules (:mod:`.fit`), with fairness ``cover`` (as many
people as possible first, then the best total fit), in two passes: people without a circle seat first,
then, with what budget is left, people who have one (they may prefer writing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mentorflow.alternatives.fit import Fit
from mentorflow.matching.solver import MatchingProblem, solve


@dataclass(frozen=True)
class WrittenPair:
    mentor: str
    mentee: str
    score: float


def seats(budget: int | None) -> int:
    """How many async mentees a monthly budget of written questions serves (0 without a budget)."""
    budget = int(budget or 0)
    return max(1, budget // 2) if budget > 0 else 0


def assign(f: Fit, budgets: dict[str, int | None], first: set[str] | None = None) -> list[WrittenPair]:
    """Async pairs of ``f.rows`` (mentees) with ``f.cols`` (mentors with a budget); ``first``: the mentees
    served before the others (None: everyone alike)."""
    room = np.array([seats(budgets.get(c)) for c in f.cols], dtype=np.int64)
    order = [[r for r in f.rows if first is None or r in first], [r for r in f.rows if first is not None
                                                                  and r not in first]]
    pairs: list[WrittenPair] = []
    for rows in order:
        if not rows or not room.any():
            continue
        pos = np.array([f.rows.index(r) for r in rows], dtype=np.int64)
        block = f.score[pos]
        ok = np.isfinite(block) & (room[None, :] > 0)
        ok &= np.array([[r != c for c in f.cols] for r in rows], dtype=bool)
        er, ec = np.nonzero(ok)
        if not len(er):
            continue
        problem = MatchingProblem(rows=er.astype(np.int64), cols=ec.astype(np.int64),
                                  score=block[er, ec].astype(np.float64), n_rows=len(rows), n_cols=len(f.cols),
                                  col_capacity=np.maximum(room, 0))
        chosen = np.flatnonzero(solve(problem, fairness="cover").chosen)
        for e in chosen.tolist():
            mentor, mentee = f.cols[int(ec[e])], rows[int(er[e])]
            room[int(ec[e])] -= 1
            pairs.append(WrittenPair(mentor, mentee, round(float(block[er[e], ec[e]]), 4)))
    return sorted(pairs, key=lambda p: (p.mentor, p.mentee))
