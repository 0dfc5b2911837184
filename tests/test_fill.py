"""The fill step (matching/fill.py) scores only the mentors with room; it must make the same picks and give the
same reasons as scoring every mentor for every mentee left out does (the step as it was before it was made
faster)."""

from __future__ import annotations

import numpy as np
import pytest
from matching_fixtures import random_instance
from mentorflow.cohorts.config import MatchingRules
from mentorflow.matching import explain, fill, scoring
from mentorflow.matching.inputs import COMPONENTS
from mentorflow.matching.prepare import prepare


def every_mentor(p, left, residual):
    """The fill step as it was: each mentee left out against every mentor, closed ones at -inf."""
    rules, added, reasons = p.common["rules"], [], {}
    for block in scoring.scored_blocks(p.pop, p.relations, p.rows[left], p.cols, **p.common):
        for i, person in enumerate(block.people):
            row = int(left[block.start + i])
            options = np.where(residual > 0, block.total[i], -np.inf)
            best = int(np.argmax(options))
            if np.isfinite(options[best]):
                residual[best] -= 1
                added.append((row, best, float(options[best]), [float(block.parts[n][i, best]) for n in COMPONENTS]))
            else:
                reasons[row] = explain.unmatched_reason(
                    p.pop, int(person), block.rules, i, block.total[i], p.relations, p.cols, program_type=p.kind,
                    min_level_gap=rules.min_level_gap, min_score=rules.min_score)
    return added, reasons


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fill_places_and_explains_as_scoring_every_mentor_does(seed):
    p = prepare(random_instance(seed, 160, rules=MatchingRules(max_mentees_per_mentor=1, min_score=0.3)))
    cand = scoring.top_candidates(p.pop, p.relations, p.rows, p.cols, k=3, **p.common)
    # a solve that used some of the mentors: every other mentor's room is taken by nobody yet
    rng = np.random.default_rng(seed)
    taken = rng.random(len(p.cols)) < 0.6
    residual = p.capacity - taken.astype(int)
    left = np.flatnonzero(rng.random(len(p.rows)) < 0.7)
    expected_added, expected_reasons = every_mentor(p, left, residual.copy())
    added, reasons, _ = fill.fill(p.pop, p.relations, p.rows, p.cols, left, residual.copy(), set(), cand.allowed,
                                  p.common, p.kind, p.common["rules"])
    # the same picks; the scores agree to float32 rounding (a product over fewer mentors may round its last bit
    # differently: the goals part is a matrix product)
    assert [(r, c) for r, c, _, _ in added] == [(r, c) for r, c, _, _ in expected_added]
    assert np.allclose([s for _, _, s, _ in added], [s for _, _, s, _ in expected_added], rtol=0, atol=1e-6)
    assert np.allclose([p for *_, p in added], [p for *_, p in expected_added], rtol=0, atol=1e-6)
    assert reasons == expected_reasons
    assert expected_added and expected_reasons  # both branches ran: some placed, some left with a reason
    assert any(r.startswith("capacity exhausted") for r in reasons.values())
