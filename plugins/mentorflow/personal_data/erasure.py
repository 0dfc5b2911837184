"""Erasing a person on request: every trace of them in a cohort's store, outbox and reports is removed
or replaced by a random pseudonym, irreversibly, while the counts HR's aggregates rest on stay right.

Their rows stay, so a pair, an evaluation or an application still counts, but under a pseudonym that
nothing links back to them (it is random, and kept nowhere); their own words (answers, comments,
motivation, goals) and their contact data are removed. Other people's rows that name them (a partner
list, a manager link, a pair) carry the same pseudonym, so the program's rules still hold. Their emails
are deleted from the outbox and their name, address and id are blotted out of the report files. On the
partnership pages their private notes, agreement texts, next steps, resource ratings and the titles of their
goals (and those goals' milestones) are removed; the rows stay under the pseudonym, so the HR activity counts
hold. Quarantine copies that name them are removed. The erasure itself is recorded: who ran it and when,
never whom it erased.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mentorflow import settings
from mentorflow.contract.affinity import COLUMNS as AFFINITY
from mentorflow.store import (
    Store,
    agreements,
    applications,
    committee_audit,
    email_ledger,
    erasures,
    evaluations,
    form_events,
    goals,
    group_health,
    matches,
    committee_edits,
    committee_questions,
    meeting_log,
    milestones,
    next_steps,
    offers,
    people,
    pulse_responses,
    quarantine,
    rematch_requests,
    resource_feedback,
    triage_requests,
    unmatched,
    waitlist,
)

ERASED_NAME = "(erased)"
# the person's own words and answers: removed, not pseudonymised
APPLICATION_ANSWERS = ("motivation", "prior_experience", "skills_offered", "skills_wanted", "goals",
                       "preferred_traits", "preferred_partners", "avoid_partners", "share_goals",
                       *(f"tipi_{i}" for i in range(1, 11)), *AFFINITY)
# (table, the columns that hold a person's id)
ID_COLUMNS: tuple[tuple[sa.Table, tuple[str, ...]], ...] = (
    (people, ("employee_id", "manager_id")),
    (applications, ("employee_id",)),
    (matches, ("mentor_id", "mentee_id")),
    (unmatched, ("employee_id",)),
    (pulse_responses, ("respondent_id",)),
    (group_health, ("leader_id",)),
    (evaluations, ("employee_id",)),
    (rematch_requests, ("requester_id",)),
    (triage_requests, ("requester_id",)),
    (form_events, ("requester_id",)),
    (quarantine, ("record_key",)),
    (email_ledger, ("person_id",)),
    (offers, ("employee_id", "async_mentor_id")),
    (waitlist, ("employee_id",)),
    (agreements, ("employee_id",)),
    (goals, ("owner_id",)),
    (milestones, ("reached_by",)),  # no cohort column: the cohort's through its goal (in_cohort)
    (meeting_log, ("author_id",)),
    (next_steps, ("owner_id",)),
    (resource_feedback, ("employee_id",)),
    (committee_edits, ("mentor_id", "mentee_id")),
    (committee_questions, ("employee_id",)),
)
# the partnership pages' words: (table, person column, the columns cleared or blotted)
PAGE_TEXT = ((meeting_log, "author_id", ("private_note",)),
             (agreements, "employee_id", ("wants_to_learn", "offers", "raise_problem")),
             (goals, "owner_id", ("title",)),
             (next_steps, "owner_id", ("text",)),
             (resource_feedback, "employee_id", ("rating",)))


@dataclasses.dataclass(frozen=True)
class Erasure:
    """What one erasure changes in one cohort (decided before anything is written)."""

    cohort_id: str
    employee_id: str
    pseudonym: str
    traces: list[str]  # the person's name and address as the store had them, to blot out of files

    @property
    def found(self) -> bool:
        return bool(self.traces)


def plan(store: Store, cohort_id: str, employee_id: str, pseudonym: str | None = None) -> Erasure:
    """Decide: the pseudonym, and the name and address to remove from files (nothing is written)."""
    rows = store.rows(people, cohort_id=cohort_id, employee_id=employee_id)
    traces = [t for row in rows for t in (row["full_name"], row["email"]) if t]
    ledger = store.rows(email_ledger, cohort_id=cohort_id, person_id=employee_id)
    traces += sorted({r["recipient"] for r in ledger} - set(traces))
    appears = bool(rows or ledger or store.rows(applications, cohort_id=cohort_id, employee_id=employee_id))
    return Erasure(cohort_id, employee_id, pseudonym or f"erased-{secrets.token_hex(6)}",
                   traces or ([employee_id] if appears else []))


def apply(store: Store, erasure: Erasure, performed_by: str) -> dict[str, int]:
    """Rewrite the store in one transaction, then the outbox and report files; returns counts of what
    changed (no personal data)."""
    counts: dict[str, int] = {}
    old, new = erasure.employee_id, erasure.pseudonym
    with store.begin() as conn:
        where = {"cohort_id": erasure.cohort_id}
        _update(conn, people, where, "employee_id", old, full_name=ERASED_NAME, email=f"{new}@erased.invalid",
                job_title=None, manager_id=None, hire_date=None, on_pip=False, eligibility_reason="erased on request")
        _update(conn, applications, where, "employee_id", old, **dict.fromkeys(APPLICATION_ANSWERS))
        _update(conn, pulse_responses, where, "respondent_id", old, comment=None)
        _update(conn, evaluations, where, "employee_id", old, comment=None, valuable_topics=None)
        _update(conn, rematch_requests, where, "requester_id", old, comment=None)
        _update(conn, quarantine, where, "record_key", old, row_json=None)
        # the committee's question may quote them; their answer is their own words
        _update(conn, committee_questions, where, "employee_id", old, question=ERASED_NAME, answer=None)
        _update(conn, offers, where, "employee_id", old, reason=ERASED_NAME)  # it may name the skills they wanted
        _update(conn, email_ledger, where, "person_id", old, recipient=f"{new}@erased.invalid", last_error=None,
                message_id=None)
        _erase_page_text(conn, erasure)
        conn.execute(quarantine.update().where(quarantine.c.cohort_id == erasure.cohort_id,
                                               quarantine.c.row_json.contains(f'"{old}"')).values(row_json=None))
        for table, columns in ID_COLUMNS:
            for column in columns:
                done = conn.execute(table.update().where(in_cohort(table, erasure.cohort_id),
                                                         table.c[column] == old).values({column: new}))
                counts[f"{table.name}.{column}"] = counts.get(f"{table.name}.{column}", 0) + done.rowcount
        conn.execute(matches.update().where(matches.c.cohort_id == erasure.cohort_id,
                                            sa.or_(matches.c.mentor_id == new, matches.c.mentee_id == new))
                     .values(explanation=ERASED_NAME))
        _rename_in_lists(conn, erasure)
        # the committee's trail and edits name people inside text: an applicant ("E1"), pairs ("E1:E2"), swaps
        _rename_in_text(conn, committee_audit, "entry_id", "detail_json", erasure)
        _rename_in_text(conn, committee_edits, "edit_id", "via", erasure)
        conn.execute(quarantine.update().where(quarantine.c.cohort_id == erasure.cohort_id,
                                               quarantine.c.gate == "workspace",
                                               quarantine.c.record_key.endswith(f":{old}"))
                     .values(record_key=sa.func.replace(quarantine.c.record_key, f":{old}", f":{new}")))
        conn.execute(form_events.update().where(form_events.c.cohort_id == erasure.cohort_id,
                                                form_events.c.requester_id == new)
                     .values(dedupe_key=sa.func.replace(form_events.c.dedupe_key, f":{old}", f":{new}")))
        conn.execute(erasures.insert().values(performed_by=performed_by, performed_at=dt.datetime.now(dt.timezone.utc),
                                              scope=erasure.cohort_id))
    counts["outbox_files_deleted"] = _delete_outbox(erasure)
    counts["report_files_rewritten"] = _blot_reports(erasure)
    return {k: v for k, v in counts.items() if v}


def in_cohort(table: sa.Table, cohort_id: str) -> sa.ColumnElement[bool]:
    """The rows of one cohort (a milestone belongs to the cohort of its goal)."""
    if table is milestones:
        return milestones.c.goal_id.in_(sa.select(goals.c.goal_id).where(goals.c.cohort_id == cohort_id))
    return table.c.cohort_id == cohort_id


def _erase_page_text(conn: sa.Connection, erasure: Erasure) -> None:
    """The person's words on the partnership pages: notes and ratings cleared, texts that may not be empty
    (goal and milestone titles, next steps) replaced by ERASED_NAME; the milestones of their goals too."""
    for table, column, texts in PAGE_TEXT:
        conn.execute(table.update().where(table.c.cohort_id == erasure.cohort_id, table.c[column] == erasure.employee_id)
                     .values({c: None if table.c[c].nullable else ERASED_NAME for c in texts}))
    theirs = sa.select(goals.c.goal_id).where(goals.c.cohort_id == erasure.cohort_id,
                                              goals.c.owner_id == erasure.employee_id)
    conn.execute(milestones.update().where(milestones.c.goal_id.in_(theirs)).values(title=ERASED_NAME))


def _update(conn: sa.Connection, table: sa.Table, where: dict[str, Any], column: str, person: str,
            **values: Any) -> None:
    values = {k: v for k, v in values.items() if k in table.c}
    conn.execute(table.update().where(*(table.c[k] == v for k, v in where.items()), table.c[column] == person)
                 .values(values))


def _rename_in_lists(conn: sa.Connection, erasure: Erasure) -> None:
    """Other applicants' partner lists (``id;id``) that name the person name the pseudonym instead."""
    for column in (applications.c.preferred_partners, applications.c.avoid_partners):
        rows = conn.execute(sa.select(applications.c.employee_id, column).where(
            applications.c.cohort_id == erasure.cohort_id, column.contains(erasure.employee_id))).all()
        for employee_id, text in rows:
            ids = [erasure.pseudonym if part.strip() == erasure.employee_id else part for part in text.split(";")]
            conn.execute(applications.update().where(applications.c.cohort_id == erasure.cohort_id,
                                                     applications.c.employee_id == employee_id)
                         .values({column.name: ";".join(ids)}))


