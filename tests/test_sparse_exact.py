"""The plain assignment's paths without a model (the sparse exact one; HiGHS on the LP from arrays for large
rounds): the same optimum as the PuLP model on the same candidates, and the PuLP model (with CBC by default,
whatever is installed) for every round with a side constraint."""

from __future__ import annotations

import os

import numpy as np
import pulp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_fixtures import random_instance
from mentorflow.cohorts.config import MatchingRules
from mentorflow.matching import engine, propose, solver
from mentorflow.matching.inputs import DEFAULT_TOP_K, SPARSE_TOP_K
from mentorflow.matching.solver import MatchingProblem, candidates_from_matrix, solve
from mentorflow.matching.sparse_exact import solve_assignment

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def _random_problem(seed: int) -> MatchingProblem:
    """Mentees × mentors with capacities 1–3, forbidden pairs, and some mentees with no candidate at all."""
    rng = np.random.default_rng(seed)
    n_rows, n_cols = int(rng.integers(1, 25)), int(rng.integers(1, 10))
    score = np.round(rng.random((n_rows, n_cols)), 3)  # rounded: ties between different optimal choices
    forbidden = rng.random(score.shape) < 0.3
    forbidden[rng.random(n_rows) < 0.2] = True  # no candidate at all
    capacity = rng.integers(1, 4, n_cols)
    return candidates_from_matrix(score, capacity, forbidden=forbidden, k=int(rng.integers(1, n_cols + 1)))


def _feasible(p: MatchingProblem, chosen: np.ndarray) -> None:
    assert np.bincount(p.rows[chosen], minlength=p.n_rows).max(initial=0) <= 1
    assert np.all(np.bincount(p.cols[chosen], minlength=p.n_cols) <= p.col_capacity)


@settings(max_examples=60, **SETTINGS)
@given(seed=st.integers(0, 100_000))
def test_the_sparse_and_highs_paths_reach_the_pulp_models_optimum_on_the_same_candidates(seed):
    p = _random_problem(seed)
    sparse, highs, model = solve(p, method="sparse"), solve(p, method="highs"), solve(p, method="pulp")
    assert (sparse.method, highs.method, model.method) == ("sparse-exact", "highs-lp", "pulp-cbc")
    for found in (sparse, highs):
        _feasible(p, found.chosen)
        assert found.objective == pytest.approx(model.objective, abs=1e-9)
        assert found.objective == pytest.approx(p.score[found.chosen].sum())


def test_highs_answers_are_checked_and_the_sparse_path_answers_when_they_fail(monkeypatch):
    """A status other than optimal, or an x between 0 and 1, is never rounded into pairs."""
    import scipy.optimize

    from mentorflow.matching import highs_lp

    p = candidates_from_matrix(np.array([[0.9, 0.2], [0.8, 0.7]]), np.array([1, 1]))
    real = scipy.optimize.milp

    def fractional(*args, **kwargs):
        found = real(*args, **kwargs)
        found.x = np.full(len(found.x), 0.5)
        return found

    def stopped(*args, **kwargs):  # what a time or iteration limit reports
        found = real(*args, **kwargs)
        found.status = 1
        return found

    for fake in (fractional, stopped):
        monkeypatch.setattr(scipy.optimize, "milp", fake)
        assert highs_lp.solve_assignment(p.rows, p.cols, p.score, p.n_rows, p.n_cols, p.col_capacity) is None
        sol = solve(p, method="highs")
        assert sol.method == "sparse-exact" and sol.objective == pytest.approx(0.9 + 0.7), fake.__name__


def test_capacity_above_one_lets_a_mentor_take_several_mentees_and_no_more():
    score = np.array([[0.9, 0.1], [0.8, 0.1], [0.7, 0.1], [0.6, 0.5]])
    p = candidates_from_matrix(score, np.array([3, 1]))
    sol = solve(p)
    assert sol.method == "sparse-exact"
    pairs = {(int(r), int(c)) for r, c in zip(p.rows[sol.chosen], p.cols[sol.chosen])}
    assert pairs == {(0, 0), (1, 0), (2, 0), (3, 1)}  # mentor 0 full at 3; mentee 3 goes to mentor 1
    assert sol.objective == pytest.approx(0.9 + 0.8 + 0.7 + 0.5)


