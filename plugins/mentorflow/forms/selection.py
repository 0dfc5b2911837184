"""The two self-selection forms (``self_selection.enabled``), behind the forms app's signed links:

- ``recommendations`` (a mentee, until ``requests_close``): each recommended mentor's short profile (name,
  job title, department, location, what they offer) with the matcher's true reasons as a participant may
  read them (``contract.disclosure.participant_reasons``, as in the kickoff email), and up to
  ``self_selection.requests`` ordered choices; the same mentor twice, or a mentor not recommended, is
  refused beside the choice;
- ``requests`` (a mentor, until ``responses_close``): each request received, with the mentee's short
  profile and their goals only when they agreed to share them (``share_goals``); accept or decline each;
  accepting more mentees than the capacity of their application is refused.

Answers are stored in ``selection_requests``; both can be changed until the form's deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from pydantic import Field, model_validator

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.disclosure import participant_reasons
from mentorflow.contract.parsing import parse_skills
from mentorflow.forms.models import Answers, EmployeeId, FieldErrors, field_label
from mentorflow.forms.tokens import FormGrant
from mentorflow.matching.capacity import mentor_capacity
from mentorflow.store import Store, applications, people, recommendations, selection_requests

FORMS = ("recommendations", "requests")
TITLES = {"recommendations": "Choose your mentor", "requests": "Mentees who asked for you"}
OPEN = ("requested", "accepted", "declined")  # what a mentor still sees and may change before the deadline
NOTHING = {
    "recommendations": "There are no recommended mentors for you in this program. We will still look for a "
                       "mentor for you when we match everyone.",
    "requests": "No mentee has asked for you as their mentor. Thank you for offering: we will still match you "
                "when we match everyone.",
}


# the answers of the two forms (registered with the others in forms.fields)
MAX_CHOICES = 10  # self_selection.requests is at most this (cohorts.config); the cohort's own limit: check()
Answer = Literal["accept", "decline"]


class RecommendationAnswers(Answers):
    """Up to ``self_selection.requests`` recommended mentors, 1st choice first (a blank choice is skipped);
    the same mentor twice is refused beside the later choice (HTML fields ``choice-1``, ``choice-2`` …)."""

    choices: list[EmployeeId | None] = Field(default_factory=list, max_length=MAX_CHOICES)

    @model_validator(mode="after")
    def _no_twice(self) -> RecommendationAnswers:
        seen: dict[str, int] = {}
        problems = {}
        for i, mentor in enumerate(self.choices, 1):
            if mentor and mentor in seen:
                problems[f"choice-{i}"] = f"you chose this mentor already as your choice {seen[mentor]}"
            elif mentor:
                seen[mentor] = i
        if problems:
            raise FieldErrors(problems)
        return self

    @property
    def requested(self) -> list[str]:
        """The chosen mentors in order of preference, blanks left out."""
        return [m for m in self.choices if m]


class RequestAnswers(Answers):
    """A mentor's answer to each request received, by the mentee's employee id (HTML fields ``answer-<id>``);
    a request left unanswered stays open until the deadline."""

    answers: dict[EmployeeId, Answer] = Field(default_factory=dict, max_length=100)


MODELS: dict[str, type[Answers]] = {"recommendations": RecommendationAnswers, "requests": RequestAnswers}


@dataclass
class Profile:
    """What the other side sees of a person: their short profile, and for a recommended mentor the reasons."""

    employee_id: str
    full_name: str
    job_title: str
    department: str
    location: str
    skills: list[str]
    reasons: list[str] = field(default_factory=list)
    goals: str | None = None  # a mentee's goals, only when they agreed to share them
    status: str = ""


@dataclass
class SelectionContext:
    limit: int  # how many mentors a mentee may request
    capacity: int  # how many requests a mentor may accept
    profiles: list[Profile]
    values: dict[str, str]  # the stored answers as HTML field values

    @property
    def choice_fields(self) -> list[tuple[str, str]]:
        """The mentee's choice fields and their labels: ('choice-1', '1st choice') …"""
        return [(f"choice-{i}", field_label(f"choice-{i}")) for i in range(1, self.limit + 1)]


def _profile(person: dict[str, Any], application: dict[str, Any] | None, column: str, **extra: Any) -> Profile:
    skills = parse_skills((application or {}).get(column))
    return Profile(person["employee_id"], person["full_name"], person.get("job_title") or "",
                   person.get("department") or "", person.get("location") or "", sorted(skills), **extra)


