"""Several mentors per mentee (``matching.rules.mentors_per_mentee``, traditional and reverse programs).

The rule: a mentee gets at most N mentors, every one of them offers at least one of the mentee's wanted
skills (a hard mask, :func:`mentorflow.matching.scoring.teaches`), and each of a mentee's mentors offers a
wanted skill that none of the mentee's other mentors offers (its *own* skill). So a second mentor always
adds a skill the first does not cover, and a third one a skill neither of the others covers. "Offers"
means at any level, as in the skills score. With N = 1 nothing here runs: the model is the plain one.

The PuLP constraints that enforce it are in :mod:`.several_model`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def edge_covers(wanted: np.ndarray, offered: np.ndarray, mentees: np.ndarray, mentors: np.ndarray) -> sp.csr_matrix:
    """(edges, S) boolean: the mentee's wanted skills that the mentor offers, per candidate pair."""
    return sp.csr_matrix((wanted[mentees] > 0) & (offered[mentors] > 0))


def each_adds_a_skill(covers: list[set[str]]) -> bool:
    """The rule over one mentee's mentors, given each mentor's covered wanted skills: every mentor covers
    a skill no other one does (one mentor: covers any wanted skill)."""
    for i, mine in enumerate(covers):
        others = set().union(*(c for j, c in enumerate(covers) if j != i))
        if not mine - others:
            return False
    return True


def own_skills(covers: list[set[str]]) -> list[list[str]]:
    """For each of one mentee's mentors, the wanted skills only that mentor covers (sorted)."""
    return [sorted(mine - set().union(*(c for j, c in enumerate(covers) if j != i))) for i, mine in enumerate(covers)]


def explain_own_skills(pairs, pop, max_reasons: int):
    """``pairs`` (the proposal frame) with a first reason for every mentee who has several mentors: which
    wanted skills each mentor is there for ("the mentee's mentor for negotiation ...")."""
    index = pop.index
    out = pairs.copy()
    for _, group in pairs.groupby("mentee_id"):
        if len(group) < 2:
            continue
        learner = index[group["mentee_id"].iloc[0]]
        covers = [{pop.skill_names[s] for s in np.flatnonzero((pop.wanted[learner] > 0) & (pop.offered[index[m]] > 0))}
                  for m in group["mentor_id"]]
        for row, own in zip(group.index, own_skills(covers)):
            if not own:  # never happens for a proposal the model made; say nothing rather than something false
                continue
            said = f"the mentee's mentor for {' and '.join(own)} (each of their {len(group)} mentors covers a different wanted skill)"
            reasons = [r for r in str(out.at[row, "explanation"]).split("; ") if r and r != "best available partner"]
            at = 1 if reasons and reasons[0] == "locked by the matching committee" else 0
            out.at[row, "explanation"] = "; ".join([*reasons[:at], said, *reasons[at:]][:max_reasons])
    return out
