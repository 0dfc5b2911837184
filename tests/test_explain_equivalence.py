"""The pair explanations of a run say exactly what they said before they were computed for all proposed pairs
at once (revision 2b772b5, one pair at a time): on seeded instances of every program type the proposed pairs,
their scores, score components and explanation texts are the recorded ones, and so are the reasons of random
(mostly unproposed) pairs asked one at a time, as the recommendation page asks them.

The expected values are kept in ``tests/data/explain_equivalence.json``; ``MENTORFLOW_WRITE_EXPECTED=1``
rewrites that file from whichever ``mentorflow`` is on the path, which is how it was made with that revision's
plugins."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from matching_fixtures import random_instance
from mentorflow.cohorts.config import MatchingRules, Weights
from mentorflow.demo.synthetic import generate_applications, generate_roster
from mentorflow.matching import COMPONENTS, MatchInput, explain, propose, scoring

EXPECTED = Path(__file__).parent / "data" / "explain_equivalence.json"
# goals and personality weigh more than by default, so their reasons (the quoted words) are among the three shown
TALKATIVE = Weights(skills=0.2, goals=0.35, personality=0.25, preferences=0.1, availability=0.05, diversity=0.05)


def _synthetic(kind: str, n: int, seed: int, weights=None, **rules) -> MatchInput:
    roster = generate_roster(n, seed)
    roster["on_pip"] = roster["on_pip"].eq("true")
    apps = generate_applications(roster, seed, program_type=kind, apply_rate=0.8, incomplete_rate=0.0)
    history = {e: 1 + i % 2 for i, e in enumerate(apps["employee_id"][::7])}  # well-rated past pairs
    return MatchInput(kind, MatchingRules(**rules), roster, apps, weights=weights or Weights(),
                      mentor_history=history)


CASES = {
    "traditional": lambda: _synthetic("traditional", 600, 5),
    "traditional-talkative": lambda: _synthetic("traditional", 500, 11, TALKATIVE),
    "traditional-complement": lambda: _synthetic("traditional", 600, 3, TALKATIVE, personality="complement"),
    "reverse": lambda: _synthetic("reverse", 500, 7, TALKATIVE),
    "symbiotic": lambda: _synthetic("symbiotic", 500, 9, TALKATIVE),
    "random-rules": lambda: random_instance(21, 160),
}


def _run(name: str) -> dict:
    inp = CASES[name]()
    result = propose(inp, certify=False)
    pairs = result.pairs.sort_values(["mentee_id", "mentor_id"])
    return {"pairs": [[r.mentor_id, r.mentee_id, r.score, r.explanation, *(getattr(r, c) for c in COMPONENTS)]
                      for r in pairs.itertuples()],
            "random_pairs_sha": _random_pairs_sha(inp)}


def _random_pairs_sha(inp: MatchInput, side: int = 40) -> str:
    """Every reason of side × side random pairs, one pair at a time, weighed as the cohort weighs."""
    pop = scoring.build_population(inp.people, inp.applications, inp.program_type, inp.rules,
                                   history=inp.mentor_history)
    rng = np.random.default_rng(len(pop.ids))
    people = rng.permutation(len(pop.ids))
    rows, cols = people[:side], people[side:2 * side]
    parts = scoring.components(pop, rows, cols, None, inp.program_type == "symbiotic")
    w = scoring.weight_vector(inp.weights or Weights())
    said = [explain.pair_reasons(pop, int(row), int(col), np.array([parts[n][i, j] for n in COMPONENTS],
                                                                    dtype=np.float32), w, inp.program_type)
            for i, row in enumerate(rows) for j, col in enumerate(cols)]
    return hashlib.sha256(json.dumps(said).encode()).hexdigest()


def test_the_expected_file_holds_every_case():
    if os.environ.get("MENTORFLOW_WRITE_EXPECTED") == "1":
        EXPECTED.write_text(json.dumps({name: _run(name) for name in CASES}, indent=0) + "\n")
    assert set(json.loads(EXPECTED.read_text())) == set(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_pairs_scores_and_explanations_are_the_recorded_ones(name):
    expected = json.loads(EXPECTED.read_text())[name]
    got = json.loads(json.dumps(_run(name)))  # the file's own rounding of floats
    assert len(got["pairs"]) == len(expected["pairs"]) > 0
    for mine, theirs in zip(got["pairs"], expected["pairs"]):
        assert mine == theirs
    assert got["random_pairs_sha"] == expected["random_pairs_sha"]