def _rename_in_text(conn: sa.Connection, table: sa.Table, key: str, column: str, erasure: Erasure) -> None:
    """Replace the person's id where it stands as a whole id in a text column of the cohort (never inside a longer
    id: E1 in "E1:E12" is renamed, E12 is not)."""
    whole = re.compile(rf"(?<![\w-]){re.escape(erasure.employee_id)}(?![\w-])")
    rows = conn.execute(sa.select(table.c[key], table.c[column]).where(
        table.c.cohort_id == erasure.cohort_id, table.c[column].contains(erasure.employee_id))).all()
    for row_key, text in rows:
        renamed = whole.sub(erasure.pseudonym, text)
        if renamed != text:
            conn.execute(table.update().where(table.c[key] == row_key).values({column: renamed}))


def _delete_outbox(erasure: Erasure) -> int:
    """The emails to the person (``<outbox>/<cohort>/<template>/<period>/<person>.eml``)."""
    deleted = 0
    for path in settings.outbox_dir(erasure.cohort_id).glob(f"*/*/{_file_part(erasure.employee_id)}.eml"):
        path.unlink()
        deleted += 1
    return deleted


def _file_part(person_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", person_id)


def _blot_reports(erasure: Erasure) -> int:
    """Report files (HTML, CSV, text) that show the person's name, address or id show the pseudonym."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted({*erasure.traces, erasure.employee_id},
                                                              key=len, reverse=True)))
    rewritten = 0
    for path in _report_files(settings.reports_dir(erasure.cohort_id)):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        blotted = pattern.sub(lambda m: ERASED_NAME if m.group(0) != erasure.employee_id else erasure.pseudonym, text)
        if blotted != text:
            path.write_text(blotted, encoding="utf-8", errors="surrogateescape")
            rewritten += 1
    return rewritten


def _report_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.suffix in {".html", ".csv", ".yaml", ".txt", ".json"}]
