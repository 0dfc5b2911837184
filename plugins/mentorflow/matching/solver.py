"""The assignment model: a pure function over candidate pairs, scores and capacities.

Longer than 300 lines because the model builder is shared by the solve stages, the path choice and the
relaxation the certificate reads, and splitting it would split one model across files.

Bipartite cohorts (traditional, reverse, group) solve a b-matching, mentees on the rows::

    maximise    Σ_e s_e x_e                                   (total_match_score)
    subject to  Σ_{e ∋ row r} x_e ≤ 1            for every mentee r     (mentee_r)
                Σ_{e ∋ col c} x_e ≤ cap_c        for every mentor c     (mentor_c)
                x_e = 1                          for every locked pair  (lock_r_c)
                x_e ≥ 0   (x_e ≤ 1 follows from mentee_r)

Its constraint matrix is totally unimodular, so the LP relaxation has an integral optimum and
CBC solves it as an LP; :func:`solve_relaxation` gives the duals that :mod:`.certificate` uses to
bound what pruning lost.
Symbiotic cohorts are a non-bipartite matching over people (edges i < j, each person in at most
one pair); odd cycles break total unimodularity, so x is binary there.

Fairness options (lexicographic, each stage a model of the same shape, so still an LP):

- ``cover``: first the largest number K of matched mentees (maximise Σ x), then the best total
  score subject to Σ x ≥ K (cover_at_least);
- ``maxmin``: like ``cover``, but before the score stage raise the lowest matched score as far as
  possible: the highest threshold τ such that pairs scoring ≥ τ still match K mentees (a binary
  search over the distinct scores), then the best total score over pairs scoring ≥ τ.

Several mentors per mentee (``row_capacity``, ``edge_covers``): mentee_r becomes ≤ N and the own-skill
constraints of :mod:`mentorflow.matching.several_model` are added (binary x; with N = 1 the model is unchanged).

Independent connected components are solved as separate models (small ones bundled together).

Paths (``method``): ``auto`` solves the plain assignment (bipartite, fairness ``none``, no lock, one mentor
per mentee) exactly with :mod:`mentorflow.matching.sparse_exact` (same optimum, no model file, no solver
process) and any round with a side constraint with this PuLP model, the model of record. ``highs`` solves the
plain assignment as this LP built from arrays by HiGHS's simplex (:mod:`mentorflow.matching.highs_lp`: no
PuLP object, model file or solver process; should it not end on an optimal 0/1 vertex, the sparse exact path
answers); the engine takes it for large rounds (:data:`mentorflow.matching.inputs.SPARSE_MAX_PAIRS`).
``pulp``, ``highs`` and ``sparse`` force one. PuLP's backend is CBC, chosen by measurement, not by what is
installed (HiGHS through PuLP was ~4× slower on the benchmark, docs/performance.md);
``backend``/``MENTORFLOW_LP_BACKEND`` = ``highs`` asks for HiGHS through PuLP. The certificate always reads
CBC's duals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pulp
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from mentorflow import settings
from mentorflow.matching import highs_lp, several_model, sparse_exact

FAIRNESS = ("none", "cover", "maxmin")
METHODS = ("auto", "pulp", "highs", "sparse")
BACKENDS = ("cbc", "highs")
BUNDLE_EDGES = 50_000


@dataclass(frozen=True)
class MatchingProblem:
    """Candidate pairs as parallel arrays; rows are mentees (or people, when ``symmetric``)."""

    rows: np.ndarray
    cols: np.ndarray
    score: np.ndarray
    n_rows: int
    n_cols: int
    col_capacity: np.ndarray
    locked: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # edge indices
    symmetric: bool = False  # rows and cols index the same people; edges have rows < cols
    # several mentors per mentee (see mentorflow.matching.several): each row's bound (None: 1 each) and the
    # (edges, skills) wanted skills each pair covers (None: no own-skill rule, the plain model)
    row_capacity: np.ndarray | None = None
    edge_covers: sp.csr_matrix | None = None

    @property
    def integral(self) -> bool:
        """Binary x: odd cycles (symbiotic) or the own-skill binaries break total unimodularity."""
        return self.symmetric or self.edge_covers is not None


@dataclass
class Solution:
    chosen: np.ndarray  # boolean per edge
    objective: float
    status: str
    seconds: dict[str, float]
    components: int
    method: str = "pulp-cbc"  # which path solved it: highs-lp, sparse-exact, pulp-cbc or pulp-highs
    why_model: str = ""  # the side constraint that needed the PuLP model ("" when none did)


def candidates_from_matrix(score: np.ndarray, col_capacity: np.ndarray, *, forbidden: np.ndarray | None = None,
                           k: int | None = None, min_score: float = 0.0) -> MatchingProblem:
    """A dense (mentees × mentors) score matrix pruned to each row's ``k`` best allowed columns."""
    score = np.asarray(score, dtype=np.float64)
    allowed = score > min_score
    if forbidden is not None:
        allowed &= ~forbidden
    masked = np.where(allowed, score, -np.inf)
    n_rows, n_cols = score.shape
    kk = n_cols if k is None else min(k, n_cols)
    top = np.argpartition(-masked, kk - 1, axis=1)[:, :kk] if kk else np.zeros((n_rows, 0), dtype=np.int64)
    kept = np.take_along_axis(masked, top, axis=1)
    ok = np.isfinite(kept)
    rows = np.broadcast_to(np.arange(n_rows)[:, None], top.shape)[ok]
    return MatchingProblem(rows=rows, cols=top[ok], score=kept[ok], n_rows=n_rows, n_cols=n_cols,
                           col_capacity=np.asarray(col_capacity))


