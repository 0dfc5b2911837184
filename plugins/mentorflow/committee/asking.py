"""The committee asks an applicant a question (seed 002: a matching committee "reaches out to applicants to
address any gaps in information"). The question is stored with its audit row, the applicant gets a gap-fill style
email through the send ledger with a signed link to answer it (:mod:`mentorflow.forms.question`), and the answer
appears in the round's review page.

load: :func:`applicants`, :func:`questions`, :func:`unsent` · decide: :func:`check`, :func:`choices` ·
apply: :func:`ask`, :func:`send` · routes: :func:`add_routes`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.committee import audit, auth
from mentorflow.committee.auth import ConsoleUser
from mentorflow.committee.web import HEADERS, Console, Refused
from mentorflow.messaging import OutgoingEmail
from mentorflow.privacy import redact
from mentorflow.stages.common import CohortRun, compose, form_link, send as send_through_ledger
from mentorflow.stages.waitlist import as_utc
from mentorflow.store import Store, applications, committee_questions, email_ledger, people

log = logging.getLogger("mentorflow.committee")

FORM = "question"  # the forms app's page for the answer (forms/question.py)
TEMPLATE = "committee_question"  # the email, and its ledger template
QUESTION_MAX = 1000  # characters of one question
SETTLED = ("sent", "failed")  # ledger states that are never sent again
LEDGER_PERIOD = sa.literal("question-")  # a question's ledger period: question-<question_id>


class QuestionError(ValueError):
    """The question cannot be asked; ``problems`` names each field and the reason."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Asked:
    question_id: int
    employee_id: str
    deadline: dt.datetime
    email: dict[str, Any]  # the ledger's summary, or {"error": ...} when the email could not be sent yet


# -- load -----------------------------------------------------------------------------------------


def applicants(store: Store, cohort: str) -> dict[str, dict[str, Any]]:
    """The people the committee may ask, by id: an application that is not rejected (valid, or not yet valid)
    and a roster row to write to."""
    roster = {p["employee_id"]: p for p in store.rows(people, cohort_id=cohort)}
    return {a["employee_id"]: roster[a["employee_id"]] for a in store.rows(applications, cohort_id=cohort)
            if a["status"] != "rejected" and a["employee_id"] in roster}


