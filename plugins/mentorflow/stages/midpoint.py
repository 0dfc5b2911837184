"""Midpoint stage: end at-risk pairs and pairs a partner asked to end, propose new partners for the
people freed (healthy pairs stay fixed, former partners are never paired again); after the
committee approves, activate the new pairs and tell everyone affected, and no one else.

The endings and the new proposal are decided first and written together in one transaction, so a
failed solve leaves the store as it was and a retry finds the same pairs to end. Once that transaction
is written the round is decided: a re-match run after it (a retry after a later step failed, a cleared
task) changes nothing, where it used to find no pair left to end and replace the open proposal with an
empty one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.matching import MatchResult, propose
from mentorflow.messaging import OutgoingEmail
from mentorflow.outcomes import health
from mentorflow.quality import stage_gates
from mentorflow.reports import matches as match_reports
from mentorflow.stages import waitlist
from mentorflow.stages.alternatives import ALTERNATIVE_ROUNDS
from mentorflow.stages.common import CohortRun, compose, partners_by_person, people_index, send
from mentorflow.stages.kickoff import introduction_contexts
from mentorflow.stages.match import approve_matches, committee_summary, match_input, write_proposal
from mentorflow.stages.pulse import assess_health
from mentorflow.store import Store, applications, matches, pair_health, pulse_responses, rematch_requests, unmatched

NOT_AVAILABLE = "not available for re-matching: no valid application, or no longer eligible"


@dataclass
class Rematch:
    """The midpoint's decision: which pairs end (and why), which stay, and the new proposal."""

    ending: dict[int, str]
    kept: list[dict[str, Any]]
    proposal: MatchResult


def assess_midpoint_health(run: CohortRun) -> dict[str, Any]:
    """Score the period running at the midpoint, so the decision sees the latest answers."""
    if not calendar.pulse_dates(run.config):
        return {"assessed": 0, "note": "no pulse periods"}
    return assess_health(run, calendar.pulse_period(run.config, run.moment))


def rematch(run: CohortRun) -> dict[str, Any]:
    if decided_before(run):
        return already_decided(run)
    decision = decide_rematch(run)
    apply_rematch(run, decision)
    report = match_reports.write_match_report(run.config, run.store, "midpoint")
    notes = decision.proposal.notes
    return {"ended": len(decision.ending), "kept": len(decision.kept), "new_pairs": len(decision.proposal.pairs),
            "still_unmatched": len(decision.proposal.unmatched), "report": str(report),
            "committee_text": committee_summary(run.config, run.store, "midpoint", notes)}


def decided_before(run: CohortRun) -> bool:
    """Whether the midpoint round was written: pairs ended, new pairs proposed or mentees left unmatched
    (a round that ended pairs always leaves one of the latter two; only the midpoint ends pairs)."""
    store, c = run.store, run.cohort
    return bool(store.count(matches, cohort_id=c, status="ended") or store.count(matches, cohort_id=c, round="midpoint")
                or store.count(unmatched, cohort_id=c, round="midpoint"))


def already_decided(run: CohortRun) -> dict[str, Any]:
    """The summary of a re-match run after the round was decided, read from the store: nothing changes."""
    pairs = run.store.rows(matches, cohort_id=run.cohort)
    ended = sum(1 for m in pairs if m["status"] == "ended")
    live = ("proposed", "approved", "active")
    note = f"the midpoint round was already decided ({ended} pairs ended); this run changed nothing"
    return {"ended": ended,
            "kept": sum(1 for m in pairs if m["status"] == "active" and m["round"] != "midpoint"),
            "new_pairs": sum(1 for m in pairs if m["round"] == "midpoint" and m["status"] in live),
            "still_unmatched": run.store.count(unmatched, cohort_id=run.cohort, round="midpoint"),
            "report": str(match_reports.write_match_report(run.config, run.store, "midpoint")), "unchanged": True,
            "committee_text": committee_summary(run.config, run.store, "midpoint", [note])}


