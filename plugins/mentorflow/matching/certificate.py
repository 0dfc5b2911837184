"""What top-k pruning could have cost: a certificate from LP duality, for every fairness mode.

Longer than 300 lines because the bound is one argument in four steps (duals, one pricing pass, the
repair LP, the rounds) over the same arrays, with the per-mode stages and the sentence that states it.

The solver sees only each mentee's best ``top_k`` partners. Any feasible solution of the *unpruned*
LP's dual bounds the unpruned optimum (weak duality), so:

1. solve the LP relaxation of the pruned model (the candidates plus the pairs the fill step added)
   and take its duals: u_r ≥ 0 per mentee (per person in symbiotic cohorts), v_c ≥ 0 per mentor,
   λ ≥ 0 for ``Σx ≥ K`` when the mode asks for coverage;
2. price every allowed pair in one more blocked, vectorised pass over the scores: reduced cost
   d_rc = w_rc − u_r − v_c + λ (w = the score, or 1 when counting pairs);
3. repair the pairs with d > 0 by the cheapest raise (δ, ε) ≥ 0 of the duals with δ_r + ε_c ≥ d_rc.
   By LP duality its cost B is the best b-matching of the positive reduced costs, an LP over those
   pairs only (each row's :data:`PRICED_PER_ROW` largest; the rest of a row is covered by δ_r alone).

Then ``unpruned optimum ≤ Σu + Σ cap·v − λK + Σ_locks (w_e − u_r − v_c + λ) + B`` (a committee lock's
dual is free, so it absorbs its pair's reduced cost). When no pruned pair has a positive reduced cost, B = 0 and pruning
provably lost nothing.

What is bounded, per ``rules.fairness`` (K: pairs of the proposal, τ: its lowest unlocked score):

- ``none``: the best total score;
- ``cover``: how many more pairs the unpruned problem could make (w = 1), and the best total score
  with at least K pairs (the unpruned optimum matches at least K, so it is below that);
- ``maxmin``: the same, and whether any assignment of K pairs could raise the lowest score (the most
  pairs over pairs scoring above τ, which must stay below K); once both hold, the total is bounded
  over pairs scoring at least τ.

Bipartite models are totally unimodular, so their LP relaxation is the integer optimum and the bound is
tight; a symbiotic (non-bipartite) cohort's relaxation may be higher than its integer optimum, so its
bound is valid but may include that integrality gap, and the sentence says so. With several mentors per
mentee (``row_capacity``: mentee_r ≤ N, x ≤ 1) the bounds x ≤ 1 get duals of their own, which the repair
pays per pair; the own-skill constraints are left out of every LP here (fewer constraints, a higher
optimum: still an upper bound, possibly looser), and the sentence says that too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import numpy as np

from mentorflow.matching.relaxation import solve_relaxation
from mentorflow.matching.solver import MatchingProblem

PRICED_PER_ROW = 8  # positive reduced costs per row that enter the repair LP one by one
ROUNDS = 3  # pricing rounds at most: each re-solves with the pairs the last one priced in (column generation)
SETTLED = 1e-4  # stop early once a round improves no bound by more than this share of the total (at least 1e-4)
AUTO_PAIRS = 2_000_000  # rules.certify: auto certifies up to this many scored pairs (rows × columns)
SETTINGS = ("auto", "always", "never")
_EPS = 1e-6

Blocks = Callable[[], Iterable[tuple[int, np.ndarray]]]  # (first row, scores of its rows × every column, -inf: not allowed)


@dataclass(frozen=True)
class Certificate:
    """How much pruning could have cost this proposal; ``computed`` False says why not in ``why_not``."""

    fairness: str
    computed: bool
    total: float = 0.0  # the proposal's total score
    upper_bound: float | None = None  # on the unpruned problem's total (same fairness mode)
    lost_at_most: float | None = None
    more_pairs_at_most: int | None = None  # cover, maxmin: pairs pruning may have cost
    floor: float | None = None  # maxmin: the proposal's lowest unlocked score
    floor_certified: bool | None = None  # maxmin: no unpruned assignment of as many pairs has a higher one
    relaxation_gap: bool = False  # symbiotic: the bound may include the LP's integrality gap
    own_skills_relaxed: bool = False  # several mentors per mentee: the own-skill rule is not in the bound
    why_not: str = ""
    seconds: float = 0.0

    @property
    def share(self) -> float | None:
        if self.lost_at_most is None or (self.total <= 0 and self.lost_at_most > _EPS):
            return None  # no share of nothing
        return self.lost_at_most / self.total if self.total > 0 else 0.0

    def sentence(self) -> str:
        """One line for the committee and the what-if output."""
        if not self.computed:
            return f"no pruning certificate for fairness mode {self.fairness}: {self.why_not}"
        share = self.share
        percent = "no pairs proposed" if share is None else f"{100 * share:.2f}%"
        parts = [f"pruning lost at most {self.lost_at_most:.4f} of a total {self.total:.4f} ({percent})"]
        if self.more_pairs_at_most is not None:
            parts.append("no pair that pruning dropped could have matched anyone more" if self.more_pairs_at_most == 0
                         else f"up to {self.more_pairs_at_most} more pairs might have been possible without pruning")
        if self.floor_certified is not None:
            parts.append(f"the lowest score {self.floor:.4f} is the highest possible for that many pairs"
                         if self.floor_certified else
                         f"the lowest score {self.floor:.4f} is not certified: an unpruned assignment might raise it")
        if self.relaxation_gap:
            parts.append("symbiotic cohort: the bound comes from the LP relaxation and may include its integrality gap")
        if self.own_skills_relaxed:
            parts.append("several mentors per mentee: the bound leaves out the rule that each mentor adds a skill, "
                         "so it may be looser")
        return "; ".join(parts)

    def as_dict(self) -> dict:
        return {**asdict(self), "share": self.share, "text": self.sentence()}


def not_computed(fairness: str, why: str) -> Certificate:
    return Certificate(fairness=fairness, computed=False, why_not=why)


def wanted(setting: str | bool | None, n_rows: int, n_cols: int) -> str | None:
    """None when the certificate is to be computed, else why not (``setting``: True/False force it)."""
    if setting is True or setting == "always":
        return None
    if setting is False or setting == "never":
        return "not asked for (rules.certify: never)"
    if setting not in (None, "auto"):
        raise ValueError(f"certify must be one of {', '.join(SETTINGS)} (got {setting!r})")
    if n_rows * n_cols > AUTO_PAIRS:
        return (f"not computed automatically for {n_rows:,} × {n_cols:,} pairs (above {AUTO_PAIRS:,}); "
                "set rules.certify: always in the cohort file, or pass --certify to a what-if run")
    return None


@dataclass(frozen=True)
class _Stage:
    count: bool = False  # weights 1 (how many pairs) instead of the score
    floor: float | None = None  # only pairs scoring at least this (locked pairs always count)
    strict: bool = False  # above the floor, not at it
    min_matched: int | None = None


@dataclass
class _Priced:
    base: float
    u: np.ndarray
    v: np.ndarray
    cover: float
    rows: list
    cols: list
    cost: list
    score: list  # the priced pairs' own scores (for the next round)
    rest: np.ndarray  # per row: the largest positive reduced cost not taken one by one


def certify(problem: MatchingProblem, pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], *,
            fairness: str, blocks: Blocks, pruned: bool = True) -> Certificate:
    """The certificate of a proposal. ``problem``: the pruned model the solver saw; ``pairs``: the
    proposal (row positions, column positions, scores, locked flags), fill-step pairs included;
    ``blocks``: a fresh pass over every pair's score; ``pruned``: False when top_k kept every column."""
    started = time.perf_counter()
    pr, pc, ps, plock = (np.asarray(a) for a in pairs)
    total = float(ps.sum())
    unlocked = ps[~plock.astype(bool)]
    floor = float(unlocked.min()) if fairness == "maxmin" and len(unlocked) else None
    symmetric = problem.symmetric
    if not pruned or problem.n_rows == 0 or problem.n_cols == 0:
        return Certificate(fairness, True, total, total, 0.0, 0 if fairness != "none" else None, floor,
                           True if floor is not None else None, False, seconds=time.perf_counter() - started)
    p = _with_pairs(problem, pr, pc, ps)
    k = len(ps)
    stages = {"score": _Stage(min_matched=k if fairness != "none" else None)}
    if fairness != "none":
        stages["count"] = _Stage(count=True)
    if floor is not None:
        stages["higher_floor"] = _Stage(count=True, floor=floor, strict=True)
        stages["score_floor"] = _Stage(floor=floor, min_matched=k)
    bound = dict.fromkeys(stages, math.inf)
    for _ in range(ROUNDS):
        priced = {}
        for name, stage in stages.items():
            got = _dual(p, stage)
            if isinstance(got, str):
                return not_computed(fairness, got)
            priced[name] = got
        _price(p, stages, priced, blocks)
        before = dict(bound)
        for name in stages:
            extra = _repair(p, priced[name])
            if isinstance(extra, str):
                return not_computed(fairness, extra)
            bound[name] = min(bound[name], priced[name].base + extra)
        found = [g for g in priced.values() if g.rows]
        if all(b - priced[n].base <= _EPS for n, b in bound.items()) or not found:
            break  # nothing left to price in: the bound is the pruned LP's own value
        if all(before[n] - b <= SETTLED * max(1.0, total) for n, b in bound.items()):
            break  # settled: another round would cost an LP per stage for next to nothing
        p = _with_pairs(p, *(np.concatenate([np.concatenate(getattr(g, f)) for g in found])
                             for f in ("rows", "cols", "score")))
    more = max(0, math.floor(bound["count"] + _EPS) - k) if "count" in bound else None
    floor_ok = math.floor(bound["higher_floor"] + _EPS) < k if "higher_floor" in bound else None
    upper = bound["score_floor"] if more == 0 and floor_ok else bound["score"]
    return Certificate(fairness, True, total, upper, max(0.0, upper - total), more, floor, floor_ok, symmetric,
                       own_skills_relaxed=getattr(problem, "edge_covers", None) is not None,
                       seconds=time.perf_counter() - started)