def questions(store: Store, cohort: str, round_name: str) -> list[dict[str, Any]]:
    """The round's questions, latest first, each with the applicant's name and whether its email was sent."""
    table = committee_questions
    stmt = (sa.select(table, people.c.full_name, email_ledger.c.status.label("email_status"))
            .join(people, sa.and_(people.c.cohort_id == table.c.cohort_id, people.c.employee_id == table.c.employee_id),
                  isouter=True)
            .join(email_ledger, sa.and_(email_ledger.c.cohort_id == table.c.cohort_id,
                                        email_ledger.c.person_id == table.c.employee_id,
                                        email_ledger.c.template == TEMPLATE,
                                        email_ledger.c.period == LEDGER_PERIOD + sa.cast(table.c.question_id, sa.String)),
                  isouter=True)
            .where(table.c.cohort_id == cohort, table.c.round == round_name)
            .order_by(table.c.asked_at.desc(), table.c.question_id.desc()))
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def unsent(config: CohortConfig, store: Store, round_name: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The round's open questions (unanswered, before their deadline) whose email the ledger has not settled."""
    return [q for q in questions(store, config.cohort, round_name)
            if q["email_status"] not in SETTLED and q["answer"] is None
            and calendar.question_deadline(config, round_name, as_utc(q["asked_at"])) > now]


# -- decide ---------------------------------------------------------------------------------------


def check(fields: Mapping[str, Any], asked: Mapping[str, Any]) -> tuple[str, str]:
    """(employee id, question) from a post, or a :class:`QuestionError` naming each bad field. ``asked``: the
    cohort's :func:`applicants`."""
    employee = str(fields.get("employee_id") or "").strip()
    text = str(fields.get("question") or "").strip()
    problems = []
    if not employee:
        problems.append("employee_id: choose the applicant to ask.")
    elif employee not in asked:
        shown = employee if len(employee) <= 64 else employee[:64] + "…"
        problems.append(f"employee_id: {shown} has no application in this cohort that can still be matched.")
    if not text or len(text) > QUESTION_MAX:
        problems.append(f"question: write between 1 and {QUESTION_MAX} characters (you wrote {len(text)}).")
    if problems:
        raise QuestionError(problems)
    return employee, text


def choices(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The round's people to ask, each once: the partners of its pairs and those left without one, as
    (id, "Name (id)") sorted by name."""
    named: dict[str, str] = {}
    for pair in report["pairs"]:
        for side in ("mentor", "mentee"):
            named[pair[f"{side}_id"]] = (pair.get(side) or {}).get("full_name") or pair[f"{side}_id"]
    for row in report["unmatched"]:
        named[row["employee_id"]] = (row.get("person") or {}).get("full_name") or row["employee_id"]
    return sorted(((pid, f"{name} ({pid})") for pid, name in named.items()), key=lambda c: (c[1].lower(), c[0]))


def section(config: CohortConfig, store: Store, round_name: str, report: Mapping[str, Any]) -> dict[str, Any]:
    """What the review page's questions section shows (``committee/_questions.html``)."""
    shown = questions(store, config.cohort, round_name)
    for q in shown:
        q["deadline"] = calendar.describe(calendar.question_deadline(config, round_name, as_utc(q["asked_at"])), config)
    return {"questions": shown, "choices": choices(report), "question_max": QUESTION_MAX}


# -- apply ----------------------------------------------------------------------------------------


def email_for(config: CohortConfig, person: Mapping[str, Any], question: Mapping[str, Any]) -> OutgoingEmail:
    """The applicant's email for one question, keyed in the ledger by the question (sent once, however often)."""
    qid = int(question["question_id"])
    deadline = calendar.question_deadline(config, question["round"], as_utc(question["asked_at"]))
    link = form_link(config, person["employee_id"], FORM, calendar.question_period(qid, deadline)) + f"&q={qid}"
    return compose(config, dict(person), TEMPLATE, f"question-{qid}", question=question["question"], link=link,
                   deadline=calendar.describe(deadline, config))


def send(config: CohortConfig, store: Store, pending: list[Mapping[str, Any]],
         now: dt.datetime | None = None) -> dict[str, Any]:
    """Email each question in ``pending`` through the ledger (a question already sent is skipped)."""
    roster = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
    messages = [email_for(config, roster[q["employee_id"]], q) for q in pending if q["employee_id"] in roster]
    run = CohortRun(config, store, now or dt.datetime.now(dt.timezone.utc), run_id="committee-question")
    return send_through_ledger(run, messages)


def ask(config: CohortConfig, store: Store, round_name: str, employee_id: str, text: str, actor: str, *,
        now: dt.datetime | None = None) -> Asked:
    """Store the question and its audit row in one transaction, then email it (with any earlier question of the
    round whose email is still unsent). A failed email leaves the question stored; the next question retries it."""
    now = now or dt.datetime.now(dt.timezone.utc)
    row = {"cohort_id": config.cohort, "round": round_name, "employee_id": employee_id, "question": text,
           "asked_by": actor, "asked_at": now}
    with store.begin() as conn:
        qid = int(conn.execute(committee_questions.insert().values(**row)).inserted_primary_key[0])
        audit.record(store, config.cohort, round_name, actor, "question", {"question_id": qid,
                                                                            "employee_id": employee_id},
                     at=now, conn=conn)
    row["question_id"] = qid
    earlier = [q for q in unsent(config, store, round_name, now) if q["question_id"] != qid]
    try:
        email = send(config, store, [row, *earlier], now)
    except Exception as exc:  # the question is kept; its email goes out with the next question of the round
        log.warning("mentorflow committee: question %s: email not sent yet (%s)", qid, type(exc).__name__)
        email = {"error": redact(f"{type(exc).__name__}: {exc}")}
    return Asked(qid, employee_id, calendar.question_deadline(config, round_name, now), email)


# -- routes ---------------------------------------------------------------------------------------


def add_routes(app: FastAPI, console: Console) -> None:
    """``POST /committee/{cohort}/{round}/questions`` (a form post: CSRF field) and its JSON twin under ``/api/``
    (a Bearer token), one handler. Only those who may review the cohort may ask."""

    def asked_by(config: CohortConfig, store: Store, round_name: str, fields: Mapping[str, Any], actor: str) -> Asked:
        try:
            employee, text = check(fields, applicants(store, config.cohort))
        except QuestionError as exc:
            raise Refused(422, "The question was not sent: nothing was saved.", exc.problems) from None
        return ask(config, store, round_name, employee, text, actor)

    async def ask_route(request: Request, cohort: str, round_name: str,
                        user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config = console.reviewable(user, cohort)
        round_name = console.round_of(round_name)
        fields = await console.posted(request, user)
        store = console.store_of(config)
        asked = await run_in_threadpool(asked_by, config, store, round_name, fields, user.id)
        if console.wants_json(request):
            return JSONResponse({"question_id": asked.question_id, "employee_id": asked.employee_id,
                                 "deadline": asked.deadline.isoformat(), "email": asked.email},
                                status_code=201, headers=HEADERS)
        return console.back_to(request, config.cohort, round_name, "questions",
                               asked="unsent" if "error" in asked.email else 1)

    for path in ("/committee/{cohort}/{round_name}/questions", "/api/committee/{cohort}/{round_name}/questions"):
        app.add_api_route(path, ask_route, methods=["POST"])
