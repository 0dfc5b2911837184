"""The own-skill constraints of several mentors per mentee (:mod:`.several` states the rule).

Besides the pair variables x_e there is a binary o_e,s for each candidate pair e = (mentee r, mentor c)
and each wanted skill s of r that c offers ("s is c's own skill for r"). With C_r,s the candidate pairs
of r that cover s and k = |C_r,s|::

    Σ_{e ∋ r} x_e ≤ N                                   (mentee_r, in the solver)
    x_e ≤ Σ_s o_e,s                                     (own_r_c: a chosen mentor has an own skill)
    Σ_{e ∈ C_r,s} x_e + (k − 1) Σ_{e ∈ C_r,s} o_e,s ≤ k   (skill_r_s, only when k ≥ 2)

If any pair owns s, at most one pair covering s is chosen, so the owner is the only chosen mentor of r
offering s; with no owner the constraint is slack. Every assignment that keeps the rule satisfies them
(give each chosen mentor one own skill), so the model forbids exactly what the rule forbids. The binaries
make it a MIP; it is built only when N > 1.
"""

from __future__ import annotations

import numpy as np
import pulp
import scipy.sparse as sp


def add_distinct_skills(prob: pulp.LpProblem, x: list, rows: np.ndarray, cols: np.ndarray,
                        covers: sp.csr_matrix) -> None:
    """The own-skill constraints of the module docstring over the model's edges (``x[i]`` is the pair
    ``rows[i]``, ``cols[i]``; ``covers`` row i is what that pair covers)."""
    covers = covers.tocoo()
    own = [pulp.LpVariable(f"o_{rows[e]}_{cols[e]}_{s}", cat=pulp.LpBinary)
           for e, s in zip(covers.row.tolist(), covers.col.tolist())]
    by_edge: dict[int, list] = {}
    for e, var in zip(covers.row.tolist(), own):
        by_edge.setdefault(e, []).append(var)
    for e in range(len(x)):
        prob.addConstraint(x[e] - pulp.lpSum(by_edge.get(e, [])) <= 0, f"own_{rows[e]}_{cols[e]}")
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (e, s) in enumerate(zip(covers.row.tolist(), covers.col.tolist())):
        groups.setdefault((int(rows[e]), s), []).append(k)
    for (row, s), members in groups.items():
        k = len(members)
        if k < 2:
            continue
        terms = [(x[int(covers.row[m])], 1) for m in members] + [(own[m], k - 1) for m in members]
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintLE,
                                             f"skill_{row}_{s}", k))
