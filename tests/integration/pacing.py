"""A cohort calendar that follows the run's own progress, so the live cohort passes on a slow machine.

A calendar fixed in advance (open +0:30, close +1:30, …) bets on how fast the stack is: on a
loaded machine a stage is still running when the next one's moment comes, and the re-match form
closes before the kickoff is done. Here every moment is *released* only once the stage before it
has finished (and the participants have answered): the driver rewrites the cohort file, the
dag-processor re-reads it within seconds and the scheduler starts the run from the stage's own
timetable (or asset), exactly as it does for a calendar written in advance. A moment that is not
released yet is a placeholder days ahead, so nothing is ever due early; the re-match form stays
open because close-out is such a placeholder until pulse-2 is in.

The timeline, with ``t0`` when the stack is up:

==========  ===============================================  ======================================
stage       moment                                           released when
==========  ===============================================  ======================================
open        ``t0 - 2 days``                                  the file is first written
intake      ``open + 36 h`` (``t0 - 12 h``)                  open succeeded
validate    intake's moment + 1 min                          intake succeeded (retries included)
match       Asset ``validated``                              -
kickoff     Asset ``approved``                               -
pulse-1     ``now + LATER`` (kickoff date = pulse-1 - 6 h)   kickoff succeeded
midpoint    ``now + LATER``                                  pulse-1 answered and the re-match
                                                             request triaged
pulse-2     ``now + LATER``, rounded up to the minute        the midpoint succeeded
close-out   pulse-2 + 1 min; reminder +30 s, report +60 s    the midpoint succeeded; the close-out
                                                             DAG is unpaused once pulse-2 is in
==========  ===============================================  ======================================

Why the window lies in the past (its runs start by catch-up, as a late-parsed calendar would):
two derived calendars constrain it. Intake checks come every ``intake_check_every_hours`` from
the opening, so one check and a window that closes only when the check is done need a step
longer than the time the check may take; and pulses come one cadence after the kickoff date,
every cadence, so pulse-2 can stay days away after pulse-1 only if the kickoff date, which must
follow the window's close, lies that far before pulse-1. Everything from pulse-1 on is placed a
few seconds ahead of the wall clock and fires on the scheduler's clock.

When pulse-2 is placed, the cadence is set to pulse-2 - pulse-1 (pulse-1's moment unchanged)
and close-out to one minute after pulse-2, so no third pulse exists. Close-out may come due
before the pulse-2 answers are in; its DAG is therefore paused until they are (ops' switch), and
its runs then start at once by catch-up, or at their moments if those are still ahead.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import write_cohort
from mentorflow.cohorts.config import CohortConfig
from mentorflow.cohorts.loader import load_cohort

# how far ahead of now a released moment is placed: about one dag-processor pass (it re-reads the
# DAG file every 10 s), so the scheduler usually waits for it; if the pass is slower the run
# starts by catch-up instead, which is just as correct
LATER = dt.timedelta(seconds=20)
LEAD = dt.timedelta(days=2)              # the window opens this long before t0
INTAKE_STEP = dt.timedelta(hours=36)     # the one intake check: t0 - 12 h; a second would be at t0 + 1 day
PULSE_PLACEHOLDER = dt.timedelta(hours=6)  # cadence until pulse-2 is placed (pulse-2 stays 6 h away)
EVALUATION = dt.timedelta(seconds=60)    # close-out survey, reminder after 30 s, HR report after 60 s
NEVER = dt.timedelta(days=30)            # pulse reminders: later than any gap between pulses, so none


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _days(span: dt.timedelta) -> float:
    return span / dt.timedelta(days=1)


@dataclass
class PacedCalendar:
    """The live cohort's file, rewritten as the run progresses (``release_*``); ``config`` is its
    current content. ``start`` is naive UTC (the cohort's timezone is UTC)."""

    directory: Path
    cohort: str
    start: dt.datetime
    overrides: dict[str, Any]
    scratch: Path
    released: list[str] = field(default_factory=list)
    pulse_1: dt.datetime | None = None
    calendar: dict[str, Any] = field(init=False)
    config: CohortConfig = field(init=False)

    def __post_init__(self) -> None:
        t0 = self.start
        opened = t0 - LEAD
        # placeholders: ordered as the config requires, every moment but the opening days ahead;
        # one intake check at t0 + 2 days (step 4 days) before a close at t0 + 3 days
        self.calendar = {
            "application_open": _iso(opened), "application_close": _iso(t0 + dt.timedelta(days=3)),
            "kickoff": _iso(t0 + dt.timedelta(days=4)), "midpoint": _iso(t0 + dt.timedelta(days=5)),
            "close_out": _iso(t0 + dt.timedelta(days=6)),
            "pulse_cadence": f"every {int(PULSE_PLACEHOLDER / dt.timedelta(minutes=1))} minutes",
            "intake_check_every_hours": 2 * LEAD / dt.timedelta(hours=1),
            "reminder_after_days": 1.0,
            "evaluation_days": _days(EVALUATION),
        }
        self._write("the window opens (open runs by catch-up)")

    @property
    def path(self) -> Path:
        return self.directory / f"{self.cohort}.yaml"

    def _at(self, key: str) -> dt.datetime:
        return dt.datetime.fromisoformat(self.calendar[key])

    def _write(self, what: str) -> None:
        """Replace the file in one step (the dag-processor and the forms app never see half a file)."""
        overrides = {**self.overrides, "calendar": dict(self.calendar),
                     "health": {**self.overrides.get("health", {}), "reminder_after_days": _days(NEVER)}}
        with tempfile.TemporaryDirectory(dir=self.scratch) as folder:
            written = write_cohort(Path(folder), self.cohort, **overrides)
            self.config = load_cohort(written)  # validates before the stack sees it
            os.replace(written, self.path)
        self.config = load_cohort(self.path)
        self.released.append(what)

    # -- the releases, in order ----------------------------------------------------------------

    def release_intake(self) -> str:
        """One intake check at open + 36 h, in the past; the close stays ahead, before a second check."""
        opened = self._at("application_open")
        check = opened + INTAKE_STEP
        self.calendar.update({
            "intake_check_every_hours": INTAKE_STEP / dt.timedelta(hours=1),
            "reminder_after_days": _days(INTAKE_STEP) * 0.75,  # the check sends reminder wave 1
            "application_close": _iso(check + INTAKE_STEP - dt.timedelta(hours=1)),
        })
        self._write(f"intake check at {_iso(check)}")
        return self.released[-1]

    def release_close(self) -> str:
        """The window closes a minute after the intake check: validate runs by catch-up."""
        closed = self._at("application_open") + INTAKE_STEP + dt.timedelta(minutes=1)
        self.calendar["application_close"] = _iso(closed)
        self._write(f"window closes at {_iso(closed)}")
        return self.released[-1]

    def release_pulse_1(self, now: dt.datetime) -> str:
        """Pulse-1 just ahead; the kickoff date one placeholder cadence before it, so pulse-2 is 6 h away."""
        first = self.pulse_1 = (now + LATER).replace(microsecond=0)
        self.calendar["kickoff"] = _iso(first - PULSE_PLACEHOLDER)
        self._write(f"pulse-1 at {_iso(first)}")
        return self.released[-1]

    def release_midpoint(self, now: dt.datetime) -> str:
        moment = (now + LATER).replace(microsecond=0)
        self.calendar["midpoint"] = _iso(moment)
        self._write(f"midpoint at {_iso(moment)}")
        return self.released[-1]

    def release_pulse_2_and_closeout(self, now: dt.datetime) -> str:
        """Pulse-2 just ahead (whole minutes after pulse-1, the cadence's unit) and close-out one
        minute after it: a third pulse would fall at or after close-out, so there is none."""
        first = self.pulse_1
        assert first is not None, "pulse-1 is released first"
        minutes = max(1, math.ceil((now + LATER - first) / dt.timedelta(minutes=1)))
        cadence = dt.timedelta(minutes=minutes)
        second = first + cadence
        self.calendar.update({"kickoff": _iso(first - cadence), "pulse_cadence": f"every {minutes} minutes",
                              "close_out": _iso(second + dt.timedelta(minutes=1))})
        self._write(f"pulse-2 at {_iso(second)}, close-out at {self.calendar['close_out']}")
        return self.released[-1]


def paced_overrides(roster: Path, applications: Path, store_conn_id: str) -> dict[str, Any]:
    """Everything but the calendar, for ``write_cohort`` (the calendar is :class:`PacedCalendar`'s)."""
    return {
        "sources": {"roster_csv": str(roster), "applications_csv": str(applications)},
        "store": {"conn_id": store_conn_id},
        "committee": {"review_mode": "hitl"},
    }
