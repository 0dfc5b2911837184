"""A group seen from the forms: the pulse asks about a group as a whole, so a person's pairs of one group
(``matches.group_id``: a group cohort's mentor and mentees, or a mentoring circle) become one entry whose
answer is stored for each of those pairs."""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

from mentorflow.store import Store, matches, people


@dataclass
class Partnership:
    """One entry of a person's partnerships on a form: a pair, or a whole group (the pulse)."""
    match_id: int
    partner_name: str
    my_role: str
    group_id: int | None = None
    # a group as one entry (the pulse): every pair of the person's in the group, the first being ``match_id``
    match_ids: tuple[int, ...] = ()

    @property
    def pairs(self) -> tuple[int, ...]:
        """The pairs an answer about this entry is stored for."""
        return self.match_ids or (self.match_id,)


def group_label(members: int, leader_name: str, lead: bool) -> str:
    """How a group is named to one of its people (the check-in email and the form say the same)."""
    counted = f"{members} member{'s' if members != 1 else ''}"
    return f"Your group with {counted} (you lead it)" if lead else f"Your group with {counted}, led by {leader_name}"


def one_entry_per_group(cohort: str, store: Store, partnerships: list[Partnership],
                        statuses: tuple[str, ...]) -> list[Partnership]:
    """``partnerships`` with each group's pairs folded into one entry (the group's first pair stands for it
    and ``match_ids`` lists every pair of the person's in the group); pairs without a group stay as they are."""
    group_ids = sorted({p.group_id for p in partnerships if p.group_id is not None})
    if not group_ids:
        return partnerships
    stmt = sa.select(matches.c.group_id, matches.c.mentor_id, matches.c.mentee_id).where(
        matches.c.cohort_id == cohort, matches.c.group_id.in_(group_ids), matches.c.status.in_(statuses))
    with store.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    members = {g: {r.mentee_id for r in rows if r.group_id == g} for g in group_ids}
    leaders = {r.group_id: r.mentor_id for r in rows}
    names = {p["employee_id"]: p["full_name"] for p in store.rows(people, cohort_id=cohort)}
    out: list[Partnership] = []
    seen: dict[int, int] = {}
    for p in partnerships:
        if p.group_id is None:
            out.append(p)
            continue
        if p.group_id in seen:
            entry = out[seen[p.group_id]]
            out[seen[p.group_id]] = replace(entry, match_ids=(*entry.match_ids, p.match_id))
            continue
        seen[p.group_id] = len(out)
        leader = leaders.get(p.group_id, "")
        out.append(replace(p, match_ids=(p.match_id,), partner_name=group_label(
            len(members[p.group_id]), names.get(leader, "your mentor"), p.my_role == "mentor")))
    return out
