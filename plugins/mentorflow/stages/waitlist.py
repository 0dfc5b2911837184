"""The waitlist's priority: people waiting for a one-to-one partner are matched before everyone else,
the longest-waiting first (docs/waitlist.md).

The stages say who comes first and the matcher does the rest: :func:`priority_groups` becomes the
round's ``MatchInput.priority``, and :mod:`mentorflow.matching.phases` solves one phase per
``waiting_since`` (oldest first), each with the pairs of the earlier phases fixed, then a last phase for
everyone else (the midpoint: the mentees its endings freed; the initial round: every other applicant).

- midpoint (``stages.midpoint.solve_rematch``): freed capacity (ended pairs, mentors with room) goes to
  the cohort's waiting rows first; whoever stays unplaced is listed with :data:`STILL_WAITING`;
- initial round (``stages.match.decide_initial``): people carried in from an earlier cohort's waitlist
  (``stages.waitlist_carry``) are matched first, and the committee is told how many;
- approval (``stages.match.approve_matches``): :func:`place_approved` marks waiting rows whose person
  got a partner in the approved round as placed, in the approval's transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mentorflow.matching import MatchResult
from mentorflow.store import Store, matches, waitlist

STILL_WAITING = "still on the waitlist: no mentor with room fits"
SEEKING_ROLES = ("mentee", "partner", "both")  # a waiting mentor's room is capacity, not a seeker


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Stored timestamps come back without an offset from SQLite: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def waiting_rows(store: Store, cohort: str) -> list[dict[str, Any]]:
    """The cohort's waitlist rows still waiting for a partner (people who look for one)."""
    return [r for r in store.rows(waitlist, cohort_id=cohort, status="waiting") if r["role"] in SEEKING_ROLES]


def priority_groups(rows: list[dict[str, Any]]) -> list[set[str]]:
    """The waiting people grouped by ``waiting_since``, oldest group first: the matcher's
    ``MatchInput.priority`` (decide: no I/O). Equal waiting times share a group, in which fit decides; the
    matcher leaves out whoever it cannot consider."""
    groups: dict[dt.datetime, set[str]] = {}
    for row in rows:
        groups.setdefault(as_utc(row["waiting_since"]), set()).add(row["employee_id"])
    return [groups[since] for since in sorted(groups)]


def still_waiting(result: MatchResult, waiting: set[str], role: str) -> MatchResult:
    """The midpoint's unmatched list with every waiting person the phases did not place, and why."""
    placed = set(result.pairs["mentee_id"]) | (set(result.pairs["mentor_id"]) if role == "partner" else set())
    left = sorted(waiting - placed)
    kept = result.unmatched[~result.unmatched["employee_id"].isin(left)]
    extra = pd.DataFrame([(e, role, STILL_WAITING) for e in left], columns=["employee_id", "role", "reason"])
    result.unmatched = pd.concat([kept, extra], ignore_index=True) if left else kept
    return result


def unpartnered(rows: list[dict[str, Any]], fixed_pairs: list[tuple[str, str]]) -> set[str]:
    """Everyone of the waiting ``rows`` not in a pair the round keeps (the midpoint accounts for each of
    them, placed or not; a waiting row behind the facts is not seeking)."""
    partnered = {p for pair in fixed_pairs for p in pair}
    return {r["employee_id"] for r in rows} - partnered


def carried_note(rows: list[dict[str, Any]], result: MatchResult) -> list[str]:
    """The committee's note on the initial round: how many of the waiting ``rows`` carried in from each
    earlier cohort's waitlist were matched first (decide: no I/O)."""
    paired = set(result.pairs["mentee_id"]) | set(result.pairs["mentor_id"])
    by_origin: dict[str, int] = {}
    for row in rows:
        if row["carried_from"] and row["employee_id"] in paired:
            by_origin[row["carried_from"]] = by_origin.get(row["carried_from"], 0) + 1
    return [f"{n} {'person' if n == 1 else 'people'} carried from the waitlist of {origin} "
            f"{'was' if n == 1 else 'were'} matched first" for origin, n in sorted(by_origin.items())]


def place_approved(conn: sa.Connection, cohort: str, round_name: str, moment: dt.datetime) -> int:
    """Inside the approval's transaction: waiting rows whose person is in an approved pair of the round
    become placed (placed_at, placed_match_id). Re-running finds nothing left to place."""
    waiting = {r.employee_id: r.role for r in conn.execute(sa.select(waitlist.c.employee_id, waitlist.c.role).where(
        waitlist.c.cohort_id == cohort, waitlist.c.status == "waiting"))}
    if not waiting:
        return 0
    pairs = conn.execute(sa.select(matches.c.match_id, matches.c.mentor_id, matches.c.mentee_id).where(
        matches.c.cohort_id == cohort, matches.c.round == round_name, matches.c.status.in_(("approved", "active")))
        .order_by(matches.c.match_id)).all()
    placed: dict[str, int] = {}
    for pair in pairs:
        for person in (pair.mentee_id, pair.mentor_id):
            if person in waiting and (person == pair.mentee_id or waiting[person] == "partner"):
                placed.setdefault(person, pair.match_id)
    for person, match_id in placed.items():
        conn.execute(waitlist.update().where(waitlist.c.cohort_id == cohort, waitlist.c.employee_id == person,
                                             waitlist.c.status == "waiting")
                     .values(status="placed", placed_at=moment, placed_match_id=match_id))
    return len(placed)