def load(config: CohortConfig, store: Store, grant: FormGrant) -> SelectionContext | None:
    """What the form shows to the grant's person; None when there is nothing for them (self-selection
    off, no recommendation, no request)."""
    if not config.self_selection.enabled:
        return None
    everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
    apps = {a["employee_id"]: a for a in store.rows(applications, cohort_id=config.cohort)}

    def shares_goals(person_id: str) -> bool:
        return bool((apps.get(person_id) or {}).get("share_goals"))

    if grant.form == "recommendations":
        shown = sorted(store.rows(recommendations, cohort_id=config.cohort, mentee_id=grant.person_id),
                       key=lambda r: r["rank"])
        chosen = sorted(store.rows(selection_requests, cohort_id=config.cohort, mentee_id=grant.person_id),
                        key=lambda r: r["preference"])
        profiles = [_profile(everyone[r["mentor_id"]], apps.get(r["mentor_id"]), "skills_offered",
                             reasons=participant_reasons(r["explanation"], shares_goals(r["mentor_id"])))
                    for r in shown if r["mentor_id"] in everyone]
        values = {f"choice-{i}": r["mentor_id"] for i, r in enumerate(chosen, 1)}
        return SelectionContext(config.self_selection.requests, 0, profiles, values) if profiles else None
    received = [r for r in store.rows(selection_requests, cohort_id=config.cohort, mentor_id=grant.person_id)
                if r["status"] in OPEN and r["mentee_id"] in everyone]
    if not received:
        return None
    profiles = []
    for r in sorted(received, key=lambda r: (r["requested_at"], r["mentee_id"])):
        app = apps.get(r["mentee_id"]) or {}
        profiles.append(_profile(everyone[r["mentee_id"]], app, "skills_wanted", status=r["status"],
                                 goals=app.get("goals") if shares_goals(r["mentee_id"]) else None))
    values = {f"answer-{r['mentee_id']}": {"accepted": "accept", "declined": "decline"}[r["status"]]
              for r in received if r["status"] != "requested"}
    mine = apps.get(grant.person_id) or {}
    capacity = int(mentor_capacity(pd.Series([mine.get("capacity")]), config.program_type.value,
                                   config.matching.rules).iloc[0])
    return SelectionContext(0, capacity, profiles, values)


def check(context: SelectionContext | None, answers: Any) -> None:
    """What only this person's page can tell: the choices are among their recommended mentors and within
    the cohort's limit; the answers are about their own requests and within their capacity (another
    form, ``context`` None: nothing to check)."""
    if context is None:
        return
    known = {p.employee_id for p in context.profiles}
    problems: dict[str, str] = {}
    if isinstance(answers, RecommendationAnswers):
        for i, mentor in enumerate(answers.choices, 1):
            if mentor and i > context.limit:
                problems[f"choice-{i}"] = f"you can request at most {context.limit} mentors"
            elif mentor and mentor not in known:
                problems[f"choice-{i}"] = "please choose one of the mentors recommended to you"
    elif isinstance(answers, RequestAnswers):
        for mentee in answers.answers:
            if mentee not in known:
                problems[f"answer-{mentee}"] = "there is no such request for you"
        stored = {k.removeprefix("answer-"): v for k, v in context.values.items()}
        accepted = sum(1 for mentee in known if answers.answers.get(mentee, stored.get(mentee)) == "accept")
        if not problems and accepted > context.capacity:
            problems["answers"] = (f"you accepted {accepted} requests, but your application offers to take "
                                   f"{context.capacity} mentee{'s' if context.capacity != 1 else ''}: please "
                                   f"decline {accepted - context.capacity}, or ask the program team to raise your "
                                   "capacity")
    if problems:
        raise FieldErrors(problems)


def model_input(form: str, fields: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """HTML fields (``choice-1`` …, ``answer-<employee id>``) as model input, and where each error goes."""
    if form == "recommendations":
        choices = [(fields.get(f"choice-{i}") or "").strip() or None for i in range(1, MAX_CHOICES + 1)]
        while choices and choices[-1] is None:
            choices.pop()
        return {"choices": choices}, {f"choices.{i}": f"choice-{i + 1}" for i in range(MAX_CHOICES)}
    answers = {k.removeprefix("answer-"): v.strip() for k, v in fields.items()
               if k.startswith("answer-") and (v or "").strip()}
    return {"answers": answers}, {f"answers.{k}": f"answer-{k}" for k in answers}


def save(conn: sa.Connection, config: CohortConfig, grant: FormGrant, answers: Any, now: dt.datetime) -> None:
    """Inside the submission's transaction: a mentee's requests become the chosen ones, in order (a request
    no longer chosen is withdrawn); a mentor's answers are recorded."""
    table = selection_requests
    if isinstance(answers, RecommendationAnswers):
        mine = (table.c.cohort_id == config.cohort) & (table.c.mentee_id == grant.person_id)
        chosen = answers.requested
        conn.execute(table.delete().where(mine, table.c.mentor_id.not_in(chosen)))
        existing = {r.mentor_id for r in conn.execute(sa.select(table.c.mentor_id).where(mine))}
        for preference, mentor in enumerate(chosen, 1):
            if mentor in existing:
                conn.execute(table.update().where(mine, table.c.mentor_id == mentor).values(preference=preference))
            else:
                conn.execute(table.insert().values(cohort_id=config.cohort, mentee_id=grant.person_id,
                                                   mentor_id=mentor, preference=preference, status="requested",
                                                   requested_at=now))
        return
    for mentee, answer in answers.answers.items():
        conn.execute(table.update().where(
            table.c.cohort_id == config.cohort, table.c.mentor_id == grant.person_id, table.c.mentee_id == mentee,
            table.c.status.in_(OPEN)).values(status="accepted" if answer == "accept" else "declined",
                                            answered_at=now))
