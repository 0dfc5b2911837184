"""What the partnership page already knows for a monthly check-in, so the pulse form asks only the rest.

The check-in of period ``pulse-N`` goes out when that period starts and asks about the time since the
previous check-in (the first: since kickoff): :func:`asked_about`. Within that window the page knows

- how often the space met: its log entries (meetings, calls and written exchanges; the same day and mode
  logged by two members is one contact), and
- whether the goals moved: milestones marked reached.

:func:`known_answers` turns those rows into suggested form values with the words saying where each came
from. It only suggests: the form shows them as editable answers, and a member's stored answer wins. A log
with nothing in the window suggests nothing (an unlogged month is not a month without meetings).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.store import Store, goals, meeting_log, milestones

MAX_MEETINGS = 31  # the pulse question's own upper bound
MODE_WORDS = {"meeting": ("meeting", "meetings"), "call": ("call", "calls"),
              "written": ("written exchange", "written exchanges")}


@dataclass(frozen=True)
class Known:
    """Suggested pulse answers (HTML field values) and, per field, the words naming their source."""

    values: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def asked_about(config: CohortConfig, period: str) -> tuple[dt.datetime, dt.datetime]:
    """The window a period's check-in asks about: from the previous period's start (or kickoff) to its own."""
    end = calendar.period_start(config, period)
    earlier = calendar.previous_period(period)
    start = calendar.period_start(config, earlier) if earlier else config.at(config.calendar.kickoff)
    return min(start, end), end


def known_answers(entries: Iterable[Mapping[str, Any]], steps: Iterable[Mapping[str, Any]],
                  window: tuple[dt.datetime, dt.datetime]) -> Known:
    """Pure: suggested ``meetings`` from log ``entries`` (held_on, mode) and ``goal_progress`` from
    milestone ``steps`` (created_at, reached_at) within ``window`` (start inclusive, end exclusive)."""
    start, end = window
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    contacts = {(e["held_on"], e["mode"]) for e in entries if start.date() <= e["held_on"] < end.date()}
    if contacts:
        count = min(len(contacts), MAX_MEETINGS)
        values["meetings"] = str(count)
        by_mode = [f"{n} {MODE_WORDS.get(mode, (mode, mode))[n != 1]}" for mode in MODE_WORDS
                   if (n := sum(1 for _, m in contacts if m == mode))]
        entry_words = "1 entry" if len(contacts) == 1 else f"{len(contacts)} entries"
        sources["meetings"] = (f"Filled in from your partnership page's log: {entry_words} ({', '.join(by_mode)}) "
                               f"between {start.date().isoformat()} and {(end - dt.timedelta(days=1)).date().isoformat()}"
                               ". Change it if it is not right.")
    steps = list(steps)
    open_at_start = [s for s in steps if _aware(s["created_at"]) < end
                     and (s["reached_at"] is None or _aware(s["reached_at"]) >= start)]
    reached = [s for s in open_at_start if s["reached_at"] is not None and _aware(s["reached_at"]) < end]
    if reached:
        values["goal_progress"] = str(suggested_progress(len(reached), len(open_at_start)))
        sources["goal_progress"] = (f"Suggested from your partnership page: {len(reached)} of {len(open_at_start)} "
                                    f"open milestone{'s' if len(open_at_start) != 1 else ''} reached in this period. "
                                    "Change it if it is not right.")
    return Known(values, sources)


def suggested_progress(reached: int, open_milestones: int) -> int:
    """1-5 from the share of open milestones reached: any reached is at least 2, three quarters or more 5."""
    share = reached / open_milestones if open_milestones else 0.0
    return 5 if share >= 0.75 else 4 if share >= 0.5 else 3 if share >= 0.25 else 2 if reached else 1


def load(config: CohortConfig, store: Store, space_id: str, period: str) -> Known:
    """The known answers of one space for one pulse period (read from the store, then :func:`known_answers`)."""
    window = asked_about(config, period)
    with store.engine.connect() as conn:
        entries = conn.execute(sa.select(meeting_log.c.held_on, meeting_log.c.mode).where(
            meeting_log.c.cohort_id == config.cohort, meeting_log.c.space_id == space_id,
            meeting_log.c.held_on >= window[0].date(), meeting_log.c.held_on < window[1].date())).all()
        steps = conn.execute(sa.select(milestones.c.created_at, milestones.c.reached_at).join(
            goals, goals.c.goal_id == milestones.c.goal_id).where(
            goals.c.cohort_id == config.cohort, goals.c.space_id == space_id)).all()
    return known_answers([r._mapping for r in entries], [r._mapping for r in steps], window)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without a zone; the store writes them in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
