"""The state of a committee round and the committee's edit set: what the console shows and checks before it
changes anything.

A round is **closed** once the committee has decided it (the quorum approved or rejected) or the stage DAG has
applied the approval (its pairs are no longer ``proposed``). A closed round takes no edit, re-solve, accept or vote;
``reopen`` opens a decided round again (its votes are cleared) as long as the DAG has not applied it.

The **edit set** (table ``committee_edits``) is the committee's complete set of locks and forbids for the round:
every re-solve uses all of it (``resolve.what_if`` never builds on an earlier what-if). A swap is stored as the two
forbids and two locks it means, with ``via`` naming the swap, and is removed as a whole. Every change is checked with
:func:`mentorflow.committee.edits.check` first (each problem names the ids and the reason) and recorded in the audit
trail in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.committee import audit, quorum, voting
from mentorflow.committee.edits import CommitteeEdits, EditError, PairIds, check
from mentorflow.committee.resolve import current, rules_of
from mentorflow.store import Store, committee_edits, committee_votes, matches

KINDS = ("lock", "forbid", "swap")


class RoundIsClosed(ValueError):
    """The round is decided or applied: reopen it first (or it can no longer change here)."""


@dataclass(frozen=True)
class RoundState:
    outcome: quorum.Outcome
    applied: int  # pairs of the round the stage DAG has approved (status no longer 'proposed')

    @property
    def closed(self) -> bool:
        return self.outcome.decided or self.applied > 0

    @property
    def reopenable(self) -> bool:
        return self.outcome.decided and not self.applied

    @property
    def why_closed(self) -> str:
        if self.applied:
            return (f"the round's DAG has already approved its {self.applied} pairs: they can no longer be changed "
                    "in the console")
        if self.outcome.decided:
            return f"the committee has {self.outcome.state} this round ({self.outcome.reason}): reopen it first"
        return ""


def round_state(config: CohortConfig, store: Store, round_name: str) -> RoundState:
    with store.engine.connect() as conn:  # the same test as resolve's: a pair of the round no longer proposed
        applied = conn.execute(sa.select(sa.func.count()).select_from(matches).where(
            matches.c.cohort_id == config.cohort, matches.c.round == round_name,
            matches.c.status != "proposed")).scalar_one()
    return RoundState(voting.outcome(config, store, round_name), int(applied))


def refuse_if_closed(state: RoundState) -> None:
    if state.closed:
        raise RoundIsClosed(state.why_closed)


# -- the edit set --------------------------------------------------------------------------------

def edit_rows(store: Store, cohort: str, round_name: str) -> list[dict[str, Any]]:
    stmt = (sa.select(committee_edits).where(committee_edits.c.cohort_id == cohort, committee_edits.c.round == round_name)
            .order_by(committee_edits.c.edit_id))
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def edits_of(rows: list[dict[str, Any]]) -> CommitteeEdits:
    return CommitteeEdits(locks=tuple((r["mentor_id"], r["mentee_id"]) for r in rows if r["kind"] == "lock"),
                          forbids=tuple((r["mentor_id"], r["mentee_id"]) for r in rows if r["kind"] == "forbid"))


def parse_pair(text: str | None, field_name: str) -> PairIds:
    mentor, sep, mentee = (text or "").strip().partition(":")
    if not sep or not mentor.strip() or not mentee.strip():
        raise EditError([f"{field_name}: {text!r} is not a pair (mentor_id:mentee_id)"])
    return mentor.strip(), mentee.strip()


def planned_rows(kind: str, pair: PairIds, other: PairIds | None) -> list[dict[str, Any]]:
    """The rows one committee action adds (decide): a swap is two forbids (the proposed pairs) and two locks."""
    if kind not in KINDS:
        raise EditError([f"kind: {kind!r} is not one of {', '.join(KINDS)}"])
    if kind != "swap":
        return [{"kind": kind, "mentor_id": pair[0], "mentee_id": pair[1], "via": None}]
    if other is None:
        raise EditError(["with: a swap needs a second proposed pair"])
    via = f"swap {pair[0]}:{pair[1]} with {other[0]}:{other[1]}"
    return [{"kind": "forbid", "mentor_id": pair[0], "mentee_id": pair[1], "via": via},
            {"kind": "forbid", "mentor_id": other[0], "mentee_id": other[1], "via": via},
            {"kind": "lock", "mentor_id": pair[0], "mentee_id": other[1], "via": via},
            {"kind": "lock", "mentor_id": other[0], "mentee_id": pair[1], "via": via}]


def add_edit(config: CohortConfig, store: Store, round_name: str, actor: str, kind: str, pair: PairIds,
             other: PairIds | None = None) -> list[dict[str, Any]]:
    """Add a lock, forbid or swap to the round's edit set after checking the whole set with it; returns the rows
    added (none when the set already had them). :class:`EditError` names every problem; nothing is written."""
    refuse_if_closed(round_state(config, store, round_name))
    planned = planned_rows(kind, pair, other)
    existing = edit_rows(store, config.cohort, round_name)
    before = current(config, store, round_name)
    if kind == "swap":  # the pairs must be proposed now: check them as a swap (the named problem)
        check(CommitteeEdits(swaps=((pair, other),)), before, rules_of(config, store, round_name))
    have = {(r["kind"], r["mentor_id"], r["mentee_id"]) for r in existing}
    new = [r for r in planned if (r["kind"], r["mentor_id"], r["mentee_id"]) not in have]
    check(edits_of(existing + new), before, rules_of(config, store, round_name))
    if not new:
        return []
    now = dt.datetime.now(dt.timezone.utc)
    with store.begin() as conn:
        conn.execute(committee_edits.insert(), [{**r, "cohort_id": config.cohort, "round": round_name,
                                                 "added_by": actor, "added_at": now} for r in new])
        audit.record(store, config.cohort, round_name, actor, "edit",
                     {"added": [f"{r['kind']} {r['mentor_id']}:{r['mentee_id']}" for r in new],
                      **({"via": new[0]["via"]} if new[0]["via"] else {})}, conn=conn)
    return new


def remove_edit(config: CohortConfig, store: Store, round_name: str, actor: str, edit_id: int) -> list[str]:
    """Remove one edit (a swap: all four of its rows); returns what was removed (nothing when it was gone)."""
    refuse_if_closed(round_state(config, store, round_name))
    rows = edit_rows(store, config.cohort, round_name)
    target = next((r for r in rows if r["edit_id"] == edit_id), None)
    if target is None:
        return []
    gone = [r for r in rows if r["edit_id"] == edit_id or (target["via"] and r["via"] == target["via"])]
    with store.begin() as conn:
        conn.execute(committee_edits.delete().where(committee_edits.c.edit_id.in_([r["edit_id"] for r in gone])))
        removed = [f"{r['kind']} {r['mentor_id']}:{r['mentee_id']}" for r in gone]
        audit.record(store, config.cohort, round_name, actor, "edit", {"removed": removed}, conn=conn)
    return removed


# -- what the review page shows of it -----------------------------------------------------------

def votes_shown(store: Store, cohort: str, round_name: str) -> list[dict[str, Any]]:
    """The round's live votes with their comments, by reviewer."""
    stmt = (sa.select(committee_votes).where(committee_votes.c.cohort_id == cohort, committee_votes.c.round == round_name)
            .order_by(committee_votes.c.reviewer))
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def edits_shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per committee action: a swap's four rows are one line (removed together)."""
    shown, seen = [], set()
    for r in rows:
        if r["via"]:
            if r["via"] in seen:
                continue
            seen.add(r["via"])
            shown.append({"edit_id": r["edit_id"], "text": r["via"], "added_by": r["added_by"], "at": r["added_at"]})
        else:
            shown.append({"edit_id": r["edit_id"], "text": f"{r['kind']} {r['mentor_id']}:{r['mentee_id']}",
                          "added_by": r["added_by"], "at": r["added_at"]})
    return shown