def _with_pairs(p: MatchingProblem, pr, pc, ps) -> MatchingProblem:
    """The pruned model plus the proposal's pairs it lacks (the fill step's), so every LP is feasible."""
    if p.symmetric:
        pr, pc = np.minimum(pr, pc), np.maximum(pr, pc)
    known = set(zip(p.rows.tolist(), p.cols.tolist()))
    new = np.zeros(len(pr), dtype=bool)
    for i, pair in enumerate(zip(pr.tolist(), pc.tolist())):  # the proposal's and the priced pairs: few
        new[i] = pair not in known
        known.add(pair)
    return MatchingProblem(  # without the own-skill constraints (edge_covers): a relaxation, see the docstring
        rows=np.concatenate([p.rows, pr[new]]).astype(np.int64), cols=np.concatenate([p.cols, pc[new]]).astype(np.int64),
        score=np.concatenate([p.score, ps[new]]).astype(np.float64), n_rows=p.n_rows, n_cols=p.n_cols,
        col_capacity=p.col_capacity, locked=p.locked, symmetric=p.symmetric, row_capacity=p.row_capacity)


def _row_bounds(p: MatchingProblem) -> np.ndarray:
    return np.ones(p.n_rows) if p.row_capacity is None else np.asarray(p.row_capacity, dtype=np.float64)


