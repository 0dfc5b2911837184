"""Groups that are groups: in a ``group`` cohort a mentor leads ``rules.group_size`` mentees, and a mentoring
circle (round "circle") is a mentor with a few mentees too. Their pairs share one ``matches.group_id`` and the
group is treated as one:

- **ids**: a group cohort's proposal gives every pair its mentor's group id (:func:`with_group_ids`, inside the
  proposal's transaction: a mentor who already leads a group keeps it, so a midpoint mentee joins the existing
  group; new groups take ids after the cohort's highest, circles included). One-to-one programs keep NULL.
- **one introduction** per member (:func:`group_introductions`, template ``group_kickoff``): the leader and the
  other members, a member's name and email shown to the others only when that member agreed
  (``applications.group_consent``; the others are counted). The leader sees every member.
- **one check-in per group** (:func:`check_in_groups`): the pulse names the group once; the form's answer is
  stored for each of the person's pairs in it (``forms/groups.py``); ``outcomes/group_health.py`` scores it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.forms.groups import group_label
from mentorflow.messaging import OutgoingEmail
from mentorflow.stages import meeting_invites
from mentorflow.stages.common import compose
from mentorflow.stages.introductions import PastWants, introduction_contexts
from mentorflow.store import matches

GROUP_PROGRAMS = ("group",)
CIRCLE_ROUND = "circle"


def split(pairs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``pairs`` as (pairs without a group, pairs of a group)."""
    return ([p for p in pairs if p.get("group_id") is None], [p for p in pairs if p.get("group_id") is not None])


def groups_of(pairs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Each group of ``pairs`` by id: its ``leader`` (the pairs' mentor) and its ``members`` (mentees, in the
    pairs' order)."""
    out: dict[int, dict[str, Any]] = {}
    for pair in pairs:
        if pair.get("group_id") is None:
            continue
        group = out.setdefault(int(pair["group_id"]), {"leader": pair["mentor_id"], "members": []})
        if pair["mentee_id"] not in group["members"]:
            group["members"].append(pair["mentee_id"])
    return out


# -- ids -----------------------------------------------------------------------------------------------

def allocate_group_ids(pairs: list[dict[str, Any]], existing: dict[str, int], next_id: int) -> list[dict[str, Any]]:
    """``pairs`` with ``group_id`` set (decide): a mentor in ``existing`` keeps their group, every other mentor
    opens the next id from ``next_id`` on, in the order the pairs come."""
    ids = dict(existing)
    out = []
    for pair in pairs:
        if pair["mentor_id"] not in ids:
            ids[pair["mentor_id"]] = next_id
            next_id += 1
        out.append({**pair, "group_id": ids[pair["mentor_id"]]})
    return out


def with_group_ids(conn: sa.Connection, config: CohortConfig, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inside the proposal's transaction (after the round's open proposal was removed): ``pairs`` with their
    group ids in a group cohort, unchanged in any other. A mentor's existing group is the latest non-circle
    group they lead in the cohort; new ids follow the cohort's highest (circles included, so none clash)."""
    if config.program_type.value not in GROUP_PROGRAMS or not pairs:
        return pairs
    rows = conn.execute(sa.select(matches.c.mentor_id, matches.c.group_id, matches.c.round)
                        .where(matches.c.cohort_id == config.cohort, matches.c.group_id.is_not(None))
                        .order_by(matches.c.match_id)).all()
    existing = {r.mentor_id: int(r.group_id) for r in rows if r.round != CIRCLE_ROUND}
    return allocate_group_ids(pairs, existing, max((int(r.group_id) for r in rows), default=0) + 1)


# -- kickoff -------------------------------------------------------------------------------------------

def shares_with_group(apps: dict, person_id: str) -> bool:
    """Whether the person agreed that their name and email are shown to the other members."""
    return bool((apps.get(person_id) or {}).get("group_consent"))


def group_contexts(config: CohortConfig, pairs: list[dict[str, Any]], everyone: dict, apps: dict,
                   past: PastWants | None = None) -> dict[str, dict[str, Any]]:
    """Per person, what their group introduction says (decide). Each of their groups: the ``leader``, whether
    they ``lead`` it, the ``partners`` it gives them as :func:`introduction_contexts` describes them (the leader:
    every member; a member: the leader), the ``others`` (members who agreed to be named to the group) and how
    many are ``unnamed``. Plus their goals and resources, as in a pair's introduction."""
    pair_contexts = introduction_contexts(config, pairs, everyone, apps, past)
    out: dict[str, dict[str, Any]] = {}
    for group_id, group in sorted(groups_of(pairs).items()):
        leader, members = group["leader"], group["members"]
        people = {leader, *members}
        for me in (leader, *members):
            lead = me == leader
            others = [] if lead else [m for m in members if m != me]
            named = [everyone[m] for m in others if shares_with_group(apps, m)]
            context = pair_contexts[me]
            mine = out.setdefault(me, {"groups": [], "partners": [], "my_goals": context["my_goals"],
                                       "my_goals_shared": context["my_goals_shared"],
                                       "resources": context["resources"]})
            partners = [p for p in context["partners"] if p["partner"]["employee_id"] in people]
            mine["partners"].extend(partners)
            mine["groups"].append({"group_id": group_id, "leader": everyone[leader], "lead": lead,
                                   "members": len(members), "partners": partners, "others": named,
                                   "unnamed": len(others) - len(named)})
    return out


def group_introductions(config: CohortConfig, pairs: list[dict[str, Any]], everyone: dict, apps: dict,
                        period: str, past: PastWants | None = None,
                        template: str = "group_kickoff", *,
                        meeting_after: dt.datetime | None = None) -> list[OutgoingEmail]:
    """ONE email per person introducing their group(s) (pairs with a ``group_id``: a group cohort's groups or
    circles); see :func:`group_contexts`. Keyed in the ledger by ``template`` and ``period``. With
    ``meeting_after`` each carries one calendar invite per group, naming only the members the reader's
    introduction names."""
    invites = meeting_invites.Invites()
    if meeting_after:
        spaces = meeting_invites.group_members(groups_of(pairs))
        leader = {space_id: members[0] for space_id, members in spaces}  # the leader sees every member
        invites = meeting_invites.build(
            config, spaces, everyone, meeting_after,
            sees=lambda space, me, other: leader[space] in (me, other) or shares_with_group(apps, other))
    return [compose(config, everyone[me], template, period, partnered=True, **invites.for_person(me), **context)
            for me, context in group_contexts(config, pairs, everyone, apps, past).items()]


# -- pulse ---------------------------------------------------------------------------------------------

def check_in_groups(pairs: list[dict[str, Any]], everyone: dict) -> dict[str, list[dict[str, Any]]]:
    """Per person, each group of ``pairs`` they are in, as their check-in names it (one entry per group)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for group_id, group in sorted(groups_of(pairs).items()):
        leader = everyone[group["leader"]]
        for me in (group["leader"], *group["members"]):
            lead = me == group["leader"]
            out.setdefault(me, []).append({
                "group_id": group_id, "lead": lead, "leader": leader, "members": len(group["members"]),
                "label": group_label(len(group["members"]), leader["full_name"], lead)})
    return out