def test_mentees_without_candidates_empty_rounds_and_non_positive_scores():
    empty = np.zeros(0, dtype=np.int64)
    assert not solve_assignment(empty, empty, np.zeros(0), 5, np.array([1, 2])).any()
    # a zero or negative score is never worth more than no pair; capacity 0 takes no one
    chosen = solve_assignment(np.array([0, 1, 2]), np.array([0, 0, 1]), np.array([0.0, -1.0, 0.4]), 4,
                              np.array([1, 0]))
    assert not chosen.any()
    chosen = solve_assignment(np.array([0, 1, 3]), np.array([0, 0, 1]), np.array([0.2, 0.3, 0.4]), 4,
                              np.array([1, 1]))
    assert chosen.tolist() == [False, True, True]


def test_duplicate_pairs_are_chosen_at_most_once():
    chosen = solve_assignment(np.array([0, 0, 1]), np.array([0, 0, 0]), np.array([0.5, 0.9, 0.1]), 2,
                              np.array([2]))
    assert chosen.tolist() == [False, True, True]


@pytest.mark.parametrize(("kw", "fairness", "why"), [
    ({"locked": np.array([0])}, "none", "committee locks"),
    ({}, "cover", "fairness cover"),
    ({}, "maxmin", "fairness maxmin"),
    ({"row_capacity": np.full(4, 2)}, "none", "several mentors per mentee"),
])
def test_side_constraints_go_through_the_pulp_model(kw, fairness, why):
    base = candidates_from_matrix(np.array([[0.9, 0.2], [0.8, 0.3], [0.1, 0.7], [0.6, 0.5]]), np.array([1, 1]))
    p = MatchingProblem(base.rows, base.cols, base.score, base.n_rows, base.n_cols, base.col_capacity, **kw)
    sol = solve(p, fairness=fairness)
    assert sol.method == "pulp-cbc" and why in sol.why_model
    if "locked" in kw:
        assert sol.chosen[0]
    with pytest.raises(ValueError, match="plain assignment only"):
        solve(p, fairness=fairness, method="sparse")


def test_a_symbiotic_problem_goes_through_the_pulp_model():
    p = MatchingProblem(np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([0.5, 0.6, 0.7]), 3, 3,
                        np.ones(3, dtype=np.int64), symmetric=True)
    sol = solve(p)
    assert sol.method == "pulp-cbc" and "symbiotic" in sol.why_model and sol.chosen.sum() == 1


def test_the_backend_is_cbc_even_when_highs_is_installed(monkeypatch):
    """The backend is the measured default, not whatever happens to be installed (HiGHS was ~4× slower)."""
    monkeypatch.delenv("MENTORFLOW_LP_BACKEND", raising=False)
    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: True)
    assert isinstance(solver._solver(None, False, mip=False), pulp.PULP_CBC_CMD)
    assert isinstance(solver._solver(None, False, mip=False, backend="highs"), pulp.HiGHS)
    monkeypatch.setenv("MENTORFLOW_LP_BACKEND", "highs")
    assert isinstance(solver._solver(None, False, mip=False), pulp.HiGHS)
    monkeypatch.setattr(pulp.HiGHS, "available", lambda self: False)
    with pytest.raises(RuntimeError, match="highspy is not installed"):
        solver._solver(None, False, mip=False)
    monkeypatch.setenv("MENTORFLOW_LP_BACKEND", "gurobi")
    with pytest.raises(ValueError, match="'cbc' or 'highs'"):
        solver._solver(None, False, mip=False)


