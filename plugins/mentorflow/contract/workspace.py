"""The partnership pages' rows as data: the vocabularies their forms offer (the table comments of
``store/tables.py``), who shares a space, and how a gate names a row.

Plain data on the standard library only, so the gate, the HR report and the erasure agree without importing
each other: a space is one pair (``pair-<match_id>``) or one group or circle (``group-<group_id>``), its members
the partners of its pairs (the same rule as ``mentorflow.workspace.spaces``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LOG_MODES = ("meeting", "call", "written")
MINUTES = (5, 600)  # a written exchange counts the time spent reading and writing
MEET_EVERY = ("week", "two weeks", "month")
AGREEMENT_MODES = ("in person", "call", "written")
RATINGS = (1, 5)
RAN = ("active", "ended", "completed")  # pairs whose space had its page (an ended pair's log still counts)
GATE = "workspace"


def space_of(pair: Mapping[str, Any]) -> str:
    group = pair.get("group_id")
    return f"group-{int(group)}" if group is not None and group == group else f"pair-{int(pair['match_id'])}"


def members_by_space(pairs: Iterable[Mapping[str, Any]], statuses: tuple[str, ...] = RAN) -> dict[str, set[str]]:
    """Each space's member ids, from a cohort's ``matches`` rows of ``statuses``."""
    out: dict[str, set[str]] = {}
    for pair in pairs:
        if pair["status"] in statuses:
            out.setdefault(space_of(pair), set()).update((pair["mentor_id"], pair["mentee_id"]))
    return out


def record_key(table: str, row: Mapping[str, Any]) -> str:
    """The quarantine key of a partnership row: ``<table>:<id>``; a key that names a person ends with their id
    (so an erasure can pseudonymise it)."""
    if table == "meeting_log":
        return f"meeting_log:{row['entry_id']}"
    if table == "milestones":
        return f"milestones:{row['milestone_id']}"
    if table == "agreements":
        return f"agreements:{row['space_id']}:{row['employee_id']}"
    return f"resource_feedback:{row['space_id']}:{row['resource_id']}:{row['employee_id']}"
