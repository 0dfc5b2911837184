"""Retention stage: ``retention_days`` after the HR report, the cohort's free text is purged (answers,
comments, goals and motivation, the quarantine's copies of rows, provider error texts, the outbox of
emails, the partnership pages' notes, agreement texts, goal and milestone titles and next steps, the committee's
notes and its questions to applicants with their answers; a
self-described network becomes a random token) and only what the aggregates need remains: the HR report of a
purged cohort stays readable.

Running it again purges nothing more and changes nothing (it only ever writes NULLs, and tokens it leaves alone)."""

from __future__ import annotations

import shutil
from typing import Any

import sqlalchemy as sa

from mentorflow import settings
from mentorflow.contract import affinity
from mentorflow.personal_data.erasure import in_cohort
from mentorflow.stages.common import CohortRun
from mentorflow.store import (
    NOTE_PURGED,
    agreements,
    applications,
    committee_audit,
    committee_questions,
    email_ledger,
    evaluations,
    goals,
    matches,
    meeting_log,
    milestones,
    next_steps,
    pulse_responses,
    quarantine,
    rematch_requests,
)

# (table, the free-text columns purged); explanations quote words of the partners' own texts. A
# self-described network becomes a random token (affinity.purged_tokens): its words go, who shared one stays
FREE_TEXT: tuple[tuple[sa.Table, tuple[str, ...]], ...] = (
    (applications, ("motivation", "prior_experience", "goals", "preferred_traits")),
    (pulse_responses, ("comment",)),
    (evaluations, ("comment",)),
    (rematch_requests, ("comment",)),
    (quarantine, ("row_json",)),
    (email_ledger, ("last_error",)),
    (matches, ("explanation",)),
    (meeting_log, ("private_note",)),
    (agreements, ("wants_to_learn", "offers", "raise_problem")),
    (goals, ("title",)),
    (milestones, ("title",)),
    (next_steps, ("text",)),
    (committee_questions, ("question", "answer")),
)


def _purge_networks(conn: sa.Connection, cohort: str) -> int:
    """Self-described networks become random tokens, one per network (the HR report's counts of who got a
    partner from their network regenerate the same); returns how many rows changed."""
    column = applications.c.affinity_network
    held = conn.execute(sa.select(applications.c.employee_id, column).where(
        applications.c.cohort_id == cohort, column.is_not(None), ~column.startswith(affinity.PURGED))).all()
    tokens = affinity.purged_tokens(network for _, network in held)
    for employee_id, network in held:
        conn.execute(applications.update().where(applications.c.cohort_id == cohort,
                                                 applications.c.employee_id == employee_id)
                     .values(affinity_network=tokens[network]))
    return len(held)


def _purge_committee_notes(conn: sa.Connection, cohort: str) -> int:
    """The text of the committee's notes goes (who wrote a note, and when, stays in the audit trail)."""
    return conn.execute(committee_audit.update().where(
        committee_audit.c.cohort_id == cohort, committee_audit.c.action == "note",
        committee_audit.c.detail_json != NOTE_PURGED).values(detail_json=NOTE_PURGED)).rowcount


def purge_free_text(run: CohortRun) -> dict[str, Any]:
    counts = {}
    with run.store.begin() as conn:
        counts["affinity_network"] = _purge_networks(conn, run.cohort)
        counts["committee_notes"] = _purge_committee_notes(conn, run.cohort)
        for table, columns in FREE_TEXT:
            held = sa.or_(*(table.c[c].is_not(None) & (table.c[c] != "") for c in columns))
            values = {c: ("" if not table.c[c].nullable else None) for c in columns}
            done = conn.execute(table.update().where(in_cohort(table, run.cohort), held).values(values))
            counts[table.name] = done.rowcount
    outbox = settings.outbox_dir(run.cohort)
    emails = sum(1 for _ in outbox.rglob("*.eml")) if outbox.exists() else 0
    shutil.rmtree(outbox, ignore_errors=True)
    return {"rows_purged": {k: v for k, v in counts.items() if v}, "emails_deleted": emails}
