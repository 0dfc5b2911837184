"""Random matching instances for the matching tests (roster and application frames)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mentorflow.cohorts.config import MatchingRules
from mentorflow.matching import MatchInput

SKILLS = ["negotiation", "public speaking", "sql", "python", "leadership", "budgeting"]
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Singapore"]


def _skills(rng: np.random.Generator, low: int, high: int) -> str:
    chosen = rng.choice(SKILLS, int(rng.integers(1, 4)), replace=False)
    return ";".join(f"{s}:{int(rng.integers(low, high + 1))}" for s in chosen)


def random_instance(seed: int, n: int, program_type: str = "traditional", *, rules: MatchingRules | None = None,
                    relations: bool = True, pip: bool = True) -> MatchInput:
    """``n`` people with a random manager tree, roles by level, avoid lists, former pairs and
    committee forbids (when ``relations``), a few people on a PIP (when ``pip``)."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n)]
    level = rng.integers(1, 6, n)
    manager = [None] + [ids[int(rng.integers(0, i))] if relations else None for i in range(1, n)]
    people = pd.DataFrame({
        "employee_id": ids, "full_name": [f"Person {i}" for i in range(n)], "level": level, "manager_id": manager,
        "department": rng.choice(["Eng", "Sales", "Ops"], n), "location": rng.choice(["Berlin", "London", "NYC"], n),
        "timezone": rng.choice(ZONES, n), "on_pip": (rng.random(n) < 0.1) if pip else np.zeros(n, bool),
        "job_title": "x",
    })
    if program_type == "symbiotic":
        role = np.full(n, "both", dtype=object)
    elif program_type == "reverse":
        role = np.where(level <= 2, "mentor", "mentee").astype(object)
    else:
        role = np.where(level >= 4, "mentor", np.where(level == 3, "both", "mentee")).astype(object)
    offers = np.isin(role, ["mentor", "both"])
    wants = np.isin(role, ["mentee", "both"])
    apps = pd.DataFrame({
        "employee_id": ids, "role": role,
        "skills_offered": [_skills(rng, 2, 5) if o else "" for o in offers],
        "skills_wanted": [_skills(rng, 1, 4) if w else "" for w in wants],
        "goals": [f"get better at {rng.choice(SKILLS)} and {rng.choice(SKILLS)}" for _ in ids],
        "motivation": "grow", **{f"tipi_{i}": rng.integers(1, 8, n) for i in range(1, 11)},
        "capacity": rng.integers(1, 4, n), "hours_per_month": rng.choice([2.0, 4.0, 6.0], n),
        "preferred_partners": [";".join(rng.choice(ids, int(rng.integers(0, 3)), replace=False)) for _ in ids],
        "avoid_partners": [";".join(rng.choice(ids, int(rng.integers(0, 2)), replace=False)) if relations else ""
                           for _ in ids],
    })
    pairs = [(ids[int(a)], ids[int(b)]) for a, b in rng.integers(0, n, (n // 3, 2))] if relations else []
    half = len(pairs) // 2
    return MatchInput(program_type, rules or MatchingRules(), people, apps, previous_pairs=set(pairs[:half]),
                      forbidden_pairs=set(pairs[half:]))
