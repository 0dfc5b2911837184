"""Scripted choices for the demo and the lifecycle tests: what people answer in the self-selection forms
(a mentee's requests, a mentor's acceptances) and in the offer form (a circle, written mentoring, the
waitlist or none).

Like :mod:`mentorflow.demo.simulate`, it writes what the forms would write straight into the program store
(``selection_requests``, ``offers.choice``), from a seeded random generator, and only where the stages left
something to answer: with no recommendation, request or open offer in the store it writes nothing. Each
function answers once per person (a person who already answered, or a request already answered, is left
alone), so calling it again changes nothing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.matching.capacity import mentor_capacity
from mentorflow.store import Store, applications, offers, recommendations, selection_requests

REQUEST_RATE = 0.75  # of mentees shown recommendations request someone
ANSWER_RATE = 0.85  # of mentors asked answer before the deadline (the rest expire)
ACCEPT_RATE = 0.8  # of requests a mentor with room accepts
OFFER_ANSWER_RATE = 0.85  # of people offered alternatives choose before the deadline (the rest keep the waitlist)
# how people weigh the options they were offered (renormalised over what each was offered; none is always there)
OPTION_WEIGHTS = {"circle": 0.45, "async": 0.25, "waitlist": 0.2, "none": 0.1}


def mentee_requests(config: CohortConfig, store: Store, seed: int, moment: dt.datetime) -> int:
    """Mentees who were recommended mentors and requested none yet request up to ``self_selection.requests``
    of them, mostly in the order recommended; returns how many requests were written."""
    shown = store.rows(recommendations, cohort_id=config.cohort)
    if not shown:
        return 0
    asked = {r["mentee_id"] for r in store.rows(selection_requests, cohort_id=config.cohort)}
    by_mentee: dict[str, list[dict]] = {}
    for r in sorted(shown, key=lambda r: (r["mentee_id"], r["rank"])):
        by_mentee.setdefault(r["mentee_id"], []).append(r)
    rng = np.random.default_rng([seed, 31])
    rows = []
    for mentee, ranked in by_mentee.items():
        asks, swaps, how_many = rng.random(3)  # three draws each, asked or not: a second call decides the same
        if asks > REQUEST_RATE or mentee in asked:
            continue
        mentors = [r["mentor_id"] for r in ranked]
        if len(mentors) > 1 and swaps < 0.3:  # some prefer their second recommendation
            mentors[0], mentors[1] = mentors[1], mentors[0]
        count = 1 + int(how_many * min(config.self_selection.requests, len(mentors)))
        rows += [{"cohort_id": config.cohort, "mentee_id": mentee, "mentor_id": mentor, "preference": i,
                  "status": "requested", "requested_at": moment} for i, mentor in enumerate(mentors[:count], 1)]
    return store.upsert(selection_requests, rows, update=False) if rows else 0


def mentor_answers(config: CohortConfig, store: Store, seed: int, moment: dt.datetime) -> int:
    """Mentors asked answer their open requests, first choices first: they accept while their application's
    capacity lasts (never beyond it) and decline the rest; some answer nothing. Returns how many were answered."""
    open_requests = [r for r in store.rows(selection_requests, cohort_id=config.cohort) if r["status"] == "requested"]
    if not open_requests:
        return 0
    every = store.rows(selection_requests, cohort_id=config.cohort)
    accepted = {m: sum(1 for r in every if r["mentor_id"] == m and r["status"] == "accepted")
                for m in {r["mentor_id"] for r in every}}
    offered = {a["employee_id"]: a.get("capacity") for a in store.rows(applications, cohort_id=config.cohort)}
    rng = np.random.default_rng([seed, 37])
    answers: list[tuple[str, str, str]] = []
    for mentor in sorted({r["mentor_id"] for r in open_requests}):
        if rng.random() > ANSWER_RATE:
            continue
        room = int(mentor_capacity(pd.Series([offered.get(mentor)]), config.program_type.value,
                                   config.matching.rules).iloc[0]) - accepted.get(mentor, 0)
        mine = sorted((r for r in open_requests if r["mentor_id"] == mentor),
                      key=lambda r: (r["preference"], r["mentee_id"]))
        for r in mine:
            accept = room > 0 and rng.random() < ACCEPT_RATE
            room -= accept
            answers.append((mentor, r["mentee_id"], "accepted" if accept else "declined"))
    table = selection_requests
    with store.engine.begin() as conn:
        for mentor, mentee, status in answers:
            conn.execute(table.update().where(
                table.c.cohort_id == config.cohort, table.c.mentor_id == mentor, table.c.mentee_id == mentee,
                table.c.status == "requested").values(status=status, answered_at=moment))
    return len(answers)


def offer_choices(config: CohortConfig, store: Store, seed: int, moment: dt.datetime) -> int:
    """People with an open offer that has options choose one of them (or none), weighted by
    :data:`OPTION_WEIGHTS`; some do not answer (their waitlist place is kept). Returns how many chose."""
    waiting = sorted((o for o in store.rows(offers, cohort_id=config.cohort)
                      if o["status"] == "offered" and o["choice"] is None and o["options"]),
                     key=lambda o: o["employee_id"])
    if not waiting:
        return 0
    rng = np.random.default_rng([seed, 41])
    chosen: list[tuple[str, str]] = []
    for offer in waiting:
        if rng.random() > OFFER_ANSWER_RATE:
            continue
        options = [o for o in offer["options"].split(";") if o in OPTION_WEIGHTS] + ["none"]
        weights = np.array([OPTION_WEIGHTS[o] for o in options])
        chosen.append((offer["employee_id"], str(rng.choice(options, p=weights / weights.sum()))))
    with store.engine.begin() as conn:
        for person, choice in chosen:
            conn.execute(offers.update().where(
                offers.c.cohort_id == config.cohort, offers.c.employee_id == person, offers.c.status == "offered",
                offers.c.choice.is_(None)).values(choice=choice, answered_at=moment))
    return len(chosen)


def answered(store: Store, cohort: str) -> dict[str, int]:
    """What the store holds of these answers (for the demo's summary)."""
    with store.engine.connect() as conn:
        requests = dict(conn.execute(sa.select(selection_requests.c.status, sa.func.count()).where(
            selection_requests.c.cohort_id == cohort).group_by(selection_requests.c.status)).all())
        choices = dict(conn.execute(sa.select(offers.c.choice, sa.func.count()).where(
            offers.c.cohort_id == cohort).group_by(offers.c.choice)).all())
    return {**{f"requests {k}": v for k, v in requests.items()},
            **{f"offers {k or 'unanswered'}": v for k, v in choices.items()}}
