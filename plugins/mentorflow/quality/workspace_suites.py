"""The suite of the ``workspace`` gate: what the partnership pages wrote (meeting log, resource feedback,
milestones, agreements), checked again before pair health and the HR report count it.

The forms validate every field, but rows also arrive by any direct write (an import, a script, a fix by
hand), so the gate is the second line. Every row is checked; a held row is left out of the counts and every
good row is kept:

- ``workspace.log_date``: a log entry is dated between the cohort's kickoff and its close-out;
- ``workspace.log_minutes``: its minutes lie within ``contract.workspace.MINUTES``;
- ``workspace.log_mode``: its mode is one of ``contract.workspace.LOG_MODES``;
- ``workspace.log_author``: its author is a member of its space;
- ``workspace.resource_rating``: a resource rating is 1 to 5 (or none);
- ``workspace.milestone_goal``: a milestone belongs to a goal that exists;
- ``workspace.agreement_terms``: an agreement's ``meet_every`` and every one of its ``modes`` are allowed.

Free text (private notes, agreement texts, titles) never enters a batch, so it never reaches a quarantine
row or the data-quality report; reasons name entries by id and never a person. Record keys are
:func:`mentorflow.contract.workspace.record_key`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.workspace import AGREEMENT_MODES, LOG_MODES, MEET_EVERY, MINUTES, RATINGS, record_key
from mentorflow.quality.expectations import Spec
from mentorflow.quality.reader import ROW
from mentorflow.quality.results import Batch
from mentorflow.quality.spec_helpers import null_spec

# the columns that hold people's own words: never given to the gate
FREE_TEXT = ("private_note", "wants_to_learn", "offers", "raise_problem", "title", "text")


def _frame(rows: pd.DataFrame, table: str) -> pd.DataFrame:
    out = rows.drop(columns=[c for c in FREE_TEXT if c in rows]).reset_index(drop=True).copy()
    out[ROW] = np.arange(len(out))
    out["record"] = [record_key(table, r) for r in out.to_dict("records")] if len(out) else pd.Series(dtype=str)
    return out


def _date(value) -> dt.date | None:
    if value is None or (not isinstance(value, (dt.date, str)) and pd.isna(value)):
        return None
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else pd.Timestamp(value).date()


def log_batch(log: pd.DataFrame, members: dict[str, set[str]], config: CohortConfig) -> Batch:
    """``log``: the cohort's ``meeting_log`` rows; ``members``: each space's member ids."""
    out = _frame(log, "meeting_log")
    first, last = config.at(config.calendar.kickoff).date(), config.at(config.calendar.close_out).date()
    low, high = MINUTES

    def date_problem(value) -> str | None:
        day = _date(value)
        if day is None:
            return "has no date"
        return None if first <= day <= last else f"is dated {day.isoformat()}, outside the program ({first} to {last})"

    out["date_problem"] = [date_problem(v) for v in out["held_on"]] if len(out) else pd.Series(dtype=object)
    def minutes_problem(value) -> str | None:
        number = value if isinstance(value, (int, np.integer, float)) and not pd.isna(value) else None
        if number is not None and low <= number <= high:
            return None
        return f"minutes is {number:g}, must be {low}-{high}" if number is not None else "has no minutes"

    out["minutes_problem"] = [minutes_problem(m) for m in out["minutes"]] if len(out) else pd.Series(dtype=object)
    out["author_member"] = [a in members.get(s, set()) for s, a in zip(out["space_id"], out["author_id"])] \
        if len(out) else pd.Series(dtype=bool)
    specs = [
        null_spec("workspace.log_date", "date_problem", lambda r, c: f"log entry {r['entry_id']} {r[c]}"),
        null_spec("workspace.log_minutes", "minutes_problem", lambda r, c: f"log entry {r['entry_id']}: {r[c]}"),
        Spec("workspace.log_mode", "ExpectColumnValuesToBeInSet", {"column": "mode", "value_set": list(LOG_MODES)},
             lambda r: f"log entry {r['entry_id']}: mode {r['mode']!r} is not one of {', '.join(LOG_MODES)}"),
        Spec("workspace.log_author", "ExpectColumnValuesToBeInSet", {"column": "author_member", "value_set": [True]},
             lambda r: f"log entry {r['entry_id']}: its author is not a member of {r['space_id']}"),
    ]
    return Batch("meeting_log", out, specs, "record")


def feedback_batch(feedback: pd.DataFrame) -> Batch:
    out = _frame(feedback, "resource_feedback")
    low, high = RATINGS
    out["rating_problem"] = [None if r is None or pd.isna(r) or (float(r).is_integer() and low <= r <= high)
                             else f"rating is {r:g}, must be {low}-{high} or none" for r in out["rating"]] \
        if len(out) else pd.Series(dtype=object)
    specs = [null_spec("workspace.resource_rating", "rating_problem",
                       lambda r, c: f"feedback on {r['resource_id']} in {r['space_id']}: {r[c]}")]
    return Batch("resource_feedback", out, specs, "record")


def milestone_batch(milestones: pd.DataFrame, goal_ids: set[int]) -> Batch:
    out = _frame(milestones, "milestones")
    out["has_goal"] = out["goal_id"].isin(goal_ids) if len(out) else pd.Series(dtype=bool)
    specs = [Spec("workspace.milestone_goal", "ExpectColumnValuesToBeInSet", {"column": "has_goal", "value_set": [True]},
                  lambda r: f"milestone {r['milestone_id']}: goal {r['goal_id']} does not exist")]
    return Batch("milestones", out, specs, "record")


def agreement_batch(agreements: pd.DataFrame) -> Batch:
    out = _frame(agreements, "agreements")

    def terms_problem(every, modes) -> str | None:
        if every not in MEET_EVERY:
            return f"meet_every {every!r} is not one of {', '.join(MEET_EVERY)}"
        chosen = [m.strip() for m in str(modes or "").split(";") if m.strip()]
        wrong = [m for m in chosen if m not in AGREEMENT_MODES]
        if not chosen or wrong:
            return (f"modes {', '.join(map(repr, wrong))} not among {', '.join(AGREEMENT_MODES)}" if wrong
                    else "no way of meeting chosen")
        return None

    out["terms_problem"] = [terms_problem(e, m) for e, m in zip(out["meet_every"], out["modes"])] \
        if len(out) else pd.Series(dtype=object)
    specs = [null_spec("workspace.agreement_terms", "terms_problem",
                       lambda r, c: f"agreement in {r['space_id']}: {r[c]}")]
    return Batch("agreements", out, specs, "record")
