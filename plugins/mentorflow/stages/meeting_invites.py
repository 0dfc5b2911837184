"""The calendar invites that come with an introduction (decide: plain data in, attachments out).

One event per space (a pair, or a group or circle), proposing a first meeting in its members' working-hours
overlap (:mod:`mentorflow.workspace.invite`). Every member gets their own copy of the file: the same UID and
time, their own partnership link in the description, and as attendees only the people their introduction
names (a group member who did not agree to be named stays off the others' copies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mentorflow.cohorts.config import CohortConfig
from mentorflow.messaging import Attachment
from mentorflow.stages.common import PARTNERSHIP, form_link
from mentorflow.workspace import invite
from mentorflow.workspace.spaces import group_space, pair_space


@dataclass
class Invites:
    """Per person, their invite files and what their email says of each (``meeting_invites``)."""

    files: dict[str, list[Attachment]] = field(default_factory=dict)
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def for_person(self, person_id: str) -> dict[str, Any]:
        """The ``compose`` arguments for one person: their attachments and the template's notes."""
        return {"attachments": tuple(self.files.get(person_id, ())), "meeting_invites": self.notes.get(person_id, [])}


def pair_members(pairs: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(space id, [mentor, mentee]) for each one-to-one pair."""
    return [(pair_space(p["match_id"]), [p["mentor_id"], p["mentee_id"]]) for p in pairs]


def group_members(groups: dict[int, dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(space id, [leader, members...]) for each group (``stages.groups.groups_of``)."""
    return [(group_space(gid), [g["leader"], *g["members"]]) for gid, g in sorted(groups.items())]


def build(config: CohortConfig, spaces: list[tuple[str, list[str]]], everyone: dict[str, dict[str, Any]],
          after: dt.datetime, sees: Callable[[str, str, str], bool] = lambda space, me, other: True) -> Invites:
    """Invites for ``spaces`` (space id, member ids), the meeting on a day at least two days after ``after``
    (the kickoff or the circles' start, in the cohort's calendar). ``sees(space_id, me, other)``: whether
    ``me``'s copy may name ``other`` (group consent)."""
    out = Invites()
    organizer = invite.Attendee(config.sender.from_name, config.sender.from_email)
    for space_id, members in spaces:
        members = [m for m in dict.fromkeys(members) if m in everyone]
        if len(members) < 2:
            continue
        zones = [invite.zone(everyone[m].get("timezone"), config.timezone) for m in members]
        start, end, overlap = invite.first_common_slot(zones, after)
        for me in members:
            named = [m for m in members if m == me or sees(space_id, me, m)]
            data = invite.calendar_file(
                event_uid=invite.uid(config.cohort, space_id), start=start, end=end, overlap=overlap,
                organizer=organizer,
                attendees=[invite.Attendee(everyone[m]["full_name"], everyone[m]["email"]) for m in named],
                link=form_link(config, me, PARTNERSHIP, ""), stamp=after, program=config.name)
            out.files.setdefault(me, []).append(Attachment(invite.filename(space_id), data, invite.MIME_TYPE))
            mine = zones[members.index(me)]
            out.notes.setdefault(me, []).append({
                "when": start.astimezone(mine).strftime("%A %d %B %Y, %H:%M %Z"), "overlap": overlap,
                "names": _names([everyone[m]["full_name"] for m in named if m != me])})
    return out


def _names(names: list[str]) -> str:
    if not names:
        return "your group"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