def _node_keys(p: MatchingProblem) -> tuple[np.ndarray, np.ndarray, int]:
    if p.symmetric:
        return p.rows, p.cols, p.n_rows
    return p.rows, p.cols + p.n_rows, p.n_rows + p.n_cols


def _bundles(p: MatchingProblem, decompose: bool) -> tuple[list[np.ndarray], int]:
    """Edge-index groups that share no person: one per large component, small ones bundled."""
    if not decompose or len(p.score) == 0:
        return [np.arange(len(p.score))], 1
    a, b, n = _node_keys(p)
    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    count, label = connected_components(graph, directed=False)
    edge_label = label[a]
    order = np.argsort(edge_label, kind="stable")
    splits = np.flatnonzero(np.diff(edge_label[order])) + 1
    groups = np.split(order, splits)
    bundles, current, size = [], [], 0
    for g in sorted(groups, key=len, reverse=True):
        if size + len(g) > BUNDLE_EDGES and current:
            bundles.append(np.concatenate(current))
            current, size = [], 0
        current.append(g)
        size += len(g)
    if current:
        bundles.append(np.concatenate(current))
    return bundles, int(len(groups))


def backend_name(backend: str | None = None) -> str:
    """The PuLP backend to run: ``backend``, else the ``lp_backend`` setting (``MENTORFLOW_LP_BACKEND``), whose
    default is the measured one (CBC)."""
    name = (backend or settings.current().lp_backend).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"LP backend must be one of {', '.join(BACKENDS)} (got {name!r})")
    return name


def _solver(time_limit: float | None, msg: bool, mip: bool, backend: str | None = None) -> pulp.LpSolver:
    """The CBC bundled with PuLP (LPs: simplex only, no branching), or HiGHS when asked for by name."""
    if backend_name(backend) == "highs":
        highs = pulp.HiGHS(msg=msg, timeLimit=time_limit, mip=mip)
        if not highs.available():
            raise RuntimeError("LP backend highs was asked for, but highspy is not installed")
        return highs
    return pulp.PULP_CBC_CMD(msg=msg, timeLimit=time_limit, mip=mip)


def _groups(keys: np.ndarray) -> list[tuple[int, np.ndarray]]:
    order = np.argsort(keys, kind="stable")
    bounds = np.flatnonzero(np.diff(keys[order])) + 1
    return [(int(keys[g[0]]), g) for g in np.split(order, bounds) if len(g)]


