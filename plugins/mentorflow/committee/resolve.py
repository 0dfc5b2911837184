"""Re-solve with a diff: the committee tries locks, forbids and swaps on the initial or midpoint round
(:func:`what_if`, nothing written), compares (:func:`diff`) and accepts (:func:`accept`, one transaction).

The solve and the write are the match stage's own (``decide_initial`` / ``redecide_rematch`` and
``write_proposal``): a re-solved proposal is what the stage would have proposed with those edits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.committee import audit, voting
from mentorflow.committee.diff import Pair, Proposal, ProposalDiff, Unplaced, diff
from mentorflow.committee.edits import CommitteeEdits, EditError, Rules, check, unmet_locks
from mentorflow.matching import MatchResult
from mentorflow.reports import matches as match_reports
from mentorflow.roster.eligibility import reporting_chain
from mentorflow.stages import match, midpoint
from mentorflow.stages.common import CohortRun
from mentorflow.store import Store, applications, matches, people, unmatched

__all__ = ["CommitteeEdits", "EditError", "Proposal", "ProposalChanged", "ProposalDiff", "RoundClosed", "accept", "current", "diff",
           "what_if"]
ROUNDS = ("initial", "midpoint")


class RoundClosed(ValueError):
    """The round cannot be re-solved now (approved already, or not proposed yet)."""


class ProposalChanged(ValueError):
    """The round's proposal is no longer the one the re-solve was compared with."""


def what_if(config: CohortConfig, store: Store, round_name: str, edits: CommitteeEdits) -> Proposal:
    """The round solved again with ``edits`` (on top of the cohort YAML's locks and forbids), written
    nowhere. Bad edits raise :class:`EditError` naming each id and reason; a closed round :class:`RoundClosed`."""
    before = current(config, store, round_name)
    with store.engine.connect() as conn:
        refuse_closed(conn, config.cohort, round_name)
        refuse_approved(conn, config, round_name)
    locks, forbids = check(edits, before, rules_of(config, store, round_name))
    run = CohortRun(config, store, before.moment or config.at(dt.datetime.now(dt.timezone.utc)), run_id="what-if")
    if round_name == "initial":
        result = match.decide_initial(run, locks=locks, forbids=forbids, record=False)
    else:
        result = midpoint.redecide_rematch(run, locks=locks, forbids=forbids).proposal
    made = set(zip(result.pairs["mentor_id"], result.pairs["mentee_id"]))
    problems = unmet_locks(locks, made, result.notes)
    if problems:
        raise EditError(problems)
    return from_result(config, store, round_name, result, run.moment)


def accept(config: CohortConfig, store: Store, round_name: str, after: Proposal, actor: str, *,
           before: Proposal | None = None) -> dict[str, Any]:
    """Make ``after`` (from :func:`what_if`) the round's open proposal, in one transaction, with the match
    stage's own write. Accepting the proposal the round already has changes nothing; an approved round
    is refused (reopen first). ``before``: the proposal the reviewer compared against; if the round's
    proposal changed since (another reviewer accepted a re-solve), :class:`ProposalChanged`."""
    if after.cohort != config.cohort or after.round != round_name or not isinstance(after.result, MatchResult):
        raise ValueError(f"accept: the proposal is not a re-solve of {config.cohort}'s {round_name} round "
                         "(use what_if's result)")
    run = CohortRun(config, store, after.moment, run_id=f"committee:{actor}")
    changed = False
    with store.begin() as conn:
        voting.lock_cohort(conn, config.cohort)  # a vote deciding the round meanwhile waits, or is waited for
        refuse_closed(conn, config.cohort, round_name)
        refuse_approved(conn, config, round_name)
        now = current(config, store, round_name, conn=conn)
        if before is not None and not now.same_as(before) and not now.same_as(after):
            raise ProposalChanged(f"the {round_name} proposal changed since this re-solve was compared: "
                                  "re-solve again")
        if not now.same_as(after):
            match.write_proposal(conn, run, round_name, after.result)
            changed = True
            change = diff(now, after)
            audit.record(store, config.cohort, round_name, actor, "resolve",  # with the proposal, or not at all
                         {"pairs": len(after.pairs), "unmatched": len(after.unmatched),
                          "added": [f"{p.mentor_id}:{p.mentee_id}" for p in change.added],
                          "removed": [f"{p.mentor_id}:{p.mentee_id}" for p in change.removed]}, conn=conn)
    if changed:  # the committee's report shows the proposal now open
        match_reports.write_match_report(config, store, round_name)
    return {"round": round_name, "changed": changed, "pairs": len(after.pairs), "unmatched": len(after.unmatched),
            "objective": after.objective, "actor": actor}


