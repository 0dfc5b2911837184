"""Alternatives stage: an outcome for everyone without a one-to-one partner.

``offer_alternatives`` (kickoff DAG, right after ``send_kickoff``): load the people the approved initial
round left without a partner → decide (pure: :func:`decide_offers`, with :mod:`mentorflow.alternatives`'s
circles and written mentoring) → apply in one transaction (``offers`` rows, the proposed circles and async
pairs as ``matches`` rows with status ``offered``, everyone offered on the ``waitlist``) → one ``offer``
email each through the ledger. Mentors left without mentees hear they are standby capacity for the midpoint.

``start_alternatives`` (the ``alternatives`` DAG, at :func:`~mentorflow.cohorts.calendar.offer_deadline`):
decide from the choices (pure: :func:`decide_start`) → apply in one transaction → introductions
(:mod:`mentorflow.stages.alternatives_mail`).

Both re-run safely: offers are decided once (a later run reads them back), a choice is applied once (the
offer leaves ``offered``: the form records ``choice`` and leaves the status to this stage), and every
email goes through the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.matching import MatchInput
from mentorflow.stages import alternatives_mail as mail
from mentorflow.stages import groups
from mentorflow.stages.common import CohortRun, people_index, send
from mentorflow.stages.match import match_input
from mentorflow.store import Store, applications, matches, offers, unmatched, waitlist

CIRCLE_PERIOD = "circle"  # the ledger period of a started circle's introduction (template group_kickoff)

PARTNERED = ("approved", "active")
ALTERNATIVE_ROUNDS = ("circle", "async")


@dataclass
class OfferDecision:
    """What :func:`decide_offers` decided: circles (leader, members, scores, explanation), async pairs and
    one offer per person without a partner (``circle``: the index of their circle in ``circles``)."""

    circles: list[Any] = field(default_factory=list)  # alternatives.circles.Circle
    written: list[Any] = field(default_factory=list)  # alternatives.written.WrittenPair
    offers: list[dict[str, Any]] = field(default_factory=list)


def unpartnered(store: Store, config: CohortConfig, apps: dict[str, dict]) -> tuple[dict[str, str], dict[str, str]]:
    """(people who wanted a partner and have none → their reason, mentors left without mentees → theirs)
    after the approved initial round."""
    partnered = set()
    for m in store.rows(matches, cohort_id=config.cohort, round="initial"):
        if m["status"] in PARTNERED:
            partnered |= {m["mentor_id"], m["mentee_id"]}
    seekers, idle = {}, {}
    for row in store.rows(unmatched, cohort_id=config.cohort, round="initial"):
        who = row["employee_id"]
        if who in partnered or who not in apps:
            continue
        (idle if apps[who]["role"] == "mentor" else seekers)[who] = row["reason"]
    return seekers, idle


def seeker_role(config: CohortConfig) -> str:
    return "partner" if config.program_type.value == "symbiotic" else "mentee"


def decide_offers(config: CohortConfig, inp: MatchInput, seekers: dict[str, str],
                  apps: dict[str, dict]) -> OfferDecision:
    """Circles, async pairs and each seeker's options (decide: no I/O). A circle seat is offered only where
    a circle could be formed, async only while a mentor's budget is left, the waitlist when it is on."""
    from mentorflow.alternatives import circles, fit, reasons, written  # lazy: PuLP and SciPy load only here

    chosen = config.alternatives
    ids = sorted(seekers)
    mentoring = [e for e, a in sorted(apps.items()) if a.get("role") in ("mentor", "both")]
    formed = []
    leaders = [e for e in mentoring if apps[e].get("circle_volunteer")]
    if chosen.circles and leaders and ids:
        formed = circles.form_circles(fit.fit(inp, ids, leaders), chosen.circle_min, chosen.circle_max)
    seat = {m: i for i, c in enumerate(formed) for m in c.members}
    pairs = []
    budgets = {e: apps[e].get("async_budget") for e in mentoring if written.seats(apps[e].get("async_budget"))}
    if chosen.async_mentoring and budgets and ids:
        pairs = written.assign(fit.fit(inp, ids, sorted(budgets)), budgets, first=set(ids) - set(seat))
    mentor_of = {p.mentee: p.mentor for p in pairs}
    role = seeker_role(config)
    out = []
    for who in ids:
        options = [*(["circle"] if who in seat else []), *(["async"] if who in mentor_of else []),
                   *(["waitlist"] if chosen.waitlist else [])]
        out.append({"employee_id": who, "role": role, "reason": reasons.plain_reason(seekers[who], role),
                    "options": ";".join(options), "circle": seat.get(who), "async_mentor_id": mentor_of.get(who)})
    return OfferDecision(formed, pairs, out)