def build_model(p: MatchingProblem, edges: np.ndarray, *, integral: bool, min_matched: int | None = None,
                objective: str = "score"):
    """The PuLP model over the given edges; returns (problem, x variables, row and col constraints)."""
    prob = pulp.LpProblem("mentor_matching", pulp.LpMaximize)
    cat = pulp.LpBinary if integral else pulp.LpContinuous
    r, c, s = p.rows[edges], p.cols[edges], p.score[edges]
    # no explicit x ≤ 1: the mentee (person) constraints imply it, and the LP duals then carry the
    # whole bound instead of hiding part of it in reduced costs of the variable bounds
    unbounded = cat == pulp.LpContinuous and p.row_capacity is None  # a mentee bound above 1 no longer implies x ≤ 1
    x = [pulp.LpVariable(f"x_{i}_{j}", 0, None if unbounded else 1, cat)
         for i, j in zip(r.tolist(), c.tolist())]
    weights = np.ones(len(edges)) if objective == "count" else s
    prob.setObjective(pulp.LpAffineExpression(zip(x, weights.tolist())))
    row_cons, col_cons = {}, {}
    if p.symmetric:
        people = np.concatenate([r, c])
        slots = np.concatenate([np.arange(len(edges))] * 2)
        for person, idx in _groups(people):
            row_cons[person] = _at_most(prob, x, slots[idx], 1, f"person_{person}")
    else:
        for row, idx in _groups(r):
            bound = 1 if p.row_capacity is None else int(p.row_capacity[row])
            row_cons[row] = _at_most(prob, x, idx, bound, f"mentee_{row}")
        for col, idx in _groups(c):
            col_cons[col] = _at_most(prob, x, idx, int(p.col_capacity[col]), f"mentor_{col}")
    if p.edge_covers is not None:
        several_model.add_distinct_skills(prob, x, r, c, p.edge_covers[edges])
    locked = set(p.locked.tolist())
    for pos, e in enumerate(edges.tolist()):
        if e in locked:
            prob.addConstraint(x[pos] == 1, f"lock_{p.rows[e]}_{p.cols[e]}")
    if min_matched is not None:
        prob.addConstraint(pulp.lpSum(x) >= min_matched, "cover_at_least")
    return prob, x, row_cons, col_cons


def _at_most(prob: pulp.LpProblem, x: list, slots, bound: int, name: str) -> pulp.LpConstraint:
    cons = pulp.LpConstraint(pulp.LpAffineExpression((x[e], 1) for e in slots), pulp.LpConstraintLE, name, bound)
    prob.addConstraint(cons)
    return cons


def _values(x: list) -> np.ndarray:
    return np.array([v.varValue or 0.0 for v in x])


def solve(p: MatchingProblem, *, fairness: str = "none", time_limit: float | None = None, decompose: bool = True,
          msg: bool = False, method: str = "auto", backend: str | None = None) -> Solution:
    """Maximum-score matching of the candidate pairs (see the module docstring for the model and the paths)."""
    if fairness not in FAIRNESS:
        raise ValueError(f"fairness must be one of {', '.join(FAIRNESS)} (got {fairness!r})")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    needs_model = sparse_exact.applies(p, fairness)
    if method in ("sparse", "highs") and needs_model:
        raise ValueError(f"the {method} path solves the plain assignment only; this round has {needs_model}")
    if method != "pulp" and not needs_model:
        return _solve_plain(p, decompose, highs=method == "highs")
    seconds = {"build": 0.0, "solve": 0.0}
    solver = _solver(time_limit, msg, mip=p.integral, backend=backend)
    statuses: set[str] = set()

    def run(edges: np.ndarray, **kw):
        started = time.perf_counter()
        prob, x, _, _ = build_model(p, edges, integral=p.integral, **kw)
        seconds["build"] += time.perf_counter() - started
        started = time.perf_counter()
        prob.solve(solver)
        seconds["solve"] += time.perf_counter() - started
        statuses.add(pulp.LpStatus[prob.status])
        values = _values(x)
        if not p.integral and np.any(np.abs(values - np.round(values)) > 1e-6):
            # a vertex of a totally unimodular polytope is integral; never trust rounding if not
            prob, x, _, _ = build_model(p, edges, integral=True, **kw)
            prob.solve(_solver(time_limit, msg, mip=True, backend=backend))
            values = _values(x)
        return values

    chosen = np.zeros(len(p.score), dtype=bool)
    bundles, n_components = _bundles(p, decompose)
    for edges in bundles:
        if len(edges) == 0:
            continue
        min_matched = None
        if fairness != "none":
            min_matched = int(round(run(edges, objective="count").sum()))
        if fairness == "maxmin":
            edges = _bottleneck_edges(p, edges, min_matched, lambda e: int(round(run(e, objective="count").sum())))
        chosen[edges] = run(edges, min_matched=min_matched) > 0.5
    status = "Optimal" if statuses <= {"Optimal"} else ",".join(sorted(statuses))
    return Solution(chosen=chosen, objective=float(p.score[chosen].sum()), status=status, seconds=seconds,
                    components=n_components, method=f"pulp-{backend_name(backend)}", why_model=needs_model or "")


