"""The waitlist's priority: people waiting for a one-to-one partner are matched before everyone else,
the longest-waiting first (docs/waitlist.md).

Both rounds that place waitlisted people use the same phases over the existing matcher
(:func:`propose_first`): one phase per ``waiting_since`` (oldest first), each solved with the pairs of
the earlier phases fixed, then a last phase for everyone else (the midpoint: the mentees its endings
freed; the initial round: every other applicant). Within a phase the optimizer maximises fit as usual.

- midpoint (``stages.midpoint.decide_rematch``): freed capacity (ended pairs, mentors with room) goes to
  the cohort's waiting rows first; whoever stays unplaced is listed with :data:`STILL_WAITING`;
- initial round (``stages.match.propose_matches``): people carried in from an earlier cohort's waitlist
  (``stages.waitlist_carry``) are matched first, and the committee is told how many;
- approval (``stages.match.approve_matches``): :func:`place_approved` marks waiting rows whose person
  got a partner in the approved round as placed, in the approval's transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mentorflow.matching import MatchInput, MatchResult
from mentorflow.store import Store, matches, waitlist

STILL_WAITING = "still on the waitlist: no mentor with room fits"
Solve = Callable[[MatchInput], MatchResult]  # matching.propose, passed in by the stage that solves
SEEKING_ROLES = ("mentee", "partner", "both")  # a waiting mentor's room is capacity, not a seeker


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Stored timestamps come back without an offset from SQLite: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def waiting_rows(store: Store, cohort: str) -> list[dict[str, Any]]:
    """The cohort's waitlist rows still waiting for a partner (people who look for one)."""
    return [r for r in store.rows(waitlist, cohort_id=cohort, status="waiting") if r["role"] in SEEKING_ROLES]


def priority_groups(rows: list[dict[str, Any]], available: set[str]) -> list[set[str]]:
    """The waiting people the matcher can consider, grouped by ``waiting_since``, oldest group first
    (decide: no I/O). Equal waiting times share a group, in which fit decides."""
    groups: dict[dt.datetime, set[str]] = {}
    for row in rows:
        if row["employee_id"] in available:
            groups.setdefault(as_utc(row["waiting_since"]), set()).add(row["employee_id"])
    return [groups[since] for since in sorted(groups)]


def considered(inp: MatchInput) -> set[str]:
    """Who the matcher can place: eligible people with a valid application, not already in a fixed pair
    (as the mentee; in a symbiotic program on either side)."""
    both = inp.program_type == "symbiotic"
    fixed = {p for mentor, mentee in inp.fixed_pairs for p in ((mentor, mentee) if both else (mentee,))}
    return (set(inp.applications["employee_id"]) & set(inp.people["employee_id"])) - fixed


def propose_first(inp: MatchInput, groups: list[set[str]], propose: Solve) -> MatchResult:
    """Match ``groups`` one phase each (the pairs of earlier phases fixed), then ``inp.seekers`` (None:
    everyone else) in a last phase; one result with every phase's pairs and the last phase's unmatched
    list. The committee's locks are solved in the first phase (their mentees join it when everyone
    seeks). Without groups this is one plain ``propose``."""
    if not groups:
        return propose(inp)
    fixed = list(inp.fixed_pairs)
    locks = list(inp.locked_pairs)
    found: list[pd.DataFrame] = []
    notes: list[str] = []
    for group in groups:
        seekers = set(group)
        if locks and inp.seekers is None:
            seekers |= {p for pair in locks for p in pair}
        phase = propose(dataclasses.replace(inp, seekers=seekers, fixed_pairs=list(fixed), locked_pairs=locks))
        found.append(phase.pairs)
        notes += phase.notes
        fixed += list(zip(phase.pairs["mentor_id"], phase.pairs["mentee_id"]))
        locks = []
    last = propose(dataclasses.replace(inp, fixed_pairs=fixed, locked_pairs=locks))
    pairs = pd.concat([p for p in [*found, last.pairs] if len(p)] or [last.pairs], ignore_index=True)
    return MatchResult(pairs=pairs, unmatched=last.unmatched, notes=notes + last.notes, stats=last.stats)


def still_waiting(result: MatchResult, waiting: set[str], role: str) -> MatchResult:
    """The midpoint's unmatched list with every waiting person the phases did not place, and why."""
    placed = set(result.pairs["mentee_id"]) | (set(result.pairs["mentor_id"]) if role == "partner" else set())
    left = sorted(waiting - placed)
    kept = result.unmatched[~result.unmatched["employee_id"].isin(left)]
    extra = pd.DataFrame([(e, role, STILL_WAITING) for e in left], columns=["employee_id", "role", "reason"])
    result.unmatched = pd.concat([kept, extra], ignore_index=True) if left else kept
    return result


def midpoint_priority(store: Store, cohort: str, inp: MatchInput) -> tuple[list[set[str]], set[str]]:
    """The midpoint's waitlist phases (load + decide) and everyone waiting without a partner (placed or
    not, the round accounts for them)."""
    rows = waiting_rows(store, cohort)
    partnered = {p for pair in inp.fixed_pairs for p in pair}  # a waiting row behind the facts: not seeking
    return priority_groups(rows, considered(inp)), {r["employee_id"] for r in rows} - partnered


def carried_note(store: Store, cohort: str, result: MatchResult) -> list[str]:
    """The committee's note on the initial round: how many people carried in from each earlier cohort's
    waitlist were matched first."""
    paired = set(result.pairs["mentee_id"]) | set(result.pairs["mentor_id"])
    by_origin: dict[str, int] = {}
    for row in waiting_rows(store, cohort):
        if row["carried_from"] and row["employee_id"] in paired:
            by_origin[row["carried_from"]] = by_origin.get(row["carried_from"], 0) + 1
    return [f"{n} {'person' if n == 1 else 'people'} carried from the waitlist of {origin} "
            f"{'was' if n == 1 else 'were'} matched first" for origin, n in sorted(by_origin.items())]


def initial_priority(store: Store, cohort: str, inp: MatchInput, propose: Solve) -> MatchResult:
    """The initial round with carried-in waiting people matched first (a plain solve when there are none)."""
    result = propose_first(inp, priority_groups(waiting_rows(store, cohort), considered(inp)), propose)
    result.notes = [*carried_note(store, cohort, result), *result.notes]
    return result


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
