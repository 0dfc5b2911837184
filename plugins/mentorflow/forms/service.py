"""Reading what a form needs and saving answers, one transaction per submission.

Pure of HTTP: the app (and the benchmark, and tests) call these with a cohort, a store and a
verified grant. Everything written by one submission (the answer and any triage event) commits
together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.forms import events, partners, selection
from mentorflow.forms import fields as form_fields
from mentorflow.forms import offer as offer_form
from mentorflow.forms.groups import Partnership, one_entry_per_group
from mentorflow.forms.models import ApplicationAnswers, CloseoutAnswers, OfferAnswers, PulseAnswers, RematchAnswers
from mentorflow.forms.tokens import FormGrant
from mentorflow.store import (
    Store,
    applications,
    evaluations,
    form_events,
    matches,
    people,
    pulse_responses,
    rematch_requests,
)
from mentorflow.workspace import pulse_prefill, spaces

PARTNERED = ("active",)


class NotAvailable(LookupError):
    """The form cannot be shown to this person now; the message is safe to show them."""


@dataclass
class FormContext:
    person: dict[str, Any]
    partnerships: list[Partnership] = field(default_factory=list)
    stored: dict[str, Any] | None = None
    offer: offer_form.OfferView | None = None  # the offer form: what this person was offered
    selection: selection.SelectionContext | None = None  # the self-selection forms (forms.selection)


_BY_PERSON = {table.name: sa.select(table).where(table.c.cohort_id == sa.bindparam("cohort"),
                                                 table.c.employee_id == sa.bindparam("person"))
              for table in (people, applications, evaluations)}  # built once: a page reads them on every request


def _one(conn: sa.Connection, table: sa.Table, config: CohortConfig, person_id: str) -> dict[str, Any] | None:
    row = conn.execute(_BY_PERSON[table.name], {"cohort": config.cohort, "person": person_id}).first()
    return dict(row._mapping) if row is not None else None


def load(config: CohortConfig, store: Store, grant: FormGrant, *, answers: bool = True) -> FormContext:
    """The person behind a grant, their partnerships (for pair forms) and their earlier answers (``answers``
    False: not the stored application or evaluation, which a post replaces without reading). The person and
    the stored answer are read on one connection."""
    with store.engine.connect() as conn:
        person = _one(conn, people, config, grant.person_id)
        if person is None:
            # same words as a forged link: nothing about who is or is not in the cohort leaks
            raise NotAvailable("This link is not valid.")
        stored_table = {"application": applications, "gapfill": applications, "closeout": evaluations}.get(grant.form)
        if answers and stored_table is not None and (stored_table is evaluations or person["eligible"]):
            stored = _one(conn, stored_table, config, grant.person_id)
        else:
            stored = None
    context = FormContext(person=person, stored=stored)
    if grant.form in selection.FORMS:
        context.selection = selection.load(config, store, grant)
        if context.selection is None:
            raise NotAvailable(selection.NOTHING[grant.form])
        context.stored = context.selection.values
        return context
    if grant.form in ("application", "gapfill"):
        if not context.person["eligible"]:
            raise NotAvailable("This program is not open to you this time. The program team can tell you why.")
        return context
    if grant.form == "offer":  # hook: the choice among alternatives (forms.offer)
        context.offer = offer_form.load(config, store, grant.person_id)
        if context.offer is None:
            raise NotAvailable("You have no open offer to answer. If that is wrong, tell the program team.")
        context.stored = {"choice": context.offer.offer.get("choice")}
        return context
    context.partnerships = partnerships(config, store, grant.person_id,
                                        ("active", "ended", "completed") if grant.form == "closeout" else PARTNERED)
    if grant.form == "pulse":  # one check-in per group, not per pair (forms/groups.py)
        context.partnerships = one_entry_per_group(config.cohort, store, context.partnerships, PARTNERED)
    if not context.partnerships:
        raise NotAvailable("You have no partnership this form is about. If that is wrong, tell the program team.")
    return context


def partnerships(config: CohortConfig, store: Store, person_id: str, statuses: tuple[str, ...]) -> list[Partnership]:
    stmt = sa.select(matches).where(
        matches.c.cohort_id == config.cohort, matches.c.status.in_(statuses),
        sa.or_(matches.c.mentor_id == person_id, matches.c.mentee_id == person_id)).order_by(matches.c.match_id)
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    names = {p["employee_id"]: p["full_name"] for p in store.rows(people, cohort_id=config.cohort)} if rows else {}
    out = []
    for row in rows:
        mine = "mentor" if row["mentor_id"] == person_id else "mentee"
        partner = row["mentee_id"] if mine == "mentor" else row["mentor_id"]
        out.append(Partnership(row["match_id"], names.get(partner, "your partner"), mine, row["group_id"]))
    return out


def stored_pair_answer(config: CohortConfig, store: Store, grant: FormGrant, match_id: int) -> dict[str, Any] | None:
    """Earlier pulse or re-match answer about one partnership (shown again for correction)."""
    if grant.form == "pulse":
        rows = store.rows(pulse_responses, cohort_id=config.cohort, period=grant.period, match_id=match_id,
                          respondent_id=grant.person_id)
        if not rows:
            return None
        row = dict(rows[0])
        flagged = store.rows(form_events, dedupe_key=_pulse_key(config, grant, match_id))
        row["outcome"] = flagged[0]["reason"] if flagged and row["wants_end"] else "continue"
        return row
    rows = store.rows(rematch_requests, cohort_id=config.cohort, match_id=match_id, requester_id=grant.person_id)
    return rows[0] if rows else None


def _pulse_key(config: CohortConfig, grant: FormGrant, match_id: int) -> str:
    return f"pulse:{config.cohort}:{grant.period}:{match_id}:{grant.person_id}"


def _upsert(conn: sa.Connection, store: Store, table: sa.Table, row: dict[str, Any]) -> None:
    """One row in the submission's transaction, through the store's one insert-or-update."""
    store.upsert(table, [row], conn=conn)


def _save_pulse(conn: sa.Connection, store: Store, config: CohortConfig, grant: FormGrant, match_id: int,
                answers: PulseAnswers, now: dt.datetime) -> bool:
    """One pair's pulse answer (and its triage event when the person asks to end or re-match)."""
    _upsert(conn, store, pulse_responses, {
        "cohort_id": config.cohort, "period": grant.period, "match_id": match_id, "respondent_id": grant.person_id,
        "meetings": answers.meetings, "satisfaction": answers.satisfaction,
        "goal_progress": answers.goal_progress, "follow_through": answers.follow_through,
        "comment": answers.comment, "wants_end": answers.outcome != "continue", "submitted_at": now})
    if answers.outcome == "continue":
        return False
    events.outbox_insert(conn, store, cohort_id=config.cohort, match_id=match_id, reason=answers.outcome,
                         requester_id=grant.person_id, dedupe_key=_pulse_key(config, grant, match_id))
    # a changed wish (end <-> rematch) before delivery is what ops should see
    conn.execute(form_events.update().where(form_events.c.dedupe_key == _pulse_key(config, grant, match_id),
                                            form_events.c.status == "pending").values(reason=answers.outcome))
    return True


