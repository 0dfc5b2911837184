"""A worked example for previews: the sample mentee and mentor of the email previews (Alex Morgan, a data
analyst, and Priya Natarajan, an engineering manager) paired by the real matcher, so that a preview shows
the reasons the matcher writes for a pair (:func:`pair_explanation`), never invented ones."""

from __future__ import annotations

import pandas as pd

from mentorflow.cohorts.config import MatchingRules
from mentorflow.matching.inputs import MatchInput

MENTEE, MENTOR = "E00001", "M00001"


def example_input(number: int = 1) -> MatchInput:
    """The two people of the sample emails as the match stage would read them (``number`` varies the hours)."""
    people = pd.DataFrame([
        {"employee_id": MENTEE, "full_name": f"Alex Morgan {number}", "level": 2, "manager_id": None,
         "department": "Finance", "location": "Berlin", "timezone": "Europe/Berlin", "on_pip": False,
         "job_title": "Data Analyst"},
        {"employee_id": MENTOR, "full_name": f"Priya Natarajan {number}", "level": 5, "manager_id": None,
         "department": "Platform", "location": "Amsterdam", "timezone": "Europe/Amsterdam", "on_pip": False,
         "job_title": "Engineering Manager"},
    ])
    tipi = {MENTEE: (5, 3, 6, 3, 6, 3, 6, 2, 5, 2), MENTOR: (5, 2, 6, 2, 6, 4, 6, 2, 6, 3)}
    apps = pd.DataFrame([
        {"employee_id": MENTEE, "role": "mentee", "skills_offered": "",
         "skills_wanted": "stakeholder communication:4;sql:4;negotiation:3;public speaking:3",
         "goals": "Lead my first cross-team project and grow into a team lead role", "motivation": "grow",
         "capacity": 0, "hours_per_month": 4.0, "preferred_partners": "", "avoid_partners": "",
         **{f"tipi_{i}": v for i, v in enumerate(tipi[MENTEE], 1)}},
        {"employee_id": MENTOR, "role": "mentor", "skills_offered": "stakeholder communication:4;sql:5;negotiation:4",
         "skills_wanted": "", "goals": "Coach a future team lead through their first cross-team project",
         "motivation": "give back", "capacity": 2, "hours_per_month": 4.0 + number % 2,
         "preferred_partners": "", "avoid_partners": "", **{f"tipi_{i}": v for i, v in enumerate(tipi[MENTOR], 1)}},
    ])
    return MatchInput("traditional", MatchingRules(), people, apps)


def pair_explanation(number: int = 1) -> str:
    """The matcher's explanation of the example pair (its reasons joined by ``'; '``, as stored)."""
    from mentorflow.matching import propose  # lazy: the solver loads only when a preview asks

    result = propose(example_input(number), certify=False)
    if result.pairs.empty:  # pragma: no cover - the example is built to pair; say so if a rule change breaks it
        raise RuntimeError(f"the example pair was not matched: {result.unmatched.to_dict('records')}")
    return str(result.pairs.iloc[0]["explanation"])
