"""Who a matching run works on, before anything is scored: the population, the hard relationship rules, the
people who look for a partner (rows) and the mentors with room (columns). :func:`mentorflow.matching.engine.propose`
solves over it; the self-selection recommendations (:mod:`mentorflow.selection.recommend`) score the same
rows and columns with the same rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mentorflow.cohorts.config import Weights
from mentorflow.contract.parsing import parse_ids
from mentorflow.matching import scoring
from mentorflow.matching.inputs import MatchInput


def _rule(rules, name: str, default):
    return getattr(rules, name, default)


@dataclass
class Prepared:
    """What a matching run works on: the population, its relationship rules, the mentees who look for a
    partner (``rows``) and the mentors with room (``cols``, ``capacity``), and the scoring options."""

    pop: scoring.Population
    relations: scoring.PairRules
    rows: np.ndarray
    cols: np.ndarray
    capacity: np.ndarray
    common: dict
    kind: str
    weights: Weights
    symmetric: bool
    per_mentee: int


def prepare(inp: MatchInput) -> Prepared:
    """The population, the hard relationship rules and who is a row (seeks a partner) and a column (a
    mentor with room) for ``inp``: what :func:`propose` solves over, and what the self-selection
    recommendations score (``scoring.scored_blocks(p.pop, p.relations, p.rows, p.cols, **p.common)``)."""
    rules, kind = inp.rules, inp.program_type
    weights = inp.weights or Weights()
    symmetric = kind == "symbiotic"
    per_mentee = int(_rule(rules, "mentors_per_mentee", 1))
    if per_mentee > 1 and kind in ("symbiotic", "group"):
        raise ValueError(f"mentors_per_mentee {per_mentee}: a {kind} program pairs each person once; several "
                         "mentors per mentee are for traditional and reverse programs")
    pop = scoring.build_population(inp.people, inp.applications, kind, rules, inp.moment, inp.seekers,
                                   history=inp.mentor_history, affinity_setting=inp.affinity)
    index = pop.index
    avoid = {e: parse_ids(a) for e, a in zip(inp.applications["employee_id"], inp.applications.get(
        "avoid_partners", pd.Series([""] * len(inp.applications))).fillna(""))}
    roster = inp.roster if inp.roster is not None else inp.people
    relations = scoring.relation_pairs(pop, avoid, roster, forbid_reporting_line=_rule(rules, "forbid_reporting_line", True),
                                       previous=set(inp.previous_pairs), forbidden=set(inp.forbidden_pairs))

    # people in fixed pairs (midpoint: healthy pairs stay) use up capacity and look for no one
    load = np.zeros(len(pop.ids), dtype=np.int64)
    busy = np.zeros(len(pop.ids), dtype=bool)
    for mentor, mentee in inp.fixed_pairs:
        if mentor in index:
            load[index[mentor]] += 1
            busy[index[mentor]] |= symmetric
        if mentee in index:
            busy[index[mentee]] = True
    everyone = np.arange(len(pop.ids))
    seeking = np.ones(len(pop.ids), dtype=bool) if pop.seeks is None else pop.seeks
    if symmetric:  # a pair of two non-seekers is ruled out by the masks (scoring.block_rules)
        rows = cols = everyone[~busy]
        capacity = np.ones(len(cols), dtype=np.int64)
    else:
        rows = everyone[pop.is_mentee & ~busy & seeking]
        mentors = everyone[pop.is_mentor]
        room = pop.capacity[mentors] - load[mentors]
        cols, capacity = mentors[room > 0], room[room > 0]
    return Prepared(pop, relations, rows, cols, capacity, {"program_type": kind, "rules": rules, "weights": weights},
                    kind, weights, symmetric, per_mentee)