def save(config: CohortConfig, store: Store, grant: FormGrant, context: FormContext, answers: Any) -> bool:
    """Store one submission in one transaction; True when it queued a triage event."""
    now = dt.datetime.now(dt.timezone.utc)
    base = {"cohort_id": config.cohort}
    queued = False
    with store.engine.begin() as conn:
        if isinstance(answers, ApplicationAnswers):
            _upsert(conn, store, applications, application_row(config, grant, answers, now))
        elif isinstance(answers, CloseoutAnswers):
            role = "/".join(sorted({p.my_role for p in context.partnerships}))
            _upsert(conn, store, evaluations, {**base, "employee_id": grant.person_id,
                                               "role": "both" if "/" in role else role,
                                               **answers.model_dump(), "submitted_at": now})
        elif isinstance(answers, PulseAnswers):
            # an answer about a group is stored for each of the person's pairs in it
            entry = next((p for p in context.partnerships if p.match_id == answers.match_id), None)
            for match_id in entry.pairs if entry else (answers.match_id,):
                queued = _save_pulse(conn, store, config, grant, match_id, answers, now) or queued
        elif isinstance(answers, RematchAnswers):
            _upsert(conn, store, rematch_requests, {**base, "match_id": answers.match_id,
                                                    "requester_id": grant.person_id, "reason": answers.reason,
                                                    "comment": answers.comment, "submitted_at": now})
            events.outbox_insert(conn, store, cohort_id=config.cohort, match_id=answers.match_id, reason="rematch",
                                 requester_id=grant.person_id,
                                 dedupe_key=f"rematch:{config.cohort}:{answers.match_id}:{grant.person_id}")
            queued = True
        elif isinstance(answers, OfferAnswers):
            offer_form.save_choice(conn, config, grant.person_id, answers, now)
        elif isinstance(answers, (selection.RecommendationAnswers, selection.RequestAnswers)):
            selection.save(conn, config, grant, answers, now)
        else:  # pragma: no cover - MODELS and this function list the same forms
            raise TypeError(f"no storage for {type(answers).__name__}")
    return queued