def _kept(p: MatchingProblem, stage: _Stage) -> np.ndarray:
    edges = np.arange(len(p.score))
    if stage.floor is None:
        return edges
    above = p.score > stage.floor if stage.strict else p.score >= stage.floor
    return edges[above | np.isin(edges, p.locked)]


def _dual(p: MatchingProblem, stage: _Stage) -> _Priced | str:
    """Duals of the stage's LP over the kept pairs, and the value of that dual point on the kept pairs."""
    edges = _kept(p, stage)
    if len(edges) == 0:
        u, v, cover = np.zeros(p.n_rows), np.zeros(p.n_cols), 0.0
    else:
        rel = solve_relaxation(p, edges, objective="count" if stage.count else "score", min_matched=stage.min_matched)
        if rel.status != "Optimal":
            return f"the LP relaxation of the pruned model did not solve ({rel.status})"
        u, v, cover = rel.row_dual, rel.col_dual, rel.cover_dual
    if p.symmetric:
        v = u
    locked = p.locked
    weight = np.ones(len(locked)) if stage.count else p.score[locked]
    base = (float(_row_bounds(p) @ u) + (0.0 if p.symmetric else float(p.col_capacity @ v)) - cover * (stage.min_matched or 0)
            + float((weight - u[p.rows[locked]] - v[p.cols[locked]] + cover).sum()))
    return _Priced(float(base), u, v, cover, [], [], [], [], np.zeros(p.n_rows))