def refuse_closed(conn: sa.Connection, cohort: str, round_name: str) -> None:
    if round_name not in ROUNDS:
        raise ValueError(f"round {round_name!r}: the committee re-solves {' or '.join(ROUNDS)}")
    in_round = sa.and_(matches.c.cohort_id == cohort, matches.c.round == round_name)
    approved = conn.execute(sa.select(sa.func.count()).select_from(matches)
                            .where(in_round, matches.c.status != "proposed")).scalar_one()
    if approved:
        raise RoundClosed(f"the {round_name} round is already approved ({approved} pairs): reopen first")
    if round_name == "midpoint":
        ended = conn.execute(sa.select(sa.func.count()).select_from(matches).where(
            matches.c.cohort_id == cohort, matches.c.status == "ended")).scalar_one()
        open_rows = conn.execute(sa.select(sa.func.count()).select_from(matches).where(in_round)).scalar_one()
        left = conn.execute(sa.select(sa.func.count()).select_from(unmatched).where(
            unmatched.c.cohort_id == cohort, unmatched.c.round == round_name)).scalar_one()
        if not (ended or open_rows or left):
            raise RoundClosed("the midpoint round has not been proposed yet: run the re-match first")


def refuse_approved(conn: sa.Connection, config: CohortConfig, round_name: str) -> None:
    """Once the committee's votes approved the round, the DAG activates the proposal as it is when its approval
    step goes on: replacing it then would activate pairs nobody approved."""
    tally = voting.outcome(config, None, round_name, conn=conn)
    if tally.state == "approved":
        raise RoundClosed(f"the committee approved the {round_name} round ({tally.reason}): it is activated as "
                          "approved; reopen first")


def current(config: CohortConfig, store: Store, round_name: str, *, conn: sa.Connection | None = None) -> Proposal:
    """The round's open proposal as stored (inside ``conn``'s transaction when given)."""
    def select(table, **where):
        stmt = sa.select(table).where(*(table.c[k] == v for k, v in where.items()))
        if conn is not None:
            return [dict(r._mapping) for r in conn.execute(stmt)]
        with store.engine.connect() as own:
            return [dict(r._mapping) for r in own.execute(stmt)]

    rows = select(matches, cohort_id=config.cohort, round=round_name, status="proposed")
    left = select(unmatched, cohort_id=config.cohort, round=round_name)
    roles = {a["employee_id"]: a["role"] for a in select(applications, cohort_id=config.cohort)}
    names = {p["employee_id"]: p["full_name"] for p in select(people, cohort_id=config.cohort)}
    stamps = [r["created_at"] for r in rows if r["created_at"] is not None]
    moment = max(stamps) if stamps else None
    if moment is not None and moment.tzinfo is None:  # SQLite gives the stored UTC time without its zone
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return Proposal(config.cohort, round_name,
                    tuple(sorted(Pair(r["mentor_id"], r["mentee_id"], round(float(r["score"]), 4)) for r in rows)),
                    tuple(sorted(Unplaced(u["employee_id"], roles.get(u["employee_id"]) or "", u["reason"] or "")
                                 for u in left)),
                    names=names, moment=moment)


def from_result(config: CohortConfig, store: Store, round_name: str, result: MatchResult,
                moment: dt.datetime) -> Proposal:
    roles = {a["employee_id"]: a["role"] for a in store.rows(applications, cohort_id=config.cohort)}
    names = {p["employee_id"]: p["full_name"] for p in store.rows(people, cohort_id=config.cohort)}
    left = result.unmatched
    given = left["role"] if "role" in left.columns else pd.Series([None] * len(left), index=left.index)
    return Proposal(config.cohort, round_name,
                    tuple(sorted(Pair(str(m), str(e), round(float(s), 4))
                                 for m, e, s in zip(result.pairs["mentor_id"], result.pairs["mentee_id"],
                                                    result.pairs["score"]))),
                    tuple(sorted(Unplaced(str(e), r if isinstance(r, str) else roles.get(e) or "", str(why))
                                 for e, r, why in zip(left["employee_id"], given, left["reason"]))),
                    names=names, notes=tuple(result.notes), result=result, moment=moment)


def rules_of(config: CohortConfig, store: Store, round_name: str) -> Rules:
    """What the static edit checks need, read from the store the way the match stage reads it."""
    rules = config.matching.rules
    roster = store.frame(people, cohort_id=config.cohort)
    eligible = set(roster.loc[roster["eligible"].astype(bool), "employee_id"]) if len(roster) else set()
    roles = {a["employee_id"]: a["role"] for a in store.rows(applications, cohort_id=config.cohort, status="valid")
             if a["employee_id"] in eligible}
    former = match.previous_pairs(config, store)
    if round_name == "midpoint":  # partners earlier in this cohort are never paired again
        former |= {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort)
                   if not (m["round"] == "midpoint" and m["status"] == "proposed")}
    chains = reporting_chain(roster) if rules.forbid_reporting_line and len(roster) else {}
    return Rules(roles, chains, former, {tuple(p) for p in config.matching.forbids},
                 config.program_type.value == "symbiotic", int(rules.mentors_per_mentee))
