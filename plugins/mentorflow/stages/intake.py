"""Intake stage: while the window is open, import applications collected elsewhere, remind those
who have not applied, and ask applicants with gaps to complete their answers."""

from __future__ import annotations

from typing import Any

from mentorflow.cohorts import calendar
from mentorflow.contract import affinity, outcome_answers
from mentorflow.contract.parsing import parse_flag
from mentorflow.quality import stage_gates
from mentorflow.quality.suites import answer_gaps
from mentorflow.stages.common import CohortRun, compose, form_link, people_index, send
from mentorflow.stages.open import invitations
from mentorflow.store import applications, people


def import_applications(run: CohortRun) -> dict[str, Any]:
    """Applications from the cohort's CSV (through the intake gate); what people submitted through
    the forms wins: the CSV only fills in who is missing."""
    config = run.config
    if not config.sources.applications_csv:
        return {"imported": 0, "note": "no applications_csv configured: applications arrive through the forms"}
    rows, gate = stage_gates.check_intake(config, run.store, config.resolve(config.sources.applications_csv))
    # consent to quote one's goals to a partner: only an explicit yes (a file without the column: no one);
    # a network is kept only with consent to its use for matching; a circle and a written budget only from mentors
    records = [{**r, "share_goals": parse_flag(r.get("share_goals")), **affinity.consented(r), **outcome_answers.stored(r),
                "cohort_id": run.cohort, "source": "csv", "status": "received", "submitted_at": run.moment}
               for r in rows]
    run.store.upsert(applications, records, update=False)
    return {"rows": gate.checked, "imported": len(records), "quarantined_rows": stage_gates.held_count(gate),
            "report": str(gate.report)}


def send_reminders(run: CohortRun) -> dict[str, Any]:
    """Remind eligible people who have not applied, once per reminder wave since the window opened."""
    wave = calendar.reminder_wave(run.config, run.moment)
    if wave is None:
        return {"reminded": 0, "note": "no reminder due"}
    applied = {a["employee_id"] for a in run.store.rows(applications, cohort_id=run.cohort)}
    due = [p for p in run.store.rows(people, cohort_id=run.cohort) if p["eligible"] and p["employee_id"] not in applied]
    return {"reminded": len(due), **send(run, invitations(run, due, "reminder", f"wave-{wave}"))}


def send_gapfill(run: CohortRun, only: set[str] | None = None) -> dict[str, Any]:
    """Ask applicants with incomplete answers to complete them (once per distinct set of gaps);
    ``only`` limits it to these applicants (the validate stage: those quarantined for missing answers)."""
    everyone = people_index(run.store, run.cohort)
    apps = run.store.frame(applications, cohort_id=run.cohort)
    apps = apps[apps["status"] != "rejected"]
    if only is not None:
        apps = apps[apps["employee_id"].isin(only)]
    gaps_by_person = dict(zip(apps["employee_id"], answer_gaps(apps) if len(apps) else []))
    messages = gapfill_emails(run, gaps_by_person, everyone)
    return {"incomplete": len(messages), **send(run, messages)}


def gapfill_emails(run: CohortRun, gaps_by_person: dict[str, list[str]], everyone: dict[str, dict]) -> list:
    """One email per applicant with gaps, keyed by the set of gaps (a new gap asks again)."""
    messages = []
    for employee_id, gaps in gaps_by_person.items():
        person = everyone.get(employee_id)
        if gaps and person:
            period = "gaps-" + "-".join(sorted(g.split()[1] for g in gaps))
            messages.append(compose(run.config, person, "gapfill", period, missing=gaps,
                                    link=form_link(run.config, employee_id, "gapfill", "window")))
    return messages
