"""The alternatives stage's emails (decide: plain data in, rendered emails out).

- ``offer`` (period ``offer``): each person without a one-to-one partner, their plain reason, their options
  (described as the form describes them: :func:`mentorflow.forms.offer.describe_options`) and their link;
  with no option at all, that there is no capacity of any kind and what happens next. A mentor left
  without mentees hears they are standby capacity for the midpoint and what circle or written mentoring
  they were proposed for.
- a started circle's introduction is the group introduction (:func:`mentorflow.stages.groups.group_introductions`,
  template ``group_kickoff``, period ``circle``): a circle is a group.
- ``async_start`` (period ``async``): :func:`async_introductions`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mentorflow.alternatives.reasons import plain_reason
from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.forms.offer import describe_options
from mentorflow.messaging import OutgoingEmail
from mentorflow.stages.common import compose, form_link


def offer_emails(config: CohortConfig, stored: list[dict[str, Any]], offered_rows: list[dict[str, Any]],
                 everyone: dict[str, dict], apps: dict[str, dict], idle: dict[str, str]) -> list[OutgoingEmail]:
    """One ``offer`` email per person offered something (or nothing), and per mentor without mentees."""
    deadline = calendar.describe(calendar.offer_deadline(config), config)
    circles: dict[int, list[dict]] = defaultdict(list)
    for row in offered_rows:
        if row["round"] == "circle":
            circles[row["group_id"]].append(row)
    budgets = {e: a.get("async_budget") for e, a in apps.items()}
    common = {"deadline": deadline, "waitlist_on": config.alternatives.waitlist,
              "carry": config.alternatives.carry_waitlist}
    out = []
    for offer in stored:
        if offer["employee_id"] not in everyone:
            continue
        options = describe_options(config, offer, sorted(circles.get(offer["circle_id"], []),
                                                         key=lambda r: r["match_id"]), everyone, budgets)
        real = [o for o in options if o.value != "none"]
        out.append(compose(config, everyone[offer["employee_id"]], "offer", "offer", role=offer["role"],
                           reason=offer["reason"], options=real,
                           link=form_link(config, offer["employee_id"], "offer", "offer") if real else None,
                           **common))
    for mentor, reason in sorted(idle.items()):
        if mentor not in everyone:
            continue
        led = [rows for rows in circles.values() if rows and rows[0]["mentor_id"] == mentor]
        written = sum(1 for r in offered_rows if r["round"] == "async" and r["mentor_id"] == mentor)
        out.append(compose(config, everyone[mentor], "offer", "offer", role="mentor",
                           reason=plain_reason(reason, "mentor"), options=[], link=None,
                           circle={"members": len(led[0]), "shared": led[0][0]["explanation"].split(";")[0]}
                           if led else None, written=written, **common))
    return out


def async_introductions(config: CohortConfig, async_rows: list[dict[str, Any]], everyone: dict[str, dict],
                        apps: dict[str, dict]) -> list[OutgoingEmail]:
    """One ``async_start`` email per mentee (naming their mentor and the budget) and per mentor (naming
    every async mentee)."""
    from mentorflow.alternatives.written import seats  # lazy: keeps the stage's import light

    by_mentor: dict[str, list[dict]] = defaultdict(list)
    for row in sorted(async_rows, key=lambda r: r["match_id"]):
        if row["mentor_id"] in everyone and row["mentee_id"] in everyone:
            by_mentor[row["mentor_id"]].append(everyone[row["mentee_id"]])
    out = []
    for mentor_id, mentees in sorted(by_mentor.items()):
        budget = int((apps.get(mentor_id) or {}).get("async_budget") or 0)
        mentor = everyone[mentor_id]
        for mentee in mentees:
            out.append(compose(config, mentee, "async_start", "async", partnered=True, is_mentor=False,
                               mentor=mentor, mentees=[], budget=budget, seats=seats(budget)))
        out.append(compose(config, mentor, "async_start", "async", partnered=True, is_mentor=True, mentor=mentor,
                           mentees=mentees, budget=budget, seats=seats(budget)))
    return out