def next_group_id(conn: sa.Connection, cohort: str) -> int:
    """One above every group id the cohort uses (read inside the writing transaction)."""
    stmt = sa.select(sa.func.max(matches.c.group_id)).where(matches.c.cohort_id == cohort)
    return int(conn.execute(stmt).scalar() or 0) + 1


def apply_offers(run: CohortRun, decision: OfferDecision) -> None:
    """Offers, offered circles and async pairs, and the waitlist places, in one transaction."""
    base = {"cohort_id": run.cohort, "created_at": run.moment, "status": "offered", "mentor_slot": 1}
    with run.store.begin() as conn:
        first = next_group_id(conn, run.cohort)
        rows = [{**base, "round": "circle", "mentor_id": c.leader, "mentee_id": m, "score": c.scores[m],
                 "explanation": c.explanation, "group_id": first + i}
                for i, c in enumerate(decision.circles) for m in c.members]
        rows += [{**base, "round": "async", "mentor_id": p.mentor, "mentee_id": p.mentee, "score": p.score,
                  "explanation": "written mentoring: the mentor answers questions in writing", "group_id": None}
                 for p in decision.written]
        if rows:
            conn.execute(matches.insert(), rows)
        offer_rows = [{"cohort_id": run.cohort, "employee_id": o["employee_id"], "role": o["role"],
                       "reason": o["reason"], "options": o["options"], "async_mentor_id": o["async_mentor_id"],
                       "circle_id": None if o["circle"] is None else first + o["circle"], "status": "offered",
                       "created_at": run.moment} for o in decision.offers]
        if offer_rows:
            conn.execute(offers.insert(), offer_rows)
        if run.config.alternatives.waitlist and offer_rows:
            run.store.upsert(waitlist, [{"cohort_id": run.cohort, "employee_id": o["employee_id"], "role": o["role"],
                                         "status": "waiting", "waiting_since": run.moment, "joined_at": run.moment}
                                        for o in offer_rows], update=False, conn=conn)


def offer_alternatives(run: CohortRun) -> dict[str, Any]:
    """Decide and store everyone's offer (once), then email each person once (ledger period ``offer``)."""
    apps = {a["employee_id"]: a for a in run.store.rows(applications, cohort_id=run.cohort)}
    seekers, idle = unpartnered(run.store, run.config, apps)
    unchanged = bool(run.store.count(offers, cohort_id=run.cohort))
    if not unchanged and seekers:
        inp = match_input(run.config, run.store, moment=run.moment)
        apply_offers(run, decide_offers(run.config, inp, seekers, apps))
    everyone = people_index(run.store, run.cohort)
    stored = run.store.rows(offers, cohort_id=run.cohort)
    offered_rows = [m for m in run.store.rows(matches, cohort_id=run.cohort) if m["round"] in ALTERNATIVE_ROUNDS]
    messages = mail.offer_emails(run.config, stored, offered_rows, everyone, apps, idle)
    counts = send(run, messages)
    return {"offers": len(stored), "with_options": sum(1 for o in stored if o["options"]),
            "circles": len({m["group_id"] for m in offered_rows if m["round"] == "circle"}),
            "async_pairs": sum(1 for m in offered_rows if m["round"] == "async"), "standby_mentors": len(idle),
            "unchanged": unchanged, **counts}


