"""Close-out stage: at close-out the evaluation survey, final pair health and completed pairs; halfway
through the evaluation window a reminder to non-respondents; when it closes, the HR report, sent to HR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.messaging import Attachment, OutgoingEmail
from mentorflow.outcomes import learning
from mentorflow.quality import stage_gates
from mentorflow.reports import hr as hr_report
from mentorflow.reports import served
from mentorflow.reports.render import MIN_CELL
from mentorflow.stages import waitlist_carry
from mentorflow.stages.common import CohortRun, compose, form_link, people_index, program_contact, send
from mentorflow.stages.pulse import assess_health
from mentorflow.store import email_ledger, evaluations, matches
from mentorflow.workspace import spaces

TOOK_PART = ("active", "ended", "completed")
REPORT_ATTACHMENTS = {"pdf": "application/pdf", "html": "text/html"}  # the HR report's files HR is sent


def participants(run: CohortRun) -> list[str]:
    """Every mentor and mentee who took part (ended pairs included)."""
    return sorted({p for m in run.store.rows(matches, cohort_id=run.cohort)
                   if m["status"] in TOOK_PART for p in (m["mentor_id"], m["mentee_id"])})


def evaluation_emails(run: CohortRun, template: str, people_ids: list[str]) -> list[OutgoingEmail]:
    """The evaluation (or its reminder) to each of ``people_ids``; whoever has a partnership page to look
    back on (a pair still running or completed, not one that ended) gets its link too."""
    everyone = people_index(run.store, run.cohort)
    closes = calendar.describe(calendar.form_deadline(run.config, "closeout"), run.config)
    paged = {p for m in run.store.rows(matches, cohort_id=run.cohort) if m["status"] in spaces.OPEN
             for p in (m["mentor_id"], m["mentee_id"])}
    return [compose(run.config, everyone[p], template, "closeout", closes=closes, partnered=p in paged,
                    link=form_link(run.config, p, "closeout", "closeout"))
            for p in people_ids]


def send_closeout_survey(run: CohortRun) -> dict[str, Any]:
    """The final evaluation, to every mentor and mentee who took part."""
    people_ids = participants(run)
    return {"participants": len(people_ids), **send(run, evaluation_emails(run, "closeout", people_ids))}


def send_closeout_reminders(run: CohortRun) -> dict[str, Any]:
    """Remind participants who were sent the evaluation and have not answered it."""
    asked = {r["person_id"] for r in run.store.rows(email_ledger, cohort_id=run.cohort, template="closeout")
             if r["status"] == "sent"}
    answered = {r["employee_id"] for r in run.store.rows(evaluations, cohort_id=run.cohort)}
    due = sorted(asked - answered)
    return {"reminded": len(due), **send(run, evaluation_emails(run, "closeout_reminder", due))}


def assess_final_health(run: CohortRun) -> dict[str, Any]:
    """Score the last pulse period, which closes with the program."""
    if not calendar.pulse_dates(run.config):
        return {"assessed": 0, "note": "no pulse periods"}
    return assess_health(run, calendar.pulse_period(run.config, run.moment))


def complete_pairs(run: CohortRun) -> dict[str, Any]:
    """Every pair still active at close-out completed the program; the waitlist is carried forward."""
    with run.store.begin() as conn:
        done = conn.execute(matches.update().where(matches.c.cohort_id == run.cohort, matches.c.status == "active")
                            .values(status="completed", ended_at=run.moment))
    # the people still waiting for a partner move to the next cohort's waitlist (docs/waitlist.md)
    return {"completed": done.rowcount, "waitlist": waitlist_carry.carry_waitlist(run)}


def build_hr_report(run: CohortRun) -> dict[str, Any]:
    """The HR report (HTML, PDF, CSV exports, suggested weights) from the gated evaluations; HR is sent it."""
    evaluations_kept = stage_gates.check_closeout(run.config, run.store)
    suggestion = learning.suggest_weights(learning.pair_outcomes(run.store, run.cohort),
                                          run.config.matching.weights.model_dump())
    files = hr_report.write(run.config, run.store, evaluations_kept, suggestion, moment=run.moment)
    return {"report": str(files["html"]), "pdf": str(files["pdf"]),
            "csv": sorted(str(p) for k, p in files.items() if k not in ("html", "pdf", "weights")),
            "suggested_weights": str(files["weights"]),
            "learning": {"verdict": suggestion.verdict, "weights_changed": suggestion.suggested != suggestion.current,
                         "evidence": learning.evidence_lines(suggestion)},
            "evaluations": run.store.count(evaluations, cohort_id=run.cohort),
            "notice": send(run, [report_notice(run.config, files)])}


def report_notice(config: CohortConfig, files: dict[str, Path]) -> OutgoingEmail:
    """HR's notice that the report is ready: links to the report served behind Airflow's login (the cohort's
    ``hr.viewers`` and admins may open them), and the report attached (PDF and HTML) for whoever reads it away from
    Airflow; never a path on the program's server."""
    attached = tuple(Attachment(files[kind].name, files[kind].read_bytes(), mime_type)
                     for kind, mime_type in REPORT_ATTACHMENTS.items())
    links = {kind: served.link(config.cohort, files[kind].name) for kind in REPORT_ATTACHMENTS}
    return compose(config, program_contact(config, "hr"), "report_ready", "closeout", attachments=attached,
                   attached=[a.filename for a in attached], min_cell=MIN_CELL, links=links,
                   listing=served.link(config.cohort, ""))
