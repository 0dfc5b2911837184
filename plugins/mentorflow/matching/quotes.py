"""The words an explanation quotes from two people's goal texts (:mod:`.text` computes the weights).

A pair's quotes are the heaviest words or phrases of its goals score that occur, as written, in both texts.
Every proposed pair of a round is quoted in one call: the shared features of all pairs come from one
intersection of the TF-IDF rows' CSR arrays, and each field text is read once (the analyzer remembers its terms
and their forms), not once per pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from mentorflow.matching.text import GoalTexts


def quotes(goals: GoalTexts, wanters: np.ndarray, teachers: np.ndarray, symmetric: bool,
           top: int = 2) -> list[list[str]]:
    """For each pair (wanters[k], teachers[k]): up to ``top`` words or phrases behind its goals score,
    heaviest first, each in a form that occurs in a field of both texts (the wanter's wants, the teacher's
    teaches; symbiotic: either direction). A phrase is preferred over its own words."""
    wanters, teachers = np.asarray(wanters, np.int64), np.asarray(teachers, np.int64)
    shared = [_shared(goals.wants, wanters, goals.teaches, teachers)]
    if symmetric:
        shared.append(_shared(goals.wants, teachers, goals.teaches, wanters))
    lists = [(bounds.tolist(), cols.tolist(), weights.tolist()) for bounds, cols, weights in shared]
    analyzer, features = goals.analyzer, goals.features
    out = []
    for k, (wanter, teacher) in enumerate(zip(wanters.tolist(), teachers.tolist())):
        found: list[tuple[float, str, str]] = []  # (weight, term, form)
        for (a, b), (bounds, cols, weights) in zip(((wanter, teacher), (teacher, wanter)), lists):
            lo, hi = bounds[k], bounds[k + 1]
            if lo == hi:
                continue
            mine, theirs = goals.wants_fields[a], goals.teaches_fields[b]
            for weight, col in zip(weights[lo:hi], cols[lo:hi]):
                term = str(features[col])
                form = _common_form(analyzer, analyzer.forms(term, mine) | analyzer.forms(term, theirs), mine, theirs)
                if form:
                    found.append((weight, term, form))
        out.append(_heaviest(found, top))
    return out


def _common_form(analyzer, forms: set[str], mine: Sequence[str], theirs: Sequence[str]) -> str | None:
    """The first form (by lower-case, then as written) that occurs in both texts, or None."""
    for form in sorted(forms, key=lambda f: (f.lower(), f)):
        if analyzer.occurs(form, mine) and analyzer.occurs(form, theirs):
            return form
    return None


def _heaviest(found: list[tuple[float, str, str]], top: int) -> list[str]:
    """The forms of the ``top`` heaviest terms, a phrase preferred over its own words."""
    chosen: list[tuple[float, str, str]] = []
    for weight, term, form in sorted(found, key=lambda t: (-len(t[1].split()), -t[0], t[2].lower())):
        if not any(_inside(form, c[2]) for c in chosen) and form.lower() not in (c[2].lower() for c in chosen):
            chosen.append((weight, term, form))
        if len(chosen) == top * 3:
            break
    chosen.sort(key=lambda t: (-t[0], t[2].lower()))
    return [form for _, _, form in chosen[:top]]


def _inside(word: str, phrase: str) -> bool:
    return word.lower() in phrase.lower().split()


def _entries(m: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, position in ``m.data``) of every stored entry of the rows ``rows[k]``, row after row."""
    start, stop = m.indptr[rows], m.indptr[rows + 1]
    lengths = (stop - start).astype(np.int64)
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    return owner, np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(start - (np.cumsum(lengths) - lengths),
                                                                            lengths)


def _shared(left: sp.csr_matrix, a: np.ndarray, right: sp.csr_matrix,
            b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The features row ``a[k]`` of ``left`` and row ``b[k]`` of ``right`` share and the products of their
    weights, for every k at once (one intersection of (k, feature) keys): pair k's are
    ``cols[bounds[k]:bounds[k + 1]]``, in feature order, as ``np.intersect1d`` of the two rows gives them."""
    width = np.int64(max(left.shape[1], 1))
    owner_a, pos_a = _entries(left, a)
    owner_b, pos_b = _entries(right, b)
    keys, ia, ib = np.intersect1d(owner_a * width + left.indices[pos_a], owner_b * width + right.indices[pos_b],
                                  assume_unique=True, return_indices=True)
    bounds = np.searchsorted(keys // width, np.arange(len(a) + 1))
    return bounds, keys % width, left.data[pos_a[ia]] * right.data[pos_b[ib]]
