"""The plain assignment as the LP of :mod:`mentorflow.matching.solver`, built from arrays and solved by HiGHS's
simplex (``scipy.optimize.milp`` with no integer variable: an LP), without a PuLP object, a model file or a
solver process::

    maximise Σ_e s_e x_e   subject to   Σ_{e ∋ r} x_e ≤ 1   (mentee_r),   Σ_{e ∋ c} x_e ≤ cap_c   (mentor_c),
                           0 ≤ x_e ≤ 1

The constraint matrix is totally unimodular, so every vertex of the polytope is integral and a simplex
method, which ends on a vertex, returns a 0/1 solution with the LP's optimal value: the same optimum as the
PuLP model and the sparse exact path (``tests/test_sparse_exact.py`` compares all three); only ties may pick
different pairs. The answer is checked rather than trusted: a status other than optimal, or any x further than
1e-6 from 0 or 1, returns None and the caller solves another way.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mentorflow.matching.heap import release_free_memory

TOLERANCE = 1e-6


def solve_assignment(rows: np.ndarray, cols: np.ndarray, score: np.ndarray, n_rows: int, n_cols: int,
                     col_capacity: np.ndarray) -> np.ndarray | None:
    """Boolean per edge: a maximum-score choice with each row at most once and column c at most
    ``col_capacity[c]`` times; None when HiGHS did not end on an optimal 0/1 vertex."""
    from scipy.optimize import Bounds, LinearConstraint, milp  # lazy: ~0.3 s to import, only a solve needs it

    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    score = np.asarray(score, dtype=np.float64)
    n = len(score)
    if n == 0:
        return np.zeros(0, dtype=bool)
    release_free_memory()
    edge = np.arange(n)
    # one row per mentee (mentee_r), then one per mentor (mentor_c); each edge has a 1 in both of its rows
    limits = sp.csr_matrix((np.ones(2 * n), (np.concatenate([rows, n_rows + cols]), np.concatenate([edge, edge]))),
                           shape=(n_rows + n_cols, n))
    bounds = np.concatenate([np.ones(n_rows), np.asarray(col_capacity, dtype=np.float64)])
    # no integrality: an LP, which HiGHS solves by simplex; without presolve it holds about a third less memory
    # and took less time on the 121,500-person company (docs/performance.md, target 4)
    found = milp(-score, constraints=LinearConstraint(limits, -np.inf, bounds), bounds=Bounds(0, 1),
                 options={"presolve": False})
    if found.status != 0 or found.x is None:
        return None
    x = found.x
    if np.any(np.abs(x - np.round(x)) > TOLERANCE):
        return None
    return x > 0.5
