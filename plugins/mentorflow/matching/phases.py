"""Priority phases: some people are matched before everyone else (``MatchInput.priority``, the waitlist's
longest-waiting first; docs/waitlist.md).

One phase per priority set, each solved with the pairs of the earlier phases fixed, then a last phase for
everyone else (``inp.seekers``; None: every applicant). Within a phase the optimizer maximises fit as usual.
The stages only say who comes first; the phases live here, under :func:`mentorflow.matching.propose`, so a
round's settings travel down one chain from the stage to the solver.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd

from mentorflow.matching.inputs import MatchInput, MatchResult

Solve = Callable[[MatchInput], MatchResult]  # one plain solve (matching.engine.propose)


def considered(inp: MatchInput) -> set[str]:
    """Who the matcher can place: eligible people with a valid application, not already in a fixed pair
    (as the mentee; in a symbiotic program on either side)."""
    both = inp.program_type == "symbiotic"
    fixed = {p for mentor, mentee in inp.fixed_pairs for p in ((mentor, mentee) if both else (mentee,))}
    return (set(inp.applications["employee_id"]) & set(inp.people["employee_id"])) - fixed


def propose_in_phases(inp: MatchInput, solve: Solve) -> MatchResult:
    """Match each set of ``inp.priority`` that the matcher can consider, one phase each (the pairs of earlier
    phases fixed), then ``inp.seekers`` in a last phase; one result with every phase's pairs and the last
    phase's unmatched list. The committee's locks are solved in the first phase (their mentees join it when
    everyone seeks). Without a priority set anyone can take, this is one plain solve."""
    available = considered(inp)
    groups = [group & available for group in inp.priority if group & available]
    plain = dataclasses.replace(inp, priority=[])
    if not groups:
        return solve(plain)
    fixed = list(inp.fixed_pairs)
    locks = list(inp.locked_pairs)
    found: list[pd.DataFrame] = []
    notes: list[str] = []
    for group in groups:
        seekers = set(group)
        if locks and inp.seekers is None:
            seekers |= {p for pair in locks for p in pair}
        phase = solve(dataclasses.replace(plain, seekers=seekers, fixed_pairs=list(fixed), locked_pairs=locks))
        found.append(phase.pairs)
        notes += phase.notes
        fixed += list(zip(phase.pairs["mentor_id"], phase.pairs["mentee_id"]))
        locks = []
    last = solve(dataclasses.replace(plain, fixed_pairs=fixed, locked_pairs=locks))
    pairs = pd.concat([p for p in [*found, last.pairs] if len(p)] or [last.pairs], ignore_index=True)
    return MatchResult(pairs=pairs, unmatched=last.unmatched, notes=notes + last.notes, stats=last.stats)
