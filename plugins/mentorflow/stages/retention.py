"""Retention stage: ``retention_days`` after the HR report, the cohort's free text is purged (answers,
comments, goals and motivation, the quarantine's copies of rows, provider error texts, the outbox of
emails) and only what the aggregates need remains: the HR report of a purged cohort stays readable.

Running it again purges nothing more and changes nothing (it only ever writes NULLs)."""

from __future__ import annotations

import shutil
from typing import Any

import sqlalchemy as sa

from mentorflow import settings
from mentorflow.stages.common import CohortRun
from mentorflow.store import (
    applications,
    email_ledger,
    evaluations,
    matches,
    pulse_responses,
    quarantine,
    rematch_requests,
)

# (table, the free-text columns purged); explanations quote words of the partners' own texts; a
# self-described network is the most sensitive answer of all
FREE_TEXT: tuple[tuple[sa.Table, tuple[str, ...]], ...] = (
    (applications, ("motivation", "prior_experience", "goals", "preferred_traits", "affinity_network")),
    (pulse_responses, ("comment",)),
    (evaluations, ("comment",)),
    (rematch_requests, ("comment",)),
    (quarantine, ("row_json",)),
    (email_ledger, ("last_error",)),
    (matches, ("explanation",)),
)


def purge_free_text(run: CohortRun) -> dict[str, Any]:
    counts = {}
    with run.store.begin() as conn:
        for table, columns in FREE_TEXT:
            held = sa.or_(*(table.c[c].is_not(None) & (table.c[c] != "") for c in columns))
            values = {c: ("" if not table.c[c].nullable else None) for c in columns}
            done = conn.execute(table.update().where(table.c.cohort_id == run.cohort, held).values(values))
            counts[table.name] = done.rowcount
    outbox = settings.outbox_dir(run.cohort)
    emails = sum(1 for _ in outbox.rglob("*.eml")) if outbox.exists() else 0
    shutil.rmtree(outbox, ignore_errors=True)
    return {"rows_purged": {k: v for k, v in counts.items() if v}, "emails_deleted": emails}