def _price(p: MatchingProblem, stages: dict[str, _Stage], priced: dict[str, _Priced], blocks: Blocks) -> None:
    """One pass over every pair: each stage keeps each row's largest positive reduced costs."""
    lock_r, lock_c = p.rows[p.locked], p.cols[p.locked]
    if p.symmetric:
        lock_r, lock_c = np.concatenate([lock_r, lock_c]), np.concatenate([lock_c, lock_r])
    for start, total in blocks():
        scores = np.asarray(total, dtype=np.float64)
        height = scores.shape[0]
        rows = np.arange(start, start + height)
        allowed = np.isfinite(scores)
        mine = (lock_r >= start) & (lock_r < start + height)
        allowed[lock_r[mine] - start, lock_c[mine]] = False  # a lock's free dual prices its own pair
        for name, stage in stages.items():
            got = priced[name]
            ok = allowed
            if stage.floor is not None:
                ok = ok & ((scores > stage.floor) if stage.strict else (scores >= stage.floor))
            weight = 1.0 if stage.count else scores
            reduced = np.where(ok, weight - got.u[rows][:, None] - got.v[None, :] + got.cover, -np.inf)
            _keep_largest(got, rows, reduced, scores)


def _keep_largest(got: _Priced, rows: np.ndarray, reduced: np.ndarray, scores: np.ndarray) -> None:
    m = min(PRICED_PER_ROW, reduced.shape[1])
    if m == 0:
        return
    if reduced.shape[1] > m:
        order = np.argpartition(-reduced, m, axis=1)
        top, rest = order[:, :m], np.take_along_axis(reduced, order[:, m:m + 1], axis=1)[:, 0]
        got.rest[rows] = np.maximum(got.rest[rows], np.maximum(rest, 0.0))
    else:
        top = np.broadcast_to(np.arange(m), reduced.shape)
    value = np.take_along_axis(reduced, top, axis=1)
    positive = value > 0
    got.rows.append(np.broadcast_to(rows[:, None], top.shape)[positive])
    got.cols.append(top[positive])
    got.cost.append(value[positive])
    got.score.append(np.take_along_axis(scores, top, axis=1)[positive])


def _repair(p: MatchingProblem, got: _Priced) -> float | str:
    """The cheapest raise of the duals that covers every positive reduced cost: the best b-matching of
    those costs (each row's remainder as a pair with a private dummy partner)."""
    rows = np.concatenate(got.rows) if got.rows else np.zeros(0, np.int64)
    cols = np.concatenate(got.cols) if got.cols else np.zeros(0, np.int64)
    cost = np.concatenate(got.cost) if got.cost else np.zeros(0)
    if p.symmetric:  # one variable per unordered pair
        rows, cols = np.minimum(rows, cols), np.maximum(rows, cols)
        if len(rows):
            key = rows * p.n_cols + cols
            order = np.lexsort((-cost, key))
            first = order[np.r_[True, np.diff(key[order]) != 0]]
            rows, cols, cost = rows[first], cols[first], cost[first]
    rest = np.flatnonzero(got.rest > 0)
    if len(cost) == 0 and len(rest) == 0:
        return 0.0
    n = p.n_rows
    if p.row_capacity is not None:  # x ≤ 1 per pair: a row's remainder is paid on each of its N places
        outside = float(_row_bounds(p)[rest] @ got.rest[rest])
        if len(cost) == 0:
            return outside
        model = MatchingProblem(rows=rows, cols=cols, score=cost, n_rows=n, n_cols=p.n_cols,
                                col_capacity=p.col_capacity, row_capacity=p.row_capacity)
        rel = solve_relaxation(model, np.arange(len(cost)))
        return rel.value + outside if rel.status == "Optimal" else f"the LP that repairs the duals did not solve ({rel.status})"
    if p.symmetric:  # dummy person n + r takes row r's remainder
        model = MatchingProblem(rows=np.concatenate([rows, rest]), cols=np.concatenate([cols, n + rest]),
                                score=np.concatenate([cost, got.rest[rest]]), n_rows=2 * n, n_cols=2 * n,
                                col_capacity=np.ones(2 * n, dtype=np.int64), symmetric=True)
    else:  # one dummy mentor with room for every row
        model = MatchingProblem(rows=np.concatenate([rows, rest]),
                                cols=np.concatenate([cols, np.full(len(rest), p.n_cols)]),
                                score=np.concatenate([cost, got.rest[rest]]), n_rows=n, n_cols=p.n_cols + 1,
                                col_capacity=np.append(p.col_capacity, n))
    rel = solve_relaxation(model, np.arange(len(model.score)))
    if rel.status != "Optimal":
        return f"the LP that repairs the duals did not solve ({rel.status})"
    return rel.value
