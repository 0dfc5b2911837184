"""The plain assignment solved exactly on the sparse candidate graph, without building a model.

When a bipartite round asks for nothing beyond the b-matching itself (no committee lock, fairness
``none``, one mentor per mentee), the model of :mod:`mentorflow.matching.solver`::

    maximise Σ_e s_e x_e   subject to   Σ_{e ∋ r} x_e ≤ 1,   Σ_{e ∋ c} x_e ≤ cap_c,   x ≥ 0

is a maximum-weight b-matching, and :func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`
(LAPJVsp, a sparse Jonker–Volgenant) solves it exactly once it is made a *full* assignment:

- a mentor of capacity k becomes min(k, its candidate count) columns, each with all of the mentor's pairs
  (copies beyond the candidate count could never all be used);
- every mentee gets a column of its own meaning "unmatched", so a full matching of the mentees always
  exists, a mentee with no candidate included;
- costs are ``M − s_e`` for a pair and ``M`` for "unmatched", with ``M`` above every score: every cost is
  positive (LAPJVsp reads a zero as a missing edge) and minimising ``Σ cost = n·M − Σ s`` maximises the score.

A pair with a score ≤ 0 is never worth more than leaving the mentee unmatched, as in the LP (which may take
a zero-score pair or not: the optimum is the same). The result has the LP's optimal value on the same
candidates (``tests/test_sparse_exact.py`` compares them); only ties may pick different pairs.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


def needs_model(*, symmetric: bool, fairness: str, locks: int, several: bool) -> str | None:
    """None when a round is the plain assignment this module solves exactly, else the side constraint that
    needs the PuLP model (the model of record): a symbiotic cohort, a fairness mode, committee locks, or
    several mentors per mentee. Forbidden pairs and every other hard rule are masks applied while scoring:
    they never reach either path as a candidate."""
    if symmetric:
        return "symbiotic cohort (a matching on a general graph)"
    if fairness != "none":
        return f"fairness {fairness}"
    if locks:
        return "committee locks"
    if several:
        return "several mentors per mentee"
    return None


def applies(p, fairness: str) -> str | None:
    """:func:`needs_model` for a :class:`~mentorflow.matching.solver.MatchingProblem`."""
    return needs_model(symmetric=p.symmetric, fairness=fairness, locks=len(p.locked),
                       several=p.row_capacity is not None or p.edge_covers is not None)


def solve_assignment(rows: np.ndarray, cols: np.ndarray, score: np.ndarray, n_rows: int,
                     col_capacity: np.ndarray) -> np.ndarray:
    """Boolean per edge: a maximum-score choice with each row at most once and column c at most
    ``col_capacity[c]`` times. Duplicate (row, col) edges are allowed; at most one of them is chosen."""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    score = np.asarray(score, dtype=np.float64)
    chosen = np.zeros(len(score), dtype=bool)
    keep = np.flatnonzero((score > 0) & (np.asarray(col_capacity)[cols] > 0)) if len(score) else np.zeros(0, int)
    if len(keep) == 0 or n_rows == 0:
        return chosen
    # one edge per (row, col): the best-scoring of duplicates
    order = keep[np.lexsort((-score[keep], cols[keep], rows[keep]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (rows[order][1:] != rows[order][:-1]) | (cols[order][1:] != cols[order][:-1])
    edges = order[first]  # sorted by row, then column
    r, c, s = rows[edges], cols[edges], score[edges]

    # slots: column c repeated min(cap_c, degree_c) times
    used_cols, col_of_edge, degree = np.unique(c, return_inverse=True, return_counts=True)
    copies = np.minimum(np.asarray(col_capacity, dtype=np.int64)[used_cols], degree)
    first_slot = np.concatenate([[0], np.cumsum(copies)[:-1]])
    n_slots = int(copies.sum())
    per_edge = copies[col_of_edge]
    slot = np.repeat(first_slot[col_of_edge], per_edge) + _ranges(per_edge)
    slot_row = np.repeat(r, per_edge)
    big = float(s.max()) + 1.0
    slot_cost = np.repeat(big - s, per_edge)

    # every row also has its own "unmatched" column (n_slots + row), at cost M
    all_rows = np.arange(n_rows, dtype=np.int64)
    data_rows = np.concatenate([slot_row, all_rows])
    data_cols = np.concatenate([slot, n_slots + all_rows])
    data = np.concatenate([slot_cost, np.full(n_rows, big)])
    graph = sp.csr_matrix((data, (data_rows, data_cols)), shape=(n_rows, n_slots + n_rows))
    match_row, match_col = min_weight_full_bipartite_matching(graph)

    paired = match_col < n_slots
    slot_owner = np.repeat(used_cols, copies)  # the mentor behind each slot
    key = r * (int(c.max()) + 1) + c
    want = match_row[paired] * (int(c.max()) + 1) + slot_owner[match_col[paired]]
    chosen[edges[np.searchsorted(key, want)]] = True
    return chosen


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """0..n-1 for each n in ``lengths``, concatenated."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - starts
