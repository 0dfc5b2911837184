"""A cohort where mentors are scarce, for the alternatives tests (stages and the offer form).

25 applicants: 4 mentors of capacity 1 (level 6; M1 and M2 volunteer to lead a circle, M3 gives a written
budget of 4 questions a month), 20 mentees (level 2) wanting negotiation or public speaking, and M5, a
mentor at the mentees' own level whom no mentee fits (standby). E05 reports to M1, E06 avoids E07.
Everyone else reports to a director who does not apply.
"""

from __future__ import annotations

import pandas as pd
from conftest import ready_store, run_to_kickoff, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.store import applications
from quality_fixtures import APPLICATION_COLUMNS, ROSTER_COLUMNS, write_rows

MENTORS = ("M1", "M2", "M3", "M4")
MENTEES = tuple(f"E{i:02d}" for i in range(1, 21))
CIRCLE_VOLUNTEERS = ("M1", "M2")
ASYNC_MENTOR, ASYNC_BUDGET = "M3", 4
BOSS = {"E05": "M1"}
AVOID = {"E06": "E07"}
NO_CONSENT = ("E01", "E02")
IDLE_MENTOR = "M5"


def _person(pid: str, level: int, manager: str) -> dict:
    return {"employee_id": pid, "full_name": f"Person {pid}", "email": f"{pid.lower()}@example.com",
            "department": "Sales" if pid.startswith("E") else "Finance", "job_title": "Analyst" if level < 5
            else "Director of Sales", "level": level, "manager_id": manager, "location": "Berlin",
            "timezone": "Europe/Berlin", "hire_date": "2020-01-01", "on_pip": "false"}


def _application(pid: str, role: str, *, offered: str = "", wanted: str = "", capacity: str = "",
                 avoid: str = "") -> dict:
    return {"employee_id": pid, "role": role, "motivation": "I want to grow and help others grow in their work.",
            "prior_experience": "none", "skills_offered": offered, "skills_wanted": wanted,
            "goals": "Get better at the skills I named, step by step.", "preferred_traits": "",
            **{f"tipi_{i}": 4 for i in range(1, 11)}, "capacity": capacity, "hours_per_month": 2,
            "preferred_partners": "", "avoid_partners": avoid, "share_goals": "yes", "affinity_network": "",
            "affinity_match": "", "affinity_consent": ""}


def scarce_world(cohorts_dir, **overrides):
    """(config, store) after kickoff: 4 mentees paired, 16 without a partner; the circle and written
    volunteers set as the application form stores them."""
    roster = [_person("D1", 8, "")] + [_person(m, 6, "D1") for m in MENTORS]
    roster += [_person(e, 2, BOSS.get(e, "D1")) for e in MENTEES] + [_person(IDLE_MENTOR, 2, "D1")]
    apps = [_application(m, "mentor", offered="negotiation:5;public speaking:5", capacity="1") for m in MENTORS]
    apps.append(_application(IDLE_MENTOR, "mentor", offered="negotiation:4", capacity="1"))
    apps += [_application(e, "mentee", wanted="negotiation:3" if i % 2 else "public speaking:3;negotiation:2",
                          avoid=AVOID.get(e, "")) for i, e in enumerate(MENTEES)]
    data = cohorts_dir / "data"
    write_rows(data / "roster.csv", pd.DataFrame(roster), ROSTER_COLUMNS)
    write_rows(data / "applications.csv", pd.DataFrame(apps), APPLICATION_COLUMNS)
    overrides.setdefault("eligibility", {"min_tenure_days": 0})
    overrides.setdefault("committee", {"review_mode": "auto"})
    config = load_cohort(write_cohort(cohorts_dir, **overrides))
    store = ready_store(config)
    run_to_kickoff(config, store)
    with store.begin() as conn:
        for pid in MENTORS + MENTEES:
            conn.execute(applications.update().where(applications.c.cohort_id == config.cohort,
                                                     applications.c.employee_id == pid).values(
                circle_volunteer=pid in CIRCLE_VOLUNTEERS, async_budget=ASYNC_BUDGET if pid == ASYNC_MENTOR else 0,
                group_consent=pid not in NO_CONSENT))
    return config, store
