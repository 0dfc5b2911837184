"""The matcher's scores and hard rules for the people an alternative could put together.

Nothing here scores a pair itself: :func:`fit` builds the matcher's population and relations
(:mod:`mentorflow.matching.scoring`) and reads the score of every (row, column) pair from its blocks,
so a circle's or a written pair's fit is exactly the one-to-one matcher's (same weights, same rules,
same vocabulary-mapped skills). A pair a hard rule forbids (level gap, reporting line, avoid list,
former pair, committee forbid, placement, the program's skills rule, PIP) scores ``-inf``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mentorflow.cohorts.config import Weights
from mentorflow.contract.parsing import parse_ids
from mentorflow.matching import MatchInput, scoring


@dataclass(frozen=True)
class Fit:
    """Scores of ``rows`` (who is served) against ``cols`` (who serves), and what both want and offer."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    score: np.ndarray  # (rows, cols); -inf where a hard rule forbids the pair
    wanted: dict[str, frozenset[str]]  # canonical skills each person wants (matching.vocabulary)
    offered: dict[str, frozenset[str]]  # canonical skills each person offers
    apart: frozenset[frozenset[str]]  # pairs of people never put together (reporting line, avoid, forbid, former)


def fit(inp: MatchInput, rows: list[str], cols: list[str]) -> Fit:
    """The matcher's view of ``rows`` × ``cols`` (ids without a valid application are left out)."""
    pop = scoring.build_population(inp.people, inp.applications, inp.program_type, inp.rules, inp.moment,
                                   history=inp.mentor_history, affinity_setting=inp.affinity)
    apps = inp.applications
    avoid = {e: parse_ids(a) for e, a in zip(apps["employee_id"], apps.get(
        "avoid_partners", pd.Series([""] * len(apps))).fillna(""))}
    roster = inp.roster if inp.roster is not None else inp.people
    relations = scoring.relation_pairs(pop, avoid, roster,
                                       forbid_reporting_line=getattr(inp.rules, "forbid_reporting_line", True),
                                       previous=set(inp.previous_pairs), forbidden=set(inp.forbidden_pairs))
    index = pop.index
    row_ids = tuple(r for r in rows if r in index)
    col_ids = tuple(c for c in cols if c in index)
    score = np.full((len(row_ids), len(col_ids)), -np.inf)
    if row_ids and col_ids:
        r = np.array([index[e] for e in row_ids], dtype=np.int64)
        c = np.array([index[e] for e in col_ids], dtype=np.int64)
        for block in scoring.scored_blocks(pop, relations, r, c, program_type=inp.program_type, rules=inp.rules,
                                           weights=inp.weights or Weights()):
            score[block.start:block.start + len(block.people)] = block.total
    people = set(row_ids) | set(col_ids)
    names = pop.skill_names

    def skills(matrix: np.ndarray, person: str) -> frozenset[str]:
        return frozenset(names[s] for s in np.flatnonzero(matrix[index[person]] > 0))

    apart = frozenset(frozenset((pop.ids[a], pop.ids[b])) for a, b in zip(relations.rows, relations.cols)
                      if pop.ids[a] in people and pop.ids[b] in people)
    return Fit(rows=row_ids, cols=col_ids, score=score, wanted={p: skills(pop.wanted, p) for p in people},
               offered={p: skills(pop.offered, p) for p in people}, apart=apart)
