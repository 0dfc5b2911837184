"""The cohort calendar: every moment a stage runs, and what a run does at its moment.

The one place that turns a cohort's ``calendar:`` settings into moments. The DAG
timetables, the branch choices inside a run (survey or reminder?), the forms' deadlines
and the demo's plan all read it, so they can never disagree. Longer than 300 lines because
of that: every stage's moments, branch choices and deadlines are kept together in this one module.

Every list of moments stops after ``MAX_RUNS_PER_STAGE + 1`` entries, whatever the settings say, and
the loader refuses a cohort whose calendar reaches that (:func:`run_count_problems`): one cohort's
calendar can never make the DAG file slow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from mentorflow.cohorts.bounds import CADENCE, MAX_RUNS_PER_STAGE
from mentorflow.cohorts.config import CohortConfig

# the lifecycle stages that the calendar or a data asset starts, in order
STAGES: tuple[str, ...] = ("open", "intake", "validate", "selection", "match", "kickoff", "alternatives",
                           "agreement", "pulse", "midpoint", "closeout", "retention")

# a run "at" a moment may start a moment later than planned (scheduler or clock jitter)
SLACK = dt.timedelta(seconds=1)

# partners who have not agreed how they work together are reminded this long after kickoff
AGREEMENT_REMINDER_AFTER = dt.timedelta(days=7)

# links stay valid this long after their form's deadline (then they are refused)
TOKEN_SLACK = dt.timedelta(days=7)

# an applicant has this long to answer a question of the matching committee (see question_deadline)
QUESTION_DAYS = dt.timedelta(days=14)

PulseAction = Literal["survey", "reminder"]
CloseoutAction = Literal["survey", "reminder", "report"]


@dataclass(frozen=True)
class PlannedRun:
    """One run of one stage DAG, as the scheduler will start it."""

    moment: dt.datetime
    stage: str
    label: str


# -- the moments of each stage ------------------------------------------------------------------


def window(config: CohortConfig) -> tuple[dt.datetime, dt.datetime]:
    """When the application window opens and closes."""
    return config.at(config.calendar.application_open), config.at(config.calendar.application_close)


def intake_moments(config: CohortConfig) -> list[dt.datetime]:
    """Intake checks: every ``intake_check_every_hours`` while the window is open (at least one)."""
    opened, closed = window(config)
    step = dt.timedelta(hours=config.calendar.intake_check_every_hours)
    moments, moment = [], opened + step
    while moment < closed and len(moments) <= MAX_RUNS_PER_STAGE:
        moments.append(moment)
        moment += step
    return moments or [opened + (closed - opened) / 2]


def pulse_dates(config: CohortConfig) -> list[dt.datetime]:
    """Where each pulse period starts: one cadence after kickoff, then every cadence, before close-out."""
    start, end = config.at(config.calendar.kickoff), config.at(config.calendar.close_out)
    dates: list[dt.datetime] = []
    step = 1
    while len(dates) <= MAX_RUNS_PER_STAGE and (moment := _advance(start, config.calendar.pulse_cadence, step)) < end:
        dates.append(moment)
        step += 1
    return dates


def pulse_reminder_dates(config: CohortConfig) -> list[dt.datetime]:
    """``health.reminder_after_days`` after each pulse, when that is before the next pulse (or close-out)."""
    pulses = pulse_dates(config)
    ends = pulses[1:] + [config.at(config.calendar.close_out)]
    delay = dt.timedelta(days=config.health.reminder_after_days)
    return [start + delay for start, end in zip(pulses, ends) if start + delay < end]


def closeout_dates(config: CohortConfig) -> dict[CloseoutAction, dt.datetime]:
    """The close-out stage's three runs: survey, reminder (halfway) and report (evaluation closed)."""
    start = config.at(config.calendar.close_out)
    evaluation = dt.timedelta(days=config.calendar.evaluation_days)
    return {"survey": start, "reminder": start + evaluation / 2, "report": start + evaluation}


