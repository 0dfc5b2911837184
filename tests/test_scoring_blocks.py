"""Scoring block by block: a pair's score does not depend on the block it is scored in, and the selection of
each row's best candidates keeps exactly the k best, the lower column of equal scores first."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from matching_fixtures import random_instance
from mentorflow.matching import COMPONENTS, heap, personality, scoring, text
from mentorflow.matching.scoring import best_per_row


def _brute_force(total: np.ndarray, k: int) -> set[tuple[int, int]]:
    """Each row's finite entries ordered by score (best first), then column (lower first); the first k."""
    kept = set()
    for i, row in enumerate(total):
        finite = [j for j in range(len(row)) if np.isfinite(row[j])]
        kept |= {(i, j) for j in sorted(finite, key=lambda j: (-row[j], j))[:k]}
    return kept


def _blocks(rng: np.random.Generator):
    """Blocks with ties (scores from a few values), rows with no or fewer than k allowed columns, and rows whose
    allowed columns all lie outside the sample the bar is taken from (every step-th column)."""
    for n_rows, n_cols, k in ((7, 5, 5), (30, 40, 3), (25, 2000, 15), (12, 5000, 1), (9, 3000, 40)):
        total = rng.choice(np.array([0.25, 0.5, 0.5, 0.75, 1.0], np.float32), (n_rows, n_cols))
        total[rng.random((n_rows, n_cols)) < 0.3] = -np.inf
        total[0] = -np.inf
        total[1, k:] = -np.inf
        step = max(1, int(np.sqrt(n_cols / (8 * k))))
        if step > 1:  # allowed only off the sample's columns, with fewer allowed than k in the sample
            total[2] = -np.inf
            total[2, 1::step] = rng.random(len(total[2, 1::step]), dtype=np.float32)
        yield total, k
        yield rng.random((n_rows, n_cols), dtype=np.float32), k  # no ties, everything allowed


def test_best_per_row_keeps_the_k_best_and_the_lower_column_of_equal_scores():
    rng = np.random.default_rng(3)
    for total, k in _blocks(rng):
        rows, cols, scores = best_per_row(total, k)
        assert set(zip(rows.tolist(), cols.tolist())) == _brute_force(total, k)
        assert len(rows) == len(set(zip(rows.tolist(), cols.tolist())))
        assert scores.tobytes() == total[rows, cols].tobytes()
        assert np.all(np.diff(rows) >= 0)  # row by row


def test_best_per_row_of_a_row_with_nothing_allowed_is_empty():
    rows, cols, scores = best_per_row(np.full((3, 100), -np.inf, np.float32), 4)
    assert len(rows) == len(cols) == len(scores) == 0


@pytest.mark.parametrize("kind", ["traditional", "symbiotic", "reverse"])
@pytest.mark.parametrize("dense", [True, False])
def test_a_pairs_components_are_the_same_whichever_block_scores_it(kind, dense, monkeypatch):
    """Scored against all columns (laid out once) or alone, a pair gets the very same floats: candidates,
    explanations and the fill step score pairs in blocks of different shapes and must agree (``dense``: the
    columns' goal documents laid out dense, as for a vocabulary of up to DENSE_VOCABULARY features)."""
    if not dense:
        monkeypatch.setattr(text, "DENSE_VOCABULARY", 0)
    inp = random_instance(5, 90, kind)
    pop = scoring.build_population(inp.people, inp.applications, inp.program_type, inp.rules)
    everyone = np.arange(len(pop.ids))
    r, c = everyone[::2], everyone[1::2]
    symmetric = kind == "symbiotic"
    block = scoring.components(pop, r, c, None, symmetric, scoring.lay_out(pop, c, symmetric))
    rng = np.random.default_rng(0)
    for i, j in zip(rng.integers(0, len(r), 40), rng.integers(0, len(c), 40)):
        alone = scoring.components(pop, r[[i]], c[[j]], None, symmetric)
        for name in COMPONENTS:
            assert alone[name][0, 0].tobytes() == block[name][i, j].tobytes(), (name, i, j)
    assert (scoring.lay_out(pop, c, symmetric).goals.teaches is not None) == dense
    assert block["goals"].max() > 0 and block["skills"].max() > 0  # the products really ran


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def test_while_scoring_large_blocks_come_from_the_heap_and_afterwards_they_are_mapped_again():
    """Within reused_heap a 40 MB array is taken from the heap (no new mapping); afterwards glibc's usual
    threshold (32 MB) holds again and the same array is mapped from the system, as it was before."""
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("not glibc 2.33 or later")
    libc.mallinfo2.restype = _MallInfo2

    def mapped_by(size: int) -> int:
        before = libc.mallinfo2().hblkhd
        block = np.ones(size // 8)
        grown = libc.mallinfo2().hblkhd - before
        del block
        return grown

    size = 40 << 20
    with heap.reused_heap() as took:
        assert took
        assert mapped_by(size) == 0
    assert mapped_by(size) >= size


@pytest.mark.parametrize("setting", [None, "complement", "similarity"])
def test_the_personality_of_a_block_is_its_linear_part_plus_the_calibrated_trait_fit(setting):
    """The trait fit of a block, summed from the columns' laid-out integer scores, is the very float of
    ``trait_fit`` (a product over one-hot levels) for the same modes, laid out or not."""
    from mentorflow.cohorts.personality import trait_modes

    inp = random_instance(11, 120, "reverse")
    pop = scoring.build_population(inp.people, inp.applications, inp.program_type, inp.rules)
    p = pop.traits
    everyone = np.arange(len(pop.ids))
    r, c = everyone[::3], everyone[1::2]
    modes = None if setting is None else trait_modes(setting, p.program_type)
    left, right = personality._linear_parts(p, False)
    expected = left[r] @ right[c].T
    expected += personality.FIT_SHARE * personality.trait_fit(p, r, c, modes)
    laid_out = personality.fit_columns(p, c, setting)
    other = personality.fit_columns(p, c, "similarity" if setting == "complement" else "complement")
    for columns in (None, laid_out, other):  # the last: laid out for other modes, so not used
        got = personality.component(p, r, c, False, setting, columns)
        assert got.dtype == np.float32 and got.tobytes() == expected.tobytes()
