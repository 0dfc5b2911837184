"""The fill step of :func:`mentorflow.matching.propose`: after the solve, a mentee the pruned model left out
takes the best allowed mentor who still has room (this only adds score), and whoever is still left gets the
rule that left them without a partner (:func:`mentorflow.matching.explain.unmatched_reason`)."""

from __future__ import annotations

import time

import numpy as np

from mentorflow.matching import explain, scoring
from mentorflow.matching.inputs import COMPONENTS


def fill(pop, relations, rows, cols, left, residual, matched_rows, allowed, common, kind, rules):
    """Each mentee in ``left`` (in order) takes the best allowed mentor who still has room. Only the mentors with
    room are scored (a mentor without room never gets any back), so the picks are the ones scoring every mentor
    would give. Returns the pairs added, the reason of each mentee still without a partner, and the seconds
    spent on those reasons."""
    added, still = [], []
    open_cols = np.flatnonzero(residual > 0)
    if len(left) and len(open_cols):
        for block in scoring.scored_blocks(pop, relations, rows[left], cols[open_cols], **common):
            for i in range(len(block.people)):
                row = int(left[block.start + i])
                options = np.where(residual[open_cols] > 0, block.total[i], -np.inf)
                best = int(np.argmax(options))
                if np.isfinite(options[best]):
                    col = int(open_cols[best])
                    residual[col] -= 1
                    matched_rows.add(row)
                    added.append((row, col, float(options[best]),
                                  np.array([block.parts[n][i, best] for n in COMPONENTS], dtype=np.float32)))
                else:
                    still.append(row)
    else:
        still = left.tolist()
    started = time.perf_counter()
    # a mentee with an allowed mentor (counted while scoring) is left only because every one of them is taken;
    # the others are read rule by rule against every mentor (explain.unmatched_reason)
    reasons = {row: f"capacity exhausted: all {int(allowed[row])} eligible mentors are taken by other pairs"
               for row in still if allowed is not None and allowed[row] > 0}
    rest = np.array([row for row in still if row not in reasons], dtype=np.int64)
    for block in scoring.scored_blocks(pop, relations, rows[rest], cols, **common):
        for i, person in enumerate(block.people):
            reasons[int(rest[block.start + i])] = explain.unmatched_reason(
                pop, int(person), block.rules, i, block.total[i], relations, cols, program_type=kind,
                min_level_gap=rules.min_level_gap, min_score=rules.min_score)
    return added, reasons, time.perf_counter() - started


def fill_symmetric(pop, relations, rows, cols, left, residual, matched_rows, allowed, common, kind, rules):
    """:func:`fill` for a symbiotic round, where rows and columns are the same people: a person placed as
    either side is taken, so every partner is scored for each person left."""
    added, reasons, explaining = [], {}, 0.0
    for block in scoring.scored_blocks(pop, relations, rows[left], cols, **common):
        for i, person in enumerate(block.people):
            row = int(left[block.start + i])
            if row in matched_rows:
                continue
            open_cols = (residual > 0) & ~np.isin(np.arange(len(cols)), list(matched_rows)) & (np.arange(len(cols)) != row)
            options = np.where(open_cols, block.total[i], -np.inf)
            best = int(np.argmax(options)) if len(options) else -1
            if best >= 0 and np.isfinite(options[best]):
                residual[best] -= 1
                matched_rows |= {row, best}
                added.append((row, best, float(options[best]),
                              np.array([block.parts[n][i, best] for n in COMPONENTS], dtype=np.float32)))
            else:
                started = time.perf_counter()
                reasons[row] = explain.unmatched_reason(
                    pop, int(person), block.rules, i, block.total[i], relations, cols, program_type=kind,
                    min_level_gap=rules.min_level_gap, min_score=rules.min_score)
                explaining += time.perf_counter() - started
    return added, reasons, explaining
