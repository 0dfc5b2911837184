"""A fresh personal link to one form, for ops ("my link expired"; ``mentorflow forms link``).

The grant is the one the emails carry (the form's usual period); the link works until the form's normal
deadline, or until a later one ops give explicitly (``until``, carried signed inside the link). Refused,
with the reason in words, when the form is closed, or when it would show the person nothing: not on the
roster, no application where the form is about one, nothing of theirs for the form (the same check the
forms app runs when the link is opened).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.forms import service, tokens
from mentorflow.store import Store, applications, people
from mentorflow.workspace import page as workspace

# the period each form's email puts in its link (stages: open, intake, alternatives, selection, closeout)
PERIODS = {"application": "window", "gapfill": "window", "offer": "offer", "closeout": "closeout",
           "recommendations": "selection", "requests": "selection", "partnership": ""}
# every form but the committee's question, whose link names one question and its deadline (committee/asking.py)
ON_DEMAND = tuple(f for f in tokens.FORMS if f != "question")
# forms about the person's application (the pair forms are about a partnership: the app's own check says so)
ABOUT_APPLICATION = ("gapfill", "offer", "recommendations", "requests")


class LinkRefused(ValueError):
    """Why no link was made, in words for the person at the command line."""


def period_for(config: CohortConfig, form: str, now: dt.datetime) -> str:
    """The period of ``form``'s current email: the pulse (and the re-match asked from it) of now."""
    return PERIODS[form] if form in PERIODS else calendar.pulse_period(config, now)


def parse_until(text: str, config: CohortConfig) -> dt.datetime:
    """``2027-04-30`` (the end of that day) or ``2027-04-30T12:00``, in the cohort's timezone."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise LinkRefused(f"--until {text!r}: expected a date like 2027-04-30 or 2027-04-30T17:00") from None
    if len(text) <= len("2027-04-30"):
        moment = moment.replace(hour=23, minute=59)
    return config.at(moment)


def grant(config: CohortConfig, store: Store, person_id: str, form: str, *, now: dt.datetime,
          until: dt.datetime | None = None, period: str | None = None) -> tokens.FormGrant:
    """The grant of a fresh link, or :class:`LinkRefused` saying why there is none."""
    if form not in ON_DEMAND:
        raise LinkRefused(f"no form {form!r}; the forms are: {', '.join(ON_DEMAND)}" + (
            " (a committee question's link names its question: the console sends it)" if form == "question" else ""))
    if not store.rows(people, cohort_id=config.cohort, employee_id=person_id):
        raise LinkRefused(f"{person_id} is not on the roster of cohort {config.cohort}")
    if form in ABOUT_APPLICATION and not store.rows(applications, cohort_id=config.cohort, employee_id=person_id):
        raise LinkRefused(f"{person_id} has no application in cohort {config.cohort}, and the {form} form is "
                          "about one (send the application form instead)")
    made = tokens.FormGrant(config.cohort, person_id, form, period_for(config, form, now) if period is None else period)
    closes = calendar.form_deadline(config, form, made.period)
    if until is not None:
        if until <= now:
            raise LinkRefused(f"--until {calendar.describe(until, config)} is already past")
        if until <= closes:
            raise LinkRefused(f"the {form} form is open until {calendar.describe(closes, config)} anyway; leave out "
                              "--until, or give a later date to extend it")
        made = dataclasses.replace(made, until=until)
    elif now >= closes:
        raise LinkRefused(f"the {form} form of cohort {config.cohort} closed on {calendar.describe(closes, config)}; "
                          f"a link now would only say so. To let {person_id} answer anyway, extend it for this one "
                          "link: --until YYYY-MM-DD")
    try:  # what the page would show: the app refuses the same way
        if form == "partnership":
            workspace.open_space(config, store, person_id, None, now)
        else:
            service.load(config, store, made)
    except (service.NotAvailable, workspace.NoSpace) as exc:
        raise LinkRefused(f"{person_id}: the {form} form has nothing for them; it would say: {exc}") from None
    return made