def _solve_plain(p: MatchingProblem, decompose: bool, *, highs: bool) -> Solution:
    """The plain assignment in one solve without a model: exactly on the sparse graph (:mod:`.sparse_exact`) or,
    with ``highs``, the LP from arrays (:mod:`.highs_lp`), the sparse path answering if HiGHS does not."""
    started = time.perf_counter()
    _, n_components = _bundles(p, decompose)
    chosen, method = None, "sparse-exact"
    if highs:
        chosen, method = highs_lp.solve_assignment(p.rows, p.cols, p.score, p.n_rows, p.n_cols,
                                                   p.col_capacity), "highs-lp"
    if chosen is None:
        chosen, method = sparse_exact.solve_assignment(p.rows, p.cols, p.score, p.n_rows,
                                                       p.col_capacity), "sparse-exact"
    return Solution(chosen=chosen, objective=float(p.score[chosen].sum()), status="Optimal",
                    seconds={"build": 0.0, "solve": time.perf_counter() - started}, components=n_components,
                    method=method)



def _bottleneck_edges(p: MatchingProblem, edges: np.ndarray, target: int, count) -> np.ndarray:
    """Edges scoring at least the highest threshold that still lets ``target`` mentees match
    (locked edges always stay)."""
    locked = np.isin(edges, p.locked)
    levels = np.unique(p.score[edges])
    low, high = 0, len(levels) - 1  # levels[low] always feasible (every edge)
    while low < high:
        mid = (low + high + 1) // 2
        if count(edges[(p.score[edges] >= levels[mid]) | locked]) >= target:
            low = mid
        else:
            high = mid - 1
    return edges[(p.score[edges] >= levels[low]) | locked]


@dataclass
class Relaxation:
    """The LP relaxation of the model over some edges: its value and its duals (∂ value / ∂ right-hand side).

    ``row_dual``/``col_dual`` ≥ 0 price the mentee (person) and mentor constraints, ``cover_dual`` ≥ 0 the
    ``Σx ≥ min_matched`` constraint; a row or column without an edge has no constraint and a zero dual.
    """

    status: str
    value: float
    row_dual: np.ndarray
    col_dual: np.ndarray
    cover_dual: float


def solve_relaxation(p: MatchingProblem, edges: np.ndarray, *, objective: str = "score",
                     min_matched: int | None = None, time_limit: float | None = None) -> Relaxation:
    """The continuous relaxation of :func:`build_model` over ``edges`` (one model, no decomposition).

    PuLP reads CBC's duals into ``constraint.pi`` with the sign of the sensitivity of the maximised
    value: ≥ 0 for the ≤ constraints, ≤ 0 for ``cover_at_least`` (a ≥ constraint), free for locks.
    """
    prob, x, row_cons, col_cons = build_model(p, edges, integral=False, min_matched=min_matched, objective=objective)
    prob.solve(_solver(time_limit, False, mip=False, backend="cbc"))  # the duals are read as CBC gives them
    row_dual, col_dual = np.zeros(p.n_rows), np.zeros(p.n_cols)
    for row, cons in row_cons.items():
        row_dual[row] = max(cons.pi or 0.0, 0.0)
    for col, cons in col_cons.items():
        col_dual[col] = max(cons.pi or 0.0, 0.0)
    cover = prob.constraints.get("cover_at_least")
    weights = np.ones(len(edges)) if objective == "count" else p.score[edges]
    return Relaxation(status=pulp.LpStatus[prob.status], value=float(weights @ _values(x)), row_dual=row_dual,
                      col_dual=col_dual, cover_dual=max(-(cover.pi or 0.0), 0.0) if cover is not None else 0.0)
