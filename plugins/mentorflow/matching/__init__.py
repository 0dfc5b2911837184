"""Matching mentors with mentees.

:func:`propose` is the one entry point the pipeline and the CLI use. The package is split so that
importing it stays light (the DAG factory reads :mod:`.committee` at parse time):

- :mod:`.scoring`: pair scores and hard rules, vectorised block by block, top-k pruning;
- :mod:`.text`: what a mentee wants to learn against what a mentor can teach (the goals part), and the
  words of both texts an explanation may quote;
- :mod:`.mutual`: what makes a symbiotic pair a real exchange (a hard rule of the scoring masks);
- :mod:`.several`, :mod:`.several_model`: several mentors per mentee, each covering a skill the others do not;
- :mod:`.personality`: the personality component (calibrated per trait, asked-for traits, experience) and
  its explanation; :mod:`.stated`: reading ``preferred_traits`` and ``prior_experience``;
- :mod:`.capacity`: how many mentees a mentor takes (the matcher and the matches gate share it);
- :mod:`.solver`: the PuLP model over candidate pairs (pure; benchmarked against the exact optimum);
- :mod:`.engine`: one matching run from applications to explained pairs;
- :mod:`.phases`: people matched before everyone else (the waitlist), one solve per priority set;
- :mod:`.explain`: reasons for each pair and for everyone left unmatched;
- :mod:`.fairness`: the bias audit in the committee's report;
- :mod:`.committee`: reading the committee's human-in-the-loop answer.
"""

from __future__ import annotations

from typing import Any

from mentorflow.matching.inputs import COMPONENTS, DEFAULT_TOP_K, MatchInput, MatchResult

__all__ = ["COMPONENTS", "DEFAULT_TOP_K", "MatchInput", "MatchResult", "propose"]


def propose(inp: MatchInput, **options: Any) -> MatchResult:
    """Pairs that honour every hard rule and maximise the total score, each with its reasons
    (options: ``progress``, ``certify``; see :func:`mentorflow.matching.engine.propose`). Scores are taken at
    ``inp.moment``, the run's moment, never at the wall clock's. ``inp.priority`` is matched first, phase by
    phase (:mod:`.phases`)."""
    from mentorflow.matching import engine, phases  # lazy: PuLP and SciPy load only when a match runs

    if inp.priority:
        return phases.propose_in_phases(inp, lambda phase: engine.propose(phase, **options))
    return engine.propose(inp, **options)