def panel(config: CohortConfig, store: Store, round_name: str, user_id: str, proposal) -> dict[str, Any]:
    """What the review page's decision panel needs: the round's state, votes, edits, and the people and pairs its
    forms offer (by name and id)."""
    state = round_state(config, store, round_name)
    rules = rules_of(config, store, round_name)
    names = proposal.names
    symbiotic = rules.symbiotic

    def people_as(roles: tuple[str, ...]) -> list[dict[str, str]]:
        return sorted(({"id": pid, "name": names.get(pid, pid)} for pid, role in rules.roles.items()
                       if symbiotic or role in roles), key=lambda p: (p["name"], p["id"]))

    reviewers = config.committee.reviewers
    return {"state": state, "votes": votes_shown(store, config.cohort, round_name),
            "edits": edits_shown(edit_rows(store, config.cohort, round_name)),
            "may_vote": (not reviewers or user_id in reviewers) and not state.closed,
            "mentors": people_as(("mentor", "both")), "mentees": people_as(("mentee", "both")),
            "pairs": [{"value": f"{p.mentor_id}:{p.mentee_id}",
                       "label": f"{names.get(p.mentor_id, p.mentor_id)} ({p.mentor_id}) and "
                                f"{names.get(p.mentee_id, p.mentee_id)} ({p.mentee_id})"} for p in proposal.pairs]}