def run_count_problems(config: CohortConfig) -> list[str]:
    """The calendar settings that make a stage run more than ``MAX_RUNS_PER_STAGE`` times."""
    cal, most = config.calendar, MAX_RUNS_PER_STAGE
    problems = []
    if len(intake_moments(config)) > most:
        problems.append(f"calendar.intake_check_every_hours: every {cal.intake_check_every_hours:g} hours makes more "
                        f"than {most} intake checks between application_open and application_close; at most "
                        f"{most} are allowed: check less often")
    if len(pulse_dates(config)) + len(pulse_reminder_dates(config)) > most:
        problems.append(f"calendar.pulse_cadence: {cal.pulse_cadence!r} makes more than {most} pulse runs (surveys "
                        f"and reminders) between kickoff and close_out; at most {most} are allowed: choose a "
                        "longer cadence")
    return problems


def selection_dates(config: CohortConfig) -> dict[str, dt.datetime]:
    """The self-selection window after applications close (``self_selection`` in the YAML): mentees request
    recommended mentors until ``requests_close``, mentors accept or decline until ``responses_close``, and
    then the optimizer runs with the accepted requests locked."""
    chosen, closed = config.self_selection, window(config)[1]
    room = config.at(config.calendar.kickoff) - closed
    requests = dt.timedelta(days=chosen.request_days) if chosen.request_days else min(dt.timedelta(days=4), room * 0.4)
    responses = dt.timedelta(days=chosen.response_days) if chosen.response_days else min(dt.timedelta(days=3), room * 0.3)
    return {"requests_close": closed + requests, "responses_close": closed + requests + responses}


def offer_deadline(config: CohortConfig) -> dt.datetime:
    """Until when someone without a one-to-one partner can choose among what they were offered
    (``alternatives.answer_days`` after kickoff); circles and written mentoring start then."""
    kickoff = config.at(config.calendar.kickoff)
    days = config.alternatives.answer_days
    return kickoff + (dt.timedelta(days=days) if days else min(dt.timedelta(days=7), (midpoint(config) - kickoff) / 2))


def agreement_reminder(config: CohortConfig) -> dt.datetime:
    """When partners without a mentoring agreement are reminded: a week after kickoff, or halfway to the
    midpoint when that comes sooner (so the reminder always lands before the midpoint review)."""
    kickoff = config.at(config.calendar.kickoff)
    return kickoff + min(AGREEMENT_REMINDER_AFTER, (midpoint(config) - kickoff) / 2)


def order_problems(config: CohortConfig) -> list[str]:
    """Windows that would run into the next stage: self-selection must close before kickoff, and the
    offers' answers are due before the midpoint."""
    problems = []
    if config.self_selection.enabled and selection_dates(config)["responses_close"] >= config.at(config.calendar.kickoff):
        problems.append("self_selection: request_days + response_days after application_close reach kickoff; "
                        "shorten them or move kickoff later")
    if offer_deadline(config) >= midpoint(config):
        problems.append("alternatives.answer_days: the offers' deadline after kickoff reaches the midpoint; "
                        "shorten it or move the midpoint later")
    return problems


def midpoint(config: CohortConfig) -> dt.datetime:
    return config.at(config.calendar.midpoint)


def retention_moment(config: CohortConfig) -> dt.datetime:
    """When free text is purged: ``retention_days`` after the HR report."""
    return closeout_dates(config)["report"] + dt.timedelta(days=config.retention_days)


def scheduled_moments(config: CohortConfig, stage: str) -> list[dt.datetime]:
    """The moments a calendar-driven stage DAG runs at (its timetable); [] for event-driven stages."""
    opened, closed = window(config)
    moments = {
        "open": [opened],
        "intake": intake_moments(config),
        "validate": [closed],
        "selection": list(selection_dates(config).values()) if config.self_selection.enabled else [],
        "alternatives": [offer_deadline(config)],
        "agreement": [agreement_reminder(config)],
        "pulse": sorted(pulse_dates(config) + pulse_reminder_dates(config)),
        "midpoint": [midpoint(config)],
        "closeout": list(closeout_dates(config).values()),
        "retention": [retention_moment(config)],
    }
    return moments.get(stage, [])


