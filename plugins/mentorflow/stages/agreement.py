"""The agreement reminder, a week after kickoff (:func:`mentorflow.cohorts.calendar.agreement_reminder`):
every member of a running pair or group whose members have not all confirmed their mentoring agreement gets
one email with their partnership page link (seed 002: trust starts from an explicit agreement).

load (the running spaces and when each agreed) -> decide (who is reminded about which space, plain data)
-> apply (compose and send through the ledger, keyed by the space: a re-run sends nothing twice).
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mentorflow.messaging import OutgoingEmail
from mentorflow.stages.common import CohortRun, compose, form_link, people_index, send
from mentorflow.store import Store, agreements
from mentorflow.workspace import spaces
from mentorflow.workspace.spaces import Space

TEMPLATE = "agreement_reminder"
RUNNING = ("active",)  # spaces still open: a completed or ended pair is not reminded


@dataclass(frozen=True)
class Reminder:
    person_id: str
    space: Space
    confirmed: bool  # this member has confirmed (they are told who has not)
    waiting: tuple[str, ...]  # the other members still to confirm (names: they share the space)


def load(cohort_id: str, store: Store) -> tuple[list[Space], dict[str, set[str]]]:
    """The running spaces and, for each, who has confirmed (never what they wrote)."""
    running = spaces.all_spaces(cohort_id, store, statuses=RUNNING)
    with store.engine.connect() as conn:  # who confirmed, never a column of what they wrote
        rows = conn.execute(sa.select(agreements.c.space_id, agreements.c.employee_id).where(
            agreements.c.cohort_id == cohort_id, agreements.c.confirmed_at.is_not(None))).all()
    confirmed: dict[str, set[str]] = {}
    for row in rows:
        confirmed.setdefault(row.space_id, set()).add(row.employee_id)
    return running, confirmed


def decide(running: list[Space], confirmed: dict[str, set[str]]) -> list[Reminder]:
    """One reminder per member of each space whose members have not all confirmed."""
    reminders = []
    for space in running:
        done = confirmed.get(space.space_id, set())
        if all(m.employee_id in done for m in space.members):
            continue
        for member in space.members:
            waiting = tuple(m.name for m in space.others(member.employee_id) if m.employee_id not in done)
            reminders.append(Reminder(member.employee_id, space, member.employee_id in done, waiting))
    return reminders


def emails(run: CohortRun, reminders: list[Reminder], everyone: dict[str, dict[str, Any]]) -> list[OutgoingEmail]:
    """The rendered reminders, keyed in the ledger by the space (a member of two spaces hears about each)."""
    out = []
    for r in reminders:
        if r.person_id not in everyone:
            continue
        link = (form_link(run.config, r.person_id, "partnership", "")
                + "&space=" + urllib.parse.quote(r.space.space_id))
        out.append(compose(run.config, everyone[r.person_id], TEMPLATE, r.space.space_id,
                           partnership=r.space.label_for(r.person_id), confirmed=r.confirmed,
                           waiting=list(r.waiting), group=r.space.kind == "group", link=link))
    return out


def send_agreement_reminders(run: CohortRun) -> dict[str, Any]:
    """Remind the members of every running space without a complete agreement (once per member and space)."""
    running, confirmed = load(run.cohort, run.store)
    reminders = decide(running, confirmed)
    figures = send(run, emails(run, reminders, people_index(run.store, run.cohort)))
    return {"spaces": len(running), "not_agreed": len({r.space.space_id for r in reminders}),
            "reminded": len(reminders), **figures}

