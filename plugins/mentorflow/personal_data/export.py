"""Exporting what the program holds about one person (a subject access request), as one JSON document:
their own rows in every table, the pairs they were in (partners by id only: a partner's answers are the
partner's), and the emails sent to them. From the partnership pages: their own log entries with their own
private notes, agreement, goals (with those goals' milestones), next steps and resource feedback; another
member's entries (and above all their private notes) are that member's and are not included."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from typing import Any

import sqlalchemy as sa

from mentorflow import settings
from mentorflow.contract import affinity
from mentorflow.personal_data.erasure import ID_COLUMNS, in_cohort
from mentorflow.store import Store, applications, goals, matches, milestones, unmatched

PARTNER_FIELDS = ("match_id", "round", "mentor_id", "mentee_id", "status", "created_at", "ended_at")


def collect(store: Store, cohort_id: str, employee_id: str) -> dict[str, Any]:
    """Everything about ``employee_id`` in one cohort (empty lists where there is nothing)."""
    held: dict[str, Any] = {}
    for table, columns in ID_COLUMNS:
        if table is matches:
            continue
        rows = [r for column in columns if column != "manager_id" for r in _own(store, table, cohort_id, column, employee_id)]
        held[table.name] = [_plain(r) for r in rows]
    # the person's own copy of an unmatched reason says which private preference could not be met
    own = held.get(applications.name) or [None]
    for row in held.get(unmatched.name, []):
        row["reason"] = affinity.personal_reason(row["reason"], own[0])
    pairs = [r for column in ("mentor_id", "mentee_id") for r in store.rows(matches, cohort_id=cohort_id,
                                                                            **{column: employee_id})]
    held["matches"] = [_plain({k: r[k] for k in PARTNER_FIELDS}) for r in pairs]
    held["emails"] = _emails(cohort_id, employee_id)
    return held


def _own(store: Store, table: sa.Table, cohort_id: str, column: str, employee_id: str) -> list[dict[str, Any]]:
    """The person's rows of one table in one cohort; for milestones, those they reached and those of their goals."""
    mine = table.c[column] == employee_id
    if table is milestones:
        mine = sa.or_(mine, milestones.c.goal_id.in_(sa.select(goals.c.goal_id).where(
            goals.c.cohort_id == cohort_id, goals.c.owner_id == employee_id)))
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).where(in_cohort(table, cohort_id), mine))]


def _emails(cohort_id: str, employee_id: str) -> list[dict[str, str]]:
    found = []
    for path in sorted(settings.outbox_dir(cohort_id).glob(f"*/*/{employee_id}.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        found.append({"template": path.parent.parent.name, "period": path.parent.name,
                      "subject": str(message["Subject"]), "text": body.get_content() if body else ""})
    return found


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v for k, v in row.items()}