def latest_assessed_period(store: Store, cohort: str) -> str | None:
    periods = {r["period"] for r in store.rows(pair_health, cohort_id=cohort)}
    return max(periods, key=calendar.period_number) if periods else None


def pairs_to_end(run: CohortRun) -> dict[int, str]:
    """Active pairs at risk in the latest assessed period, or that a partner asked to end (in a pulse
    answer or through the re-match request form), with the reason."""
    store = run.store
    period = latest_assessed_period(store, run.cohort)
    states = {r["match_id"]: r["state"] for r in store.rows(pair_health, cohort_id=run.cohort, period=period)} if period else {}
    wants_end = {r["match_id"] for r in store.rows(pulse_responses, cohort_id=run.cohort) if r["wants_end"]}
    wants_end |= {r["match_id"] for r in store.rows(rematch_requests, cohort_id=run.cohort)}
    ending = {}
    for pair in store.rows(matches, cohort_id=run.cohort, status="active"):
        if pair["match_id"] in wants_end:
            ending[pair["match_id"]] = "partner asked to end"
        elif states.get(pair["match_id"]) == health.AT_RISK:
            ending[pair["match_id"]] = f"at risk in {period}"
    return ending


def decide_rematch(run: CohortRun) -> Rematch:
    """Which active pairs end, and new partners for everyone they free (healthy pairs stay as they are).

    Everyone an ending leaves without a partner is either in a new pair or in the round's unmatched
    list with a reason, in every program type: in a symbiotic cohort both partners look for a new one;
    otherwise the mentee does, and a mentor left without mentees is offered to them or told why not."""
    ending = pairs_to_end(run)
    active = run.store.rows(matches, cohort_id=run.cohort, status="active")
    return solve_rematch(run, ending, [m for m in active if m["match_id"] not in ending],
                         [m for m in active if m["match_id"] in ending])


def redecide_rematch(run: CohortRun, *, locks: list[tuple[str, str]] = (),
                     forbids: list[tuple[str, str]] = ()) -> Rematch:
    """The decided round solved again with the committee's locks and forbids (a what-if: nothing is
    written, not even the quarantine): the pairs it ended stay ended, the pairs it kept stay kept."""
    rows = run.store.rows(matches, cohort_id=run.cohort)
    ended = [m for m in rows if m["status"] == "ended"]
    return solve_rematch(run, {m["match_id"]: m["end_reason"] for m in ended},
                         [m for m in rows if m["status"] == "active"], ended, locks=locks, forbids=forbids,
                         record=False)


def solve_rematch(run: CohortRun, ending: dict[int, str], kept: list[dict[str, Any]], ended: list[dict[str, Any]],
                  *, locks: list[tuple[str, str]] = (), forbids: list[tuple[str, str]] = (),
                  record: bool = True) -> Rematch:
    """New partners for everyone the ``ended`` pairs free, the ``kept`` pairs fixed (decide: no pair written)."""
    store = run.store
    partnered = {p for m in kept for p in (m["mentor_id"], m["mentee_id"])}
    freed = {p for m in ended for p in (m["mentor_id"], m["mentee_id"])} - partnered
    symbiotic = run.config.program_type.value == "symbiotic"
    seekers = freed if symbiotic else {m["mentee_id"] for m in ended} - {m["mentee_id"] for m in kept}
    # every pair of the cohort so far, but the round's own open proposal (a committee re-solve)
    former = {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=run.cohort)
              if not (m["round"] == "midpoint" and m["status"] == "proposed")}
    # the waitlist first, longest-waiting first, then the people freed (docs/waitlist.md); every pair
    # gives a seeker a partner; everyone else keeps theirs
    rows = waitlist.waiting_rows(store, run.cohort)
    first = waitlist.priority_groups(rows)
    fixed = [(m["mentor_id"], m["mentee_id"]) for m in kept
             if m["round"] not in ALTERNATIVE_ROUNDS]  # hook: circles, async use no 1:1 room
    waiting = waitlist.unpartnered(rows, fixed)
    inp = match_input(run.config, store, moment=run.moment, seekers=seekers, fixed_pairs=fixed, priority=first)
    inp.forbidden_pairs |= former | set(forbids)
    inp.locked_pairs = [*inp.locked_pairs, *locks]
    result = propose(inp)
    result.unmatched = result.unmatched[result.unmatched["employee_id"].isin(freed | seekers)]
    result = waitlist.still_waiting(result, waiting - freed - seekers, "partner" if symbiotic else "mentee")
    result = stage_gates.check_proposal(run.config, store, result, inp, to_place=seekers | waiting, record=record)
    missing = not_available(result, freed | seekers, seekers, symbiotic)
    if len(missing):
        result.unmatched = pd.concat([result.unmatched, missing], ignore_index=True)
    return Rematch(ending=ending, kept=kept, proposal=result)


