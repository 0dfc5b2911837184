"""Open stage: the window opens. Import the HRIS roster through its gate, decide who is eligible,
invite them with a personal link to the application form."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mentorflow.cohorts import calendar
from mentorflow.quality import stage_gates
from mentorflow.roster import eligibility
from mentorflow.stages.common import CohortRun, compose, form_link, send
from mentorflow.store import people


def import_roster(run: CohortRun) -> dict[str, Any]:
    """Load the roster through the roster gate (bad rows quarantined), decide eligibility, store both.

    A held row is stored too, reduced to the person and their manager and never eligible: the hard
    rules (reporting line above all) need every link the HRIS gives, whatever else is wrong with a row."""
    config = run.config
    rows, held, gate = stage_gates.check_roster(config, run.store, config.resolve(config.sources.roster_csv))
    assessed = decide_eligibility(rows, run, held)
    with run.store.begin() as conn:
        run.store.register_cohort(config, conn=conn)
        run.store.upsert(people, assessed, conn=conn)
    eligible = sum(1 for p in assessed if p["eligible"])
    return {"rows": gate.checked, "people": len(rows), "eligible": eligible,
            "quarantined_rows": stage_gates.held_count(gate), "report": str(gate.report)}


def decide_eligibility(rows: list[dict[str, Any]], run: CohortRun,
                       held: list[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """The people rows to store: each roster row with ``eligible`` and the reason if not, as of the run's day;
    ``held``: rows the roster gate held (identity and manager link only), stored as not eligible."""
    assessed = eligibility.assess(pd.DataFrame(rows), run.config.eligibility, run.moment.date())
    if held:
        assessed = pd.concat([assessed, eligibility.held_back(pd.DataFrame(held))], ignore_index=True)
    assessed["cohort_id"] = run.cohort
    return assessed.to_dict("records")


def send_invitations(run: CohortRun) -> dict[str, Any]:
    """Invite every eligible person once, with the deadline and their own link."""
    invitees = [p for p in run.store.rows(people, cohort_id=run.cohort) if p["eligible"]]
    return {"invited": len(invitees), **send(run, invitations(run, invitees, "invitation", "window"))}


def invitations(run: CohortRun, invitees: list[dict[str, Any]], template: str, period: str) -> list:
    """Invitation-style emails (the invitation, and each reminder wave) to ``invitees``."""
    config = run.config
    deadline = calendar.describe(calendar.window(config)[1], config)
    return [compose(config, p, template, period, deadline=deadline,
                    link=form_link(config, p["employee_id"], "application", "window"))
            for p in invitees]
