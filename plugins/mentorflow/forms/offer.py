"""The ``offer`` form: someone without a one-to-one partner chooses among what they were offered (a
mentoring circle, async written mentoring, a waitlist place) or none, until the offers' deadline.

:func:`describe_options` is also what the offer email says (the stage imports it), so the email and the
page describe each option in the same words. Only an option the person was offered can be chosen
(:func:`check_choice`; anything else is a field error); the choice is stored in ``offers``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.forms.models import FieldErrors, OfferAnswers
from mentorflow.store import Store, applications, matches, offers, people

NONE_OPTION = "none"


@dataclass(frozen=True)
class Option:
    value: str  # circle | async | waitlist | none
    title: str
    description: str


@dataclass
class OfferView:
    """What the form shows: the person's offer and its options (``none`` always last)."""

    offer: dict[str, Any]
    options: list[Option]

    @property
    def allowed(self) -> set[str]:
        return {o.value for o in self.options}


def offered(offer: dict[str, Any]) -> list[str]:
    """The options stored on an offer row, in order."""
    return [o for o in (offer.get("options") or "").split(";") if o]


def describe_options(config: CohortConfig, offer: dict[str, Any], circle_rows: list[dict[str, Any]],
                     everyone: dict[str, dict[str, Any]], budgets: dict[str, int | None]) -> list[Option]:
    """Each option of ``offer`` in plain words (``circle_rows``: the rows of its circle; ``budgets``: the
    async mentors' monthly written questions), then the choice of none."""
    out = []
    for value in offered(offer):
        if value == "circle":
            leader = everyone.get(circle_rows[0]["mentor_id"], {}) if circle_rows else {}
            shared = circle_rows[0]["explanation"].split(";")[0].strip() if circle_rows else ""
            out.append(Option("circle", f"A mentoring circle led by {leader.get('full_name', 'a mentor')}",
                              f"A small group of {len(circle_rows)} people who meet together with "
                              f"{leader.get('full_name', 'the leader')} ({leader.get('job_title') or 'mentor'}): "
                              f"{shared}. You learn from the leader and from each other."))
        elif value == "async":
            mentor = everyone.get(offer.get("async_mentor_id") or "", {})
            name = mentor.get("full_name", "a mentor")
            out.append(Option("async", f"Written mentoring with {name}",
                              f"You send your questions in writing and {name} ({mentor.get('job_title') or 'mentor'}) "
                              f"answers in writing, up to {budgets.get(offer.get('async_mentor_id') or '') or 0} "
                              "written questions a month shared between the people they mentor this way. "
                              "No meetings to schedule."))
        elif value == "waitlist":
            later = (" If none frees up, you are carried into the program's next cohort with priority."
                     if config.alternatives.carry_waitlist else "")
            out.append(Option("waitlist", "A place on the waitlist",
                              "If a mentor's time frees up during this cohort (at the midpoint review), people on the "
                              "waitlist are paired first, those waiting longest first." + later))
    out.append(Option(NONE_OPTION, "None of these, thank you",
                      "You leave the program for this cohort; nothing else is asked of you."))
    return out


def load(config: CohortConfig, store: Store, person_id: str) -> OfferView | None:
    """The person's offer with its options described, or None when they have no offer with an option."""
    found = store.rows(offers, cohort_id=config.cohort, employee_id=person_id)
    if not found or not offered(found[0]):
        return None
    offer = found[0]
    circle_rows = []
    if offer.get("circle_id") is not None:
        stmt = sa.select(matches).where(matches.c.cohort_id == config.cohort, matches.c.round == "circle",
                                        matches.c.group_id == offer["circle_id"]).order_by(matches.c.match_id)
        with store.engine.connect() as conn:
            circle_rows = [dict(r._mapping) for r in conn.execute(stmt)]
    wanted = {r["mentor_id"] for r in circle_rows} | {offer.get("async_mentor_id")}
    everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)
                if p["employee_id"] in wanted}
    budgets = {a["employee_id"]: a["async_budget"] for a in store.rows(applications, cohort_id=config.cohort)
               if a["employee_id"] == offer.get("async_mentor_id")}
    return OfferView(offer, describe_options(config, offer, circle_rows, everyone, budgets))


def check_choice(view: OfferView | None, answers: Any) -> None:
    """Only an option offered to this person (or none) can be chosen (no offer: another form, nothing to check)."""
    if view is not None and isinstance(answers, OfferAnswers) and answers.choice not in view.allowed:
        raise FieldErrors({"choice": "please choose one of the options offered to you"})


def save_choice(conn: sa.Connection, config: CohortConfig, person_id: str, answers: OfferAnswers,
                now: dt.datetime) -> None:
    """Inside the submission's transaction: the choice (changeable until the deadline). The offer stays
    ``offered`` until the deadline, when the alternatives stage applies the choice and sets its status."""
    conn.execute(offers.update().where(offers.c.cohort_id == config.cohort, offers.c.employee_id == person_id,
                                       offers.c.status == "offered")
                 .values(choice=answers.choice, answered_at=now))