def not_available(result: MatchResult, accounted: set[str], seekers: set[str], symbiotic: bool) -> pd.DataFrame:
    """Unmatched rows for the freed people the matcher could not consider (no valid application, or no
    longer eligible), so that nobody an ending frees goes unaccounted for."""
    placed = set(result.pairs["mentor_id"]) | set(result.pairs["mentee_id"]) | set(result.unmatched["employee_id"])
    return pd.DataFrame([(e, "partner" if symbiotic else "mentee" if e in seekers else "mentor", NOT_AVAILABLE)
                         for e in sorted(accounted - placed)], columns=["employee_id", "role", "reason"])


def apply_rematch(run: CohortRun, decision: Rematch) -> None:
    """End the pairs and store the new proposal in one transaction."""
    with run.store.begin() as conn:
        for match_id, why in decision.ending.items():
            conn.execute(matches.update().where(matches.c.match_id == match_id, matches.c.status == "active")
                         .values(status="ended", ended_at=run.moment, end_reason=why))
        write_proposal(conn, run, "midpoint", decision.proposal)


def activate_rematches(run: CohortRun) -> dict[str, Any]:
    """Activate approved midpoint pairs and tell everyone affected (and no one else)."""
    approve_matches(run, "midpoint")  # this step runs only once the committee approved the round
    store = run.store
    everyone = people_index(store, run.cohort)
    apps = {a["employee_id"]: a for a in store.rows(applications, cohort_id=run.cohort)}
    new_pairs = store.rows(matches, cohort_id=run.cohort, round="midpoint", status="approved")
    messages = midpoint_notices(run.config, store.rows(matches, cohort_id=run.cohort, status="ended"),
                                store.rows(matches, cohort_id=run.cohort, status="active"), new_pairs,
                                everyone, apps)
    counts = send(run, messages)
    with store.begin() as conn:
        conn.execute(matches.update().where(matches.c.cohort_id == run.cohort, matches.c.round == "midpoint",
                                            matches.c.status == "approved").values(status="active"))
    return {"activated": len(new_pairs), "notified": len(messages), **counts}


def midpoint_notices(config: CohortConfig, ended: list[dict[str, Any]], kept: list[dict[str, Any]],
                     new_pairs: list[dict[str, Any]], everyone: dict, apps: dict) -> list[OutgoingEmail]:
    """One ``rematch`` email per person whose partnership ended or who gains a partner (decide: no I/O).

    Whoever's partnership ended is told which one (the partner's name, never the reason) and what comes
    next: their new partner, the partners they keep, or, when neither, that the program team will be in
    touch. A person who only gains a partner gets the introduction; people whose pairs go on untouched
    hear nothing.
    """
    intros = introduction_contexts(config, new_pairs, everyone, apps)
    ended_with, continuing = partners_by_person(ended), partners_by_person(kept)
    # the partnership page's link only to whoever still has (or gains) a partnership to open
    return [compose(config, everyone[me], "rematch", "midpoint", partnered=me in intros or me in continuing,
                    **intros.get(me, {"partners": [], "my_goals": None, "my_goals_shared": False, "resources": []}),
                    ended=[everyone[p] for p in ended_with.get(me, [])],
                    continuing=[everyone[p] for p in continuing.get(me, [])])
            for me in sorted(set(intros) | set(ended_with))]