def plan(config: CohortConfig) -> list[PlannedRun]:
    """Every stage run in the scheduler's order; match and kickoff follow validate (or the self-selection's close)."""
    opened, closed = window(config)
    runs = [PlannedRun(opened, "open", "window opens")]
    runs += [PlannedRun(m, "intake", f"intake check {i}") for i, m in enumerate(intake_moments(config), 1)]
    selecting = selection_dates(config) if config.self_selection.enabled else {}
    runs += [PlannedRun(m, "selection", f"self-selection: {k.replace('_', ' ')}") for k, m in selecting.items()]
    matched = selecting.get("responses_close", closed)  # self-selection: the match waits for its close
    runs += [PlannedRun(closed, "validate", "window closes"),
             PlannedRun(matched + SLACK, "match", "matching and committee approval"),
             PlannedRun(matched + 2 * SLACK, "kickoff", "kickoff emails and offers to the unpartnered"),
             PlannedRun(offer_deadline(config), "alternatives", "circles and written mentoring start"),
             # after the alternatives when both fall on the same moment (the sort below is stable)
             PlannedRun(agreement_reminder(config), "agreement", "reminder to agree how to work together")]
    runs += [PlannedRun(m, "pulse", f"pulse survey {i}") for i, m in enumerate(pulse_dates(config), 1)]
    runs += [PlannedRun(m, "pulse", f"pulse reminder {i}") for i, m in enumerate(pulse_reminder_dates(config), 1)]
    runs.append(PlannedRun(midpoint(config), "midpoint", "midpoint review"))
    labels = {"survey": "close-out survey", "reminder": "close-out reminder", "report": "HR report"}
    runs += [PlannedRun(m, "closeout", labels[action]) for action, m in closeout_dates(config).items()]
    runs.append(PlannedRun(retention_moment(config), "retention", "free text purged"))
    return sorted(runs, key=lambda r: r.moment)


# -- what a run does at its moment --------------------------------------------------------------


def pulse_action(config: CohortConfig, moment: dt.datetime) -> PulseAction:
    """A pulse run at a reminder date reminds; any other pulse run assesses and surveys."""
    due = any(abs(moment - reminder) <= SLACK for reminder in pulse_reminder_dates(config))
    return "reminder" if due else "survey"


def selection_action(config: CohortConfig, moment: dt.datetime) -> Literal["ask", "close"]:
    """At ``responses_close`` a self-selection run closes the window; before it, it asks the mentors."""
    return "close" if moment + SLACK >= selection_dates(config)["responses_close"] else "ask"


def closeout_action(config: CohortConfig, moment: dt.datetime) -> CloseoutAction:
    """Which of its three runs a close-out run is, from its moment."""
    dates = closeout_dates(config)
    if moment + SLACK >= dates["report"]:
        return "report"
    return "reminder" if moment + SLACK >= dates["reminder"] else "survey"


def pulse_period(config: CohortConfig, moment: dt.datetime) -> str:
    """The label of the pulse period that starts at or before ``moment`` ('pulse-1', 'pulse-2', ...)."""
    index = sum(1 for start in pulse_dates(config) if start <= moment + SLACK)
    return f"pulse-{max(index, 1)}"


def period_number(period: str) -> int:
    """``'pulse-3'`` → 3; anything else → 0."""
    try:
        return int(period.split("-")[1])
    except (IndexError, ValueError):
        return 0


def previous_period(period: str) -> str | None:
    number = period_number(period)
    return f"pulse-{number - 1}" if number > 1 else None


def period_start(config: CohortConfig, period: str) -> dt.datetime:
    dates = pulse_dates(config)
    number = period_number(period)
    return dates[number - 1] if 0 < number <= len(dates) else config.at(config.calendar.kickoff)


def reminder_wave(config: CohortConfig, moment: dt.datetime) -> int | None:
    """Which application reminder is due at ``moment`` (1, 2, …), or None outside the window or before
    the first ``reminder_after_days`` have passed."""
    opened, closed = window(config)
    wave = int((moment - opened) / dt.timedelta(days=config.calendar.reminder_after_days))
    return wave if wave >= 1 and moment < closed else None