def test_propose_takes_the_sparse_path_for_the_plain_round_and_keeps_forbidden_pairs_out(monkeypatch):
    inp = random_instance(7, 40)
    assert inp.forbidden_pairs
    result = propose(inp, certify=False)
    assert result.stats["solver"] == "sparse-exact"
    assert result.stats["top_k"] == SPARSE_TOP_K
    made = set(zip(result.pairs["mentor_id"], result.pairs["mentee_id"]))
    assert not made & {(a, b) for a, b in inp.forbidden_pairs} and not made & {(b, a) for a, b in inp.forbidden_pairs}
    # the same cohort through the PuLP model: the same total on the same candidates
    monkeypatch.setattr(engine, "solve", lambda p, **kw: solve(p, **{**kw, "method": "pulp"}))
    with_model = propose(random_instance(7, 40), certify=False)
    assert with_model.stats["solver"] == "pulp-cbc"
    assert with_model.stats["lp_objective"] == pytest.approx(result.stats["lp_objective"], abs=1e-6)


@pytest.mark.parametrize("fairness", ["cover", "maxmin"])
def test_propose_solves_fairness_rounds_with_the_pulp_model(fairness):
    result = propose(random_instance(11, 30, rules=MatchingRules(fairness=fairness)), certify=False)
    assert result.stats["solver"] == "pulp-cbc" and result.stats["top_k"] == DEFAULT_TOP_K


def test_propose_solves_a_round_with_locks_with_the_pulp_model_and_honours_the_lock():
    inp = random_instance(3, 40, relations=False, pip=False)
    first = propose(inp, certify=False).pairs.iloc[-1]
    inp.locked_pairs = [(first.mentor_id, first.mentee_id)]
    result = propose(inp, certify=False)
    assert result.stats["solver"] == "pulp-cbc" and result.stats["top_k"] == DEFAULT_TOP_K
    assert not result.notes
    assert ((result.pairs["mentor_id"] == first.mentor_id) & (result.pairs["mentee_id"] == first.mentee_id)).any()


def test_an_explicit_top_k_is_kept_on_either_path():
    assert propose(random_instance(7, 30, rules=MatchingRules(top_k=4)), certify=False).stats["top_k"] == 4
    fair = MatchingRules(top_k=40, fairness="cover")
    assert propose(random_instance(7, 30, rules=fair), certify=False).stats["top_k"] == 40


def test_a_plain_round_past_the_measured_size_goes_to_highs_on_fewer_candidates(monkeypatch):
    """The sparse solve grows faster than linearly: past SPARSE_MAX_PAIRS candidate pairs the same LP as the PuLP
    model's, built from arrays and solved by HiGHS, is the faster path (and holds no model objects)."""
    small = propose(random_instance(7, 40), certify=False)
    monkeypatch.setattr(engine, "SPARSE_MAX_PAIRS", 0)  # any round is "too large" now
    large = propose(random_instance(7, 40), certify=False)
    assert small.stats["solver"] == "sparse-exact" and small.stats["top_k"] == SPARSE_TOP_K
    assert large.stats["solver"] == "highs-lp" and large.stats["top_k"] == DEFAULT_TOP_K
    assert len(large.pairs) > 0
    # the same candidates through the PuLP model: the same total
    monkeypatch.setattr(engine, "solve", lambda p, **kw: solve(p, **{**kw, "method": "pulp"}))
    with_model = propose(random_instance(7, 40), certify=False)
    assert with_model.stats["solver"] == "pulp-cbc"
    assert with_model.stats["lp_objective"] == pytest.approx(large.stats["lp_objective"], abs=1e-6)


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_freed_heap_memory_goes_back_to_the_system_before_a_highs_solve():
    """The solve is a large run's peak: what scoring freed into the C heap is handed back first."""
    from mentorflow.matching import heap

    if not os.path.exists("/proc/self/statm") or not heap.release_free_memory():
        pytest.skip("no malloc_trim or /proc here")
    chunks = [bytearray(64 * 1024) for _ in range(3200)]  # ~200 MB of heap chunks (below glibc's mmap threshold)
    keep = bytearray(64 * 1024)  # allocated last: the heap's top stays in use, so free() alone cannot shrink it
    del chunks
    before = _resident_mb()
    assert heap.release_free_memory()
    assert before - _resident_mb() > 100
    del keep
