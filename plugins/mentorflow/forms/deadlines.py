"""When each form closes, from the cohort calendar.

- application, gap-fill: until ``application_close`` (the validate stage freezes applications then);
- pulse ``pulse-N``: until the next pulse period starts (the pulse stage assesses period N then),
  the last one until ``close_out``;
- re-match request: until ``close_out``;
- close-out evaluation: until ``close_out`` + ``calendar.evaluation_days`` (when the HR report is built).

Links themselves expire :data:`TOKEN_SLACK` after their form's deadline (counted from the window
opening, which is before any link is issued), so an old link cannot be replayed for ever.
"""

from __future__ import annotations

import datetime as dt

from mentorflow.cohorts.config import CohortConfig

TOKEN_SLACK = dt.timedelta(days=7)


def deadline(config: CohortConfig, form: str, period: str = "") -> dt.datetime:
    cal = config.calendar
    if form in ("application", "gapfill"):
        return config.at(cal.application_close)
    if form == "rematch":
        return config.at(cal.close_out)
    if form == "closeout":
        return config.closeout_dates()["report"]
    if form == "pulse":
        dates = config.pulse_dates()
        number = _period_number(period)
        return dates[number] if number < len(dates) else config.at(cal.close_out)
    raise ValueError(f"unknown form {form!r}")


def token_max_age(config: CohortConfig, form: str, period: str = "") -> float:
    return (deadline(config, form, period) + TOKEN_SLACK - config.at(config.calendar.application_open)).total_seconds()


def _period_number(period: str) -> int:
    try:
        return int(period.split("-")[1])
    except (IndexError, ValueError):
        return 0


def describe(moment: dt.datetime, config: CohortConfig) -> str:
    return moment.astimezone(config.tz).strftime("%A %d %B %Y, %H:%M %Z")
