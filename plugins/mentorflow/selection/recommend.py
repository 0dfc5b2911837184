"""Recommended mentors for the self-selection window (decide: plain data in, plain data out).

Scores, hard rules and reasons are the matcher's own: :func:`mentorflow.matching.prepare.prepare` gives
the mentees who look for a partner and the mentors with room, :func:`mentorflow.matching.scoring.scored_blocks`
scores every pair with every hard rule as a mask (reporting line, level gap, avoid lists, forbids, former
pairs, placement, the skills rule, ``min_score``), and :func:`mentorflow.matching.explain.pair_reasons` says
why. Nothing here scores a pair a second way.

The popularity cap spreads the requests: a mentor is shown to at most ``cap`` mentees. Mentees with the
fewest feasible mentors choose first, each taking their best mentors that still have room under the cap.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mentorflow.matching import explain, scoring
from mentorflow.matching.inputs import COMPONENTS, MatchInput
from mentorflow.matching.prepare import prepare

COLUMNS = ["mentee_id", "mentor_id", "rank", "score", "explanation"]


@dataclass(frozen=True)
class Option:
    """One feasible mentor for a mentee: the matcher's score and its components."""

    mentor_id: str
    score: float
    parts: tuple[float, ...]


def default_cap(recommendations: int, mentees: int, mentors: int) -> int:
    """Enough room for every mentee to see ``recommendations`` mentors, plus one:
    ceil(recommendations × mentees / mentors) + 1."""
    return math.ceil(recommendations * mentees / mentors) + 1 if mentors else 0


def assign(feasible: dict[str, list[str]], count: int, cap: int) -> dict[str, list[str]]:
    """Which mentors each mentee is shown, best first. ``feasible``: per mentee, the mentors that break no
    hard rule, best first. Mentees with the fewest feasible mentors go first (ties by id); each takes their
    best mentors still shown to fewer than ``cap`` mentees, at most ``count``."""
    shown: Counter[str] = Counter()
    out: dict[str, list[str]] = {}
    for mentee in sorted(feasible, key=lambda m: (len(feasible[m]), m)):
        picks = [mentor for mentor in feasible[mentee] if shown[mentor] < cap][:count]
        shown.update(picks)
        out[mentee] = picks
    return out


def feasible_options(inp: MatchInput) -> tuple[dict[str, list[Option]], object]:
    """Per mentee who looks for a partner, every mentor with room that breaks no hard rule, best first
    (ties by mentor id); and the prepared run (for the reasons)."""
    prep = prepare(inp)
    pop = prep.pop
    out: dict[str, list[Option]] = {}
    for block in scoring.scored_blocks(pop, prep.relations, prep.rows, prep.cols, **prep.common):
        for i, person in enumerate(block.people):
            allowed = np.flatnonzero(np.isfinite(block.total[i]))
            options = [Option(pop.ids[prep.cols[j]], float(block.total[i, j]),
                              tuple(float(block.parts[n][i, j]) for n in COMPONENTS)) for j in allowed]
            out[pop.ids[person]] = sorted(options, key=lambda o: (-o.score, o.mentor_id))
    return out, prep


def recommend(inp: MatchInput, count: int, popularity_cap: int | None = None) -> pd.DataFrame:
    """Each mentee's recommended mentors (``COLUMNS``: rank 1 is the best fit shown), with the matcher's
    true reasons. A symbiotic program has no mentors to choose from: nothing is recommended."""
    if inp.program_type == "symbiotic":
        return pd.DataFrame(columns=COLUMNS)
    options, prep = feasible_options(inp)
    cap = popularity_cap or default_cap(count, len(prep.rows), len(prep.cols))
    chosen = assign({m: [o.mentor_id for o in opts] for m, opts in options.items()}, count, cap)
    pop, weights = prep.pop, scoring.weight_vector(prep.weights)
    index = pop.index
    records = []
    for mentee in sorted(chosen):
        by_mentor = {o.mentor_id: o for o in options[mentee]}
        for rank, mentor in enumerate(chosen[mentee], 1):
            option = by_mentor[mentor]
            why = explain.pair_reasons(pop, index[mentee], index[mentor], np.asarray(option.parts), weights, prep.kind)
            records.append({"mentee_id": mentee, "mentor_id": mentor, "rank": rank, "score": round(option.score, 4),
                            "explanation": "; ".join(why) or "best available partner"})
    return pd.DataFrame(records, columns=COLUMNS)