# -- form deadlines -------------------------------------------------------------------------------


def form_deadline(config: CohortConfig, form: str, period: str = "") -> dt.datetime:
    """When a form closes:

    - application, gap-fill: at ``application_close`` (the validate stage freezes applications then);
    - pulse ``pulse-N``: when the next pulse period starts (the pulse stage assesses period N then),
      the last one at ``close_out``;
    - re-match request: at ``close_out``;
    - self-selection: a mentee's requests (``recommendations``) at ``requests_close``, a mentor's answers
      (``requests``) at ``responses_close`` (:func:`selection_dates`);
    - the choice among alternatives (``offer``): at :func:`offer_deadline`;
    - close-out evaluation: when the evaluation window closes (and the HR report is built);
    - the partnership page (``partnership``): with the close-out evaluation, so partners can look back
      while they evaluate;
    - the committee's question (``question``): the deadline its link carries (:func:`question_deadline`).
    """
    cal = config.calendar
    if form in ("application", "gapfill"):
        return config.at(cal.application_close)
    if form == "rematch":
        return config.at(cal.close_out)
    if form == "recommendations":
        return selection_dates(config)["requests_close"]
    if form == "requests":
        return selection_dates(config)["responses_close"]
    if form == "offer":
        return offer_deadline(config)
    if form in ("closeout", "partnership"):
        return closeout_dates(config)["report"]
    if form == "pulse":
        dates = pulse_dates(config)
        number = period_number(period)
        return dates[number] if number < len(dates) else config.at(cal.close_out)
    if form == "question":
        return question_of(period)[1]
    raise ValueError(f"unknown form {form!r}")


def question_deadline(config: CohortConfig, round_name: str, asked_at: dt.datetime) -> dt.datetime:
    """Until when an applicant may answer the committee's question: :data:`QUESTION_DAYS` after it was asked, but
    no later than the moment the round's answer stops helping: kickoff for the initial round, close-out for the
    midpoint round (a cap already past when the question is asked is ignored: the applicant still gets the days)."""
    cap = config.at(config.calendar.kickoff if round_name == "initial" else config.calendar.close_out)
    deadline = asked_at + QUESTION_DAYS
    return min(deadline, cap) if cap > asked_at else deadline


def question_period(question_id: int, deadline: dt.datetime) -> str:
    """The period of a question's link: the question and its deadline, both signed into the link."""
    return f"{question_id}@{deadline.astimezone(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}"


def question_of(period: str) -> tuple[int | None, dt.datetime]:
    """(question id, deadline) of a question link's period; a malformed one reads as long closed."""
    number, _, moment = period.partition("@")
    try:
        return int(number), dt.datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None, dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def link_expiry(config: CohortConfig, form: str, period: str = "") -> dt.datetime:
    """When a link to this form stops working: :data:`TOKEN_SLACK` after the form's deadline (a person
    who opens it late is told the form closed; after that the link itself is refused)."""
    return form_deadline(config, form, period) + TOKEN_SLACK


def describe(moment: dt.datetime, config: CohortConfig) -> str:
    """A moment as people read it, in the cohort's timezone."""
    return moment.astimezone(config.tz).strftime("%A %d %B %Y, %H:%M %Z")


# -- cadence arithmetic ---------------------------------------------------------------------------


def _advance(start: dt.datetime, cadence: str, steps: int) -> dt.datetime:
    match = CADENCE.match(cadence)
    assert match is not None  # validated by the config model
    if cadence == "monthly":
        month_index = start.month - 1 + steps
        year, month = start.year + month_index // 12, month_index % 12 + 1
        return start.replace(year=year, month=month, day=min(start.day, _days_in_month(year, month)))
    if cadence == "weekly":
        return start + dt.timedelta(weeks=steps)
    amount, unit = int(match.group(2)), match.group(3)
    return start + dt.timedelta(**{unit: amount * steps})


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day
