"""Who shares a space: a one-to-one pair (``pair-<match_id>``) or a group or circle (``group-<group_id>``).

A space is derived from the pairs, never stored: a member is whoever is in one of its live pairs, so
a pair that ends or a mentee who leaves a circle loses the page with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from mentorflow.store import Store, matches, people

# pairs whose space is open: the partnership is running, or has run (its members may still look back)
OPEN = ("active", "completed")


@dataclass(frozen=True)
class Member:
    employee_id: str
    name: str
    role: str  # mentor | mentee (a symbiotic pair has both directions; the role is the pair's)


@dataclass(frozen=True)
class Space:
    cohort_id: str
    space_id: str
    match_ids: tuple[int, ...]
    members: tuple[Member, ...]
    group_id: int | None = None

    @property
    def kind(self) -> str:
        return "group" if self.group_id is not None else "pair"

    def member(self, person_id: str) -> Member | None:
        return next((m for m in self.members if m.employee_id == person_id), None)

    def others(self, person_id: str) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.employee_id != person_id)

    @property
    def mentee_ids(self) -> tuple[str, ...]:
        return tuple(m.employee_id for m in self.members if m.role == "mentee")

    def label_for(self, person_id: str) -> str:
        """How the space is named to one of its members ("Alex Kim (you are the mentee)", "your circle of 4")."""
        others = self.others(person_id)
        if self.kind == "group":
            return f"Your group of {len(self.members)} ({', '.join(m.name for m in others)})"
        me = self.member(person_id)
        return f"{others[0].name} (you are the {me.role if me else 'partner'})" if others else "your partnership"


def pair_space(match_id: int) -> str:
    return f"pair-{match_id}"


def group_space(group_id: int) -> str:
    return f"group-{group_id}"


def spaces_of(cohort_id: str, store: Store, person_id: str, statuses: tuple[str, ...] = OPEN) -> list[Space]:
    """The spaces a person belongs to, in the order their pairs were made."""
    mine = sa.or_(matches.c.mentor_id == person_id, matches.c.mentee_id == person_id)
    with store.engine.connect() as conn:
        own = conn.execute(sa.select(matches.c.match_id, matches.c.group_id).where(
            matches.c.cohort_id == cohort_id, matches.c.status.in_(statuses), mine).order_by(matches.c.match_id)).all()
        group_ids = sorted({r.group_id for r in own if r.group_id is not None})
        related = conn.execute(sa.select(matches).where(
            matches.c.cohort_id == cohort_id, matches.c.status.in_(statuses),
            sa.or_(matches.c.match_id.in_([r.match_id for r in own]), matches.c.group_id.in_(group_ids)))
            .order_by(matches.c.match_id)).all()
    return _assemble(cohort_id, store, [r._mapping for r in related], [r.match_id for r in own])


def all_spaces(cohort_id: str, store: Store, statuses: tuple[str, ...] = OPEN) -> list[Space]:
    """Every space of a cohort (the reminder, the health score and the HR counts read them)."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(matches).where(
            matches.c.cohort_id == cohort_id, matches.c.status.in_(statuses)).order_by(matches.c.match_id)).all()
    return _assemble(cohort_id, store, [r._mapping for r in rows], [r.match_id for r in rows])


def find(cohort_id: str, store: Store, person_id: str, space_id: str | None) -> tuple[Space | None, list[Space]]:
    """The space ``space_id`` if the person belongs to it (else their first), and all of theirs."""
    spaces = spaces_of(cohort_id, store, person_id)
    if not spaces:
        return None, []
    if space_id is None:
        return spaces[0], spaces
    return next((s for s in spaces if s.space_id == space_id), None), spaces


def _assemble(cohort_id: str, store: Store, rows: list, order: list[int]) -> list[Space]:
    names = _names(cohort_id, store, {p for r in rows for p in (r["mentor_id"], r["mentee_id"])})
    by_space: dict[str, list] = {}
    for row in rows:
        key = group_space(row["group_id"]) if row["group_id"] is not None else pair_space(row["match_id"])
        by_space.setdefault(key, []).append(row)
    first_seen: dict[str, int] = {}
    for row in rows:
        key = group_space(row["group_id"]) if row["group_id"] is not None else pair_space(row["match_id"])
        if row["match_id"] in order:
            first_seen.setdefault(key, order.index(row["match_id"]))
    spaces = []
    for key in sorted(first_seen, key=first_seen.get):
        pairs = by_space[key]
        members: dict[str, Member] = {}
        for pair in pairs:
            for person, role in ((pair["mentor_id"], "mentor"), (pair["mentee_id"], "mentee")):
                members.setdefault(person, Member(person, names.get(person, "a partner"), role))
        spaces.append(Space(cohort_id, key, tuple(p["match_id"] for p in pairs),
                            tuple(sorted(members.values(), key=lambda m: (m.role != "mentor", m.name))),
                            pairs[0]["group_id"]))
    return spaces


def _names(cohort_id: str, store: Store, ids: set[str]) -> dict[str, str]:
    """The full names of ``ids`` only (a page opens often: it must not read the whole roster each time)."""
    if not ids:
        return {}
    with store.engine.connect() as conn:
        return dict(conn.execute(sa.select(people.c.employee_id, people.c.full_name).where(
            people.c.cohort_id == cohort_id, people.c.employee_id.in_(sorted(ids)))).all())