def application_row(config: CohortConfig, grant: FormGrant, answers: ApplicationAnswers,
                    now: dt.datetime) -> dict[str, Any]:
    """The stored row of one application form's answers."""
    return {"cohort_id": config.cohort, "employee_id": grant.person_id, **answers.store_row(), "source": "form",
            "status": "received", "submitted_at": now}


@dataclass(frozen=True)
class Application:
    """One application form's answers on their way to the store (:func:`save_applications`)."""

    config: CohortConfig
    grant: FormGrant
    answers: ApplicationAnswers


def save_applications(conn: sa.Connection, store: Store, submissions: Sequence[Application]) -> list[bool]:
    """Many application forms' answers in the caller's transaction: the applicants and the partners they chose
    read in one statement per cohort, every accepted answer in one upsert. False for a submission :func:`load`
    or :func:`mentorflow.forms.partners.check` would refuse (nothing is written for it: the caller answers it
    the slow way, which says why)."""
    now = dt.datetime.now(dt.timezone.utc)
    roster: dict[str, dict[str, bool]] = {}
    for cohort in {s.config.cohort for s in submissions}:
        named = {name for s in submissions if s.config.cohort == cohort for name in _named(s)}
        found = conn.execute(_ROSTER, {"cohort": cohort, "named": sorted(named)})
        roster[cohort] = {employee: bool(eligible) for employee, eligible in found}
    outcomes = [acceptable(s, roster[s.config.cohort]) for s in submissions]
    # a person posting twice in one batch: the upsert keeps the later answer, as two transactions would
    store.upsert(applications, [application_row(s.config, s.grant, s.answers, now)
                                for s, ok in zip(submissions, outcomes) if ok], conn=conn)
    return outcomes


# built once (a batch of posts reads it every time); at most a few thousand names per batch (forms.group_commit)
_ROSTER = sa.select(people.c.employee_id, people.c.eligible).where(
    people.c.cohort_id == sa.bindparam("cohort"), people.c.employee_id.in_(sa.bindparam("named", expanding=True)))


def _chosen(submission: Application) -> dict[str, list[str]]:
    return {column: getattr(submission.answers, column) for column in partners.LISTS}


def _named(submission: Application) -> set[str]:
    return {submission.grant.person_id, *(i for ids in _chosen(submission).values() for i in ids)}


def acceptable(submission: Application, roster: Mapping[str, bool]) -> bool:
    """Whether the applicant is on the roster and eligible and every partner they chose is someone else on it
    (``roster``: employee id -> eligible, of the people the submission names): what :func:`load` and
    :func:`mentorflow.forms.partners.check` would let through."""
    me = submission.grant.person_id
    return bool(roster.get(me)) and not partners.off_roster(_chosen(submission), roster.keys() - {me})


def shown_values(config: CohortConfig, store: Store, grant: FormGrant, context: FormContext,
                 match_id: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The form's values (earlier answers; for a pulse without one, what the partnership page knows)
    and, per pre-filled field, the words saying where its value came from."""
    form = grant.form
    if form in ("pulse", "rematch"):
        chosen = next((p for p in context.partnerships if str(p.match_id) == match_id), context.partnerships[0])
        stored = stored_pair_answer(config, store, grant, chosen.match_id)
        values = form_fields.prefill(form, stored)
        known = pulse_prefill.Known()
        if form == "pulse" and stored is None:  # an earlier answer of the person's wins over the page
            space = spaces.group_space(chosen.group_id) if chosen.group_id is not None else \
                spaces.pair_space(chosen.match_id)
            known = pulse_prefill.load(config, store, space, grant.period)
            values.update(known.values)
        values["match_id"] = str(chosen.match_id)
        if form == "pulse":
            values.setdefault("outcome", "continue")
        return values, known.sources
    return form_fields.prefill(form, context.stored), {}