@dataclass
class StartDecision:
    """Per offer its new status, per offered match its new status, per waitlist row its new status."""

    offers: dict[str, str] = field(default_factory=dict)
    matches: dict[int, str] = field(default_factory=dict)
    waitlist: dict[str, str] = field(default_factory=dict)


def decide_start(pending: list[dict[str, Any]], offered_rows: list[dict[str, Any]]) -> StartDecision:
    """At the deadline (decide: no I/O): a chosen circle seat or async pair starts (``active``), every other
    offered row is ``declined``; a circle or async choice leaves the waitlist (they chose something else),
    so does ``none``; a waitlist choice or no answer keeps the place (offer ``chosen`` or ``defaulted``)."""
    out = StartDecision()
    by_person = {o["employee_id"]: o for o in pending}
    for row in offered_rows:
        if row["status"] != "offered":
            continue
        offer = by_person.get(row["mentee_id"])
        choice = offer["choice"] if offer else None
        out.matches[row["match_id"]] = "active" if offer and choice == row["round"] else "declined"
    for who, offer in by_person.items():
        choice = offer["choice"] if offer["choice"] in (offer["options"] or "").split(";") + ["none"] else None
        if choice in ALTERNATIVE_ROUNDS:
            out.offers[who], out.waitlist[who] = "started", "left"
        elif choice == "none":
            out.offers[who], out.waitlist[who] = "chosen", "left"
        else:
            out.offers[who] = "chosen" if choice == "waitlist" else "defaulted"
    return out


def start_alternatives(run: CohortRun) -> dict[str, Any]:
    """At the offers' deadline: apply the choices (once), then introduce circles and async pairs (ledger)."""
    pending = run.store.rows(offers, cohort_id=run.cohort, status="offered")
    offered_rows = [m for m in run.store.rows(matches, cohort_id=run.cohort) if m["round"] in ALTERNATIVE_ROUNDS]
    decision = decide_start(pending, offered_rows)
    if pending or decision.matches:
        with run.store.begin() as conn:
            for match_id, status in decision.matches.items():
                conn.execute(matches.update().where(matches.c.match_id == match_id, matches.c.status == "offered")
                             .values(status=status))
            for who, status in decision.offers.items():
                conn.execute(offers.update().where(offers.c.cohort_id == run.cohort, offers.c.employee_id == who)
                             .values(status=status))
            for who, status in decision.waitlist.items():
                conn.execute(waitlist.update().where(waitlist.c.cohort_id == run.cohort,
                                                     waitlist.c.employee_id == who, waitlist.c.status == "waiting")
                             .values(status=status))
    everyone = people_index(run.store, run.cohort)
    apps = {a["employee_id"]: a for a in run.store.rows(applications, cohort_id=run.cohort)}
    started = [m for m in run.store.rows(matches, cohort_id=run.cohort, status="active")
               if m["round"] in ALTERNATIVE_ROUNDS]
    circle_rows = [m for m in started if m["round"] == "circle"]
    async_rows = [m for m in started if m["round"] == "async"]
    # a circle's introduction brings a calendar invite for its first meeting, as a group's at kickoff does
    messages = (groups.group_introductions(run.config, circle_rows, everyone, apps, CIRCLE_PERIOD,
                                           meeting_after=calendar.offer_deadline(run.config))
                + mail.async_introductions(run.config, async_rows, everyone, apps))
    counts = send(run, messages)
    return {"circle_members": len(circle_rows), "circles": len({m["group_id"] for m in circle_rows}),
            "async_pairs": len(async_rows), "applied": len(decision.offers), "unchanged": not pending, **counts}
