"""What the meeting log tells pair health about one pulse period (the load step; outcomes/health.py decides).

A period's check-in asks about the month before it was sent, so the log's contact for ``pulse-N`` is the
entries held from the previous pulse date (kickoff for the first) up to the day ``pulse-N`` was sent: spans
never overlap, and an entry counts for one period only.
The same day and mode logged by two members is one contact. Next steps count when they fell due in that span.
Only what was logged before the period's check-in closed (or before the assessment, if earlier) is read, so
assessing a closed period again gives the same answer. A group's log belongs to the whole group: its
entries count for each of the group's pairs. Entries the ``workspace`` gate holds (quarantined, open or
rejected) do not count. Private notes are never read here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.workspace import GATE, LOG_MODES, record_key
from mentorflow.store import Store, meeting_log, next_steps, quarantine
from mentorflow.workspace.spaces import group_space, pair_space

COLUMNS = ["match_id", "logged", "meeting", "call", "written", "steps_due", "steps_done"]
MODES = LOG_MODES


def span(config: CohortConfig, period: str) -> tuple[dt.date, dt.date]:
    """The days ``period``'s check-in asks about: [first, end)."""
    number = calendar.period_number(period)
    starts = [config.at(config.calendar.kickoff), *calendar.pulse_dates(config)]
    end = calendar.period_start(config, period)
    first = starts[number - 1] if 0 < number <= len(starts) else end
    return first.date(), end.date()


def space_of(pair: pd.Series | dict) -> str:
    group = pair.get("group_id")
    return group_space(int(group)) if group is not None and not pd.isna(group) else pair_space(int(pair["match_id"]))


def logged_contact(config: CohortConfig, store: Store, period: str, pairs: pd.DataFrame,
                   as_of: dt.datetime) -> pd.DataFrame:
    """Per pair of ``pairs``: entries logged for ``period`` by mode, and next steps due in it and done."""
    if pairs.empty:
        return pd.DataFrame(columns=COLUMNS)
    first, end = span(config, period)
    cutoff = min(as_of, calendar.form_deadline(config, "pulse", period))
    spaces = {int(p["match_id"]): space_of(p) for p in pairs.to_dict("records")}
    with store.engine.connect() as conn:
        held = set(conn.execute(sa.select(quarantine.c.record_key).where(
            quarantine.c.cohort_id == config.cohort, quarantine.c.gate == GATE,
            quarantine.c.status.in_(("open", "rejected")))).scalars())
        entries = conn.execute(sa.select(meeting_log.c.space_id, meeting_log.c.held_on, meeting_log.c.mode,
                                         meeting_log.c.created_at, meeting_log.c.entry_id).where(
            meeting_log.c.cohort_id == config.cohort, meeting_log.c.space_id.in_(set(spaces.values())),
            meeting_log.c.held_on >= first, meeting_log.c.held_on < end)).all()
        steps = conn.execute(sa.select(next_steps.c.space_id, next_steps.c.done_at, next_steps.c.created_at).where(
            next_steps.c.cohort_id == config.cohort, next_steps.c.space_id.in_(set(spaces.values())),
            next_steps.c.due_on >= first, next_steps.c.due_on < end)).all()
    by_space: dict[str, dict[str, int]] = {}
    contacts = {(space_id, held_on, mode) for space_id, held_on, mode, created, entry_id in entries
                if _aware(created) < cutoff and mode in MODES  # both partners logging one meeting: one contact
                and record_key("meeting_log", {"entry_id": entry_id}) not in held}
    for space_id, _, mode in contacts:
        counts = by_space.setdefault(space_id, dict.fromkeys((*MODES, "steps_due", "steps_done"), 0))
        counts[mode] += 1
    for space_id, done, created in steps:
        if _aware(created) < cutoff:
            counts = by_space.setdefault(space_id, dict.fromkeys((*MODES, "steps_due", "steps_done"), 0))
            counts["steps_due"] += 1
            counts["steps_done"] += int(done is not None and _aware(done) < cutoff)
    rows = []
    for match_id, space_id in spaces.items():
        counts = by_space.get(space_id)
        if counts:
            rows.append({"match_id": match_id, "logged": sum(counts[m] for m in MODES), **counts})
    return pd.DataFrame(rows, columns=COLUMNS)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back UTC timestamps without their zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
