"""Match stage: score and pair the valid applicants, gate the proposal, write the committee's report;
after the committee's answer, re-solve with its locks and forbids or approve.

load: :func:`match_input` (the cohort's people, valid applications, former pairs) ·
decide: :func:`mentorflow.matching.propose` and the matches gate · apply: :func:`replace_proposal`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from mentorflow import settings
from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.disclosure import MIN_CELL
from mentorflow.matching import COMPONENTS, MatchInput, MatchResult, committee, propose
from mentorflow.quality import stage_gates
from mentorflow.reports import coverage, coverage_view
from mentorflow.reports import matches as match_reports
from mentorflow.stages import groups, selection_locks, waitlist
from mentorflow.outcomes.discovery import past_cohorts
from mentorflow.stages.common import CohortRun
from mentorflow.store import Store, applications, evaluations, match_certificates, matches, people, unmatched

PAIRED_BEFORE = ("active", "ended", "completed")
WELL_RATED = 4  # a mentee's close-out satisfaction and goals met, each of 5, at or above this


def match_input(config: CohortConfig, store: Store, **extra: Any) -> MatchInput:
    """Everything the matcher needs, read from the store: eligible people, valid applications, the
    cohort's rules, the pairs of earlier cohorts that must not repeat, and each mentor's well-rated past pairs."""
    roster = store.frame(people, cohort_id=config.cohort)
    return MatchInput(
        program_type=config.program_type.value, rules=config.matching.rules,
        people=roster[roster["eligible"].astype(bool)],
        applications=store.frame(applications, cohort_id=config.cohort, status="valid"),
        previous_pairs=previous_pairs(config, store), roster=roster, weights=config.matching.weights,
        forbidden_pairs={tuple(p) for p in config.matching.forbids},
        locked_pairs=[tuple(p) for p in config.matching.locks], affinity=config.matching.affinity,
        mentor_history=mentor_history(past_cohorts(config, store), store), **extra,
    )


def previous_pairs(config: CohortConfig, store: Store) -> set[tuple[str, str]]:
    if not config.matching.rules.forbid_repeat_pairs or not config.previous_cohorts:
        return set()
    stmt = sa.select(matches.c.mentor_id, matches.c.mentee_id).where(
        matches.c.cohort_id.in_(config.previous_cohorts), matches.c.status.in_(PAIRED_BEFORE))
    with store.engine.connect() as conn:
        return {tuple(r) for r in conn.execute(stmt)}


def mentor_history(cohorts: list[str], store: Store) -> dict[str, int]:
    """Per mentor, the completed pairs of ``cohorts`` whose mentee's close-out evaluation gave satisfaction
    and goals met of at least WELL_RATED: experience a first-time mentee can count on."""
    if not cohorts:
        return {}
    rated = evaluations.c.cohort_id == matches.c.cohort_id, evaluations.c.employee_id == matches.c.mentee_id
    stmt = (sa.select(matches.c.mentor_id, sa.func.count()).select_from(matches.join(evaluations, sa.and_(*rated)))
            .where(matches.c.cohort_id.in_(cohorts), matches.c.status == "completed",
                   evaluations.c.satisfaction >= WELL_RATED, evaluations.c.goals_met >= WELL_RATED)
            .group_by(matches.c.mentor_id))
    with store.engine.connect() as conn:
        return {str(mentor): int(count) for mentor, count in conn.execute(stmt)}


def approved_pairs(store: Store, cohort: str, round_name: str) -> int:
    """How many pairs of the round the committee approved (whatever became of them since)."""
    stmt = sa.select(sa.func.count()).select_from(matches).where(
        matches.c.cohort_id == cohort, matches.c.round == round_name, matches.c.status != "proposed")
    with store.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def propose_matches(run: CohortRun, *, locks: list[tuple[str, str]] = (),
                    forbids: list[tuple[str, str]] = ()) -> dict[str, Any]:
    """Propose the initial round; ``locks``/``forbids`` are the committee's additions to the YAML's.

    Once the committee approved the round, a run (validate ran again and re-emitted its asset, a
    task was cleared, a late Re-solve) changes nothing and says so: a second proposal would be
    approved and activated next to the first, and everyone would have two partners.
    """
    approved = approved_pairs(run.store, run.cohort, "initial")
    if approved:
        return already_approved(run, approved)
    result = decide_initial(run, locks=locks, forbids=forbids)
    replace_proposal(run, "initial", result)
    report = match_reports.write_match_report(run.config, run.store, "initial")
    summary = {"pairs": len(result.pairs), "unmatched": len(result.unmatched),
               "mean_score": round(float(result.pairs["score"].mean()), 4) if len(result.pairs) else 0.0,
               "notes": result.notes, "report": str(report)}
    return {**summary, "committee_text": committee_summary(run.config, run.store, "initial", result.notes)}


@dataclass
class InitialRound:
    """What the initial round decides from (load): the matcher's one request, with the committee's and the
    mentees' locks and the waitlist's priority in it, and the rows the committee's notes count."""
    request: MatchInput
    chosen: list[tuple[str, str]]  # self-selected pairs (locked in ``request``)
    waiting: list[dict[str, Any]]  # waitlist rows (``request.priority``)


def initial_round(run: CohortRun, *, locks: list[tuple[str, str]] = (),
                  forbids: list[tuple[str, str]] = ()) -> InitialRound:
    """Load the initial round: the cohort's YAML settings, the store's people and applications, the accepted
    self-selection requests (locks), the committee's ``locks``/``forbids`` and the carried-in waitlist
    (matched first, docs/waitlist.md), as one plain request for the matcher."""
    chosen = selection_locks.chosen_pairs(run.config, run.store)  # self-selection: accepted requests are locks
    waiting = waitlist.waiting_rows(run.store, run.cohort)
    first = waitlist.priority_groups(waiting)
    request = match_input(run.config, run.store, moment=run.moment, priority=first)
    request.locked_pairs = [*request.locked_pairs, *chosen, *locks]
    request.forbidden_pairs = request.forbidden_pairs | set(forbids)
    return InitialRound(request=request, chosen=chosen, waiting=waiting)


def decide_initial(run: CohortRun, *, locks: list[tuple[str, str]] = (), forbids: list[tuple[str, str]] = (),
                   record: bool = True) -> MatchResult:
    """The initial round's proposal (decide: reads the store, writes no pair). ``record=False`` (the
    committee's what-if) also leaves the data-quality quarantine and report alone. The round's settings go
    down one chain: :func:`initial_round` builds the request, :func:`mentorflow.matching.propose` carries it
    to the solver."""
    loaded = initial_round(run, locks=locks, forbids=forbids)
    proposal = propose(loaded.request)
    proposal.notes = [*waitlist.carried_note(loaded.waiting, proposal), *proposal.notes]
    result = stage_gates.check_proposal(run.config, run.store, proposal, loaded.request, record=record)
    selection_locks.mark_chosen(result, loaded.chosen)
    return result


def already_approved(run: CohortRun, approved: int) -> dict[str, Any]:
    """The summary of a match run after approval: nothing proposed, nothing changed."""
    note = (f"the initial round was already approved ({approved} pairs); this run changed nothing: approving "
            "again changes nothing, and a re-solve is no longer possible")
    pairs = [m for m in run.store.rows(matches, cohort_id=run.cohort, round="initial") if m["status"] != "proposed"]
    report = match_reports.write_match_report(run.config, run.store, "initial")
    return {"pairs": approved, "unmatched": run.store.count(unmatched, cohort_id=run.cohort, round="initial"),
            "mean_score": round(sum(m["score"] for m in pairs) / len(pairs), 4), "notes": [note],
            "report": str(report), "unchanged": True,
            "committee_text": committee_summary(run.config, run.store, "initial", [note])}


def resolve_matches(run: CohortRun, response: dict[str, Any] | None) -> dict[str, Any]:
    """Solve the initial round again with the locks and forbids the committee entered (before approval;
    after it, nothing changes)."""
    locks, forbids, problems = committee.requested_changes(response)
    summary = propose_matches(run, locks=locks, forbids=forbids)
    if summary.get("unchanged"):
        return summary
    summary["notes"] = problems + summary["notes"]
    summary["committee_text"] = committee_summary(run.config, run.store, "initial", summary["notes"])
    return {**summary, "committee_locks": [list(p) for p in locks], "committee_forbids": [list(p) for p in forbids]}


def proposal_rows(run: CohortRun, round_name: str, result: MatchResult) -> tuple[list[dict], list[dict]]:
    """The ``matches`` and ``unmatched`` rows of a proposal (decide: no I/O)."""
    # each of a mentee's mentors takes the next slot (1 with one mentor per mentee; see store.tables)
    slots = result.pairs.groupby("mentee_id").cumcount() + 1 if len(result.pairs) else []
    pairs = [
        {"cohort_id": run.cohort, "round": round_name, "mentor_id": r.mentor_id, "mentee_id": r.mentee_id,
         "score": float(r.score), "explanation": r.explanation, "status": "proposed", "created_at": run.moment,
         "mentor_slot": int(slot),
         "components_json": json.dumps({c: round(float(getattr(r, c)), 4) for c in COMPONENTS
                                        if c in result.pairs.columns})}
        for r, slot in zip(result.pairs.itertuples(), slots)
    ]
    left = [{"cohort_id": run.cohort, "round": round_name, "employee_id": r.employee_id, "reason": r.reason}
            for r in result.unmatched.itertuples()]
    return pairs, left


def replace_proposal(run: CohortRun, round_name: str, result: MatchResult) -> None:
    """Replace the round's open proposal (and its unmatched list) in one transaction."""
    with run.store.begin() as conn:
        write_proposal(conn, run, round_name, result)


def write_proposal(conn: sa.Connection, run: CohortRun, round_name: str, result: MatchResult) -> None:
    """Inside the caller's transaction: the round's open proposal and unmatched list become ``result``."""
    pairs, left = proposal_rows(run, round_name, result)
    conn.execute(matches.delete().where(matches.c.cohort_id == run.cohort, matches.c.round == round_name,
                                        matches.c.status == "proposed"))
    conn.execute(unmatched.delete().where(unmatched.c.cohort_id == run.cohort, unmatched.c.round == round_name))
    pairs = groups.with_group_ids(conn, run.config, pairs)  # group cohorts: one id per mentor's group
    if pairs:
        conn.execute(matches.insert(), pairs)
    if left:
        conn.execute(unmatched.insert(), left)
    conn.execute(match_certificates.delete().where(match_certificates.c.cohort_id == run.cohort,
                                                   match_certificates.c.round == round_name))
    cert = result.stats.get("certificate")
    if cert is not None:  # the committee report shows what pruning could have cost (timings vary: left out)
        stored = json.dumps({k: v for k, v in cert.items() if k != "seconds"})
        conn.execute(match_certificates.insert(), [{"cohort_id": run.cohort, "round": round_name,
                                                    "certificate_json": stored, "created_at": run.moment}])


def committee_summary(config: CohortConfig, store: Store, round_name: str = "initial", notes: list[str] = ()) -> str:
    """The text the committee reads in the approval step (with fairness flags, the pruning certificate and
    unmet locks)."""
    proposed = store.rows(matches, cohort_id=config.cohort, round=round_name, status="proposed")
    left = store.rows(unmatched, cohort_id=config.cohort, round=round_name)
    scores = [m["score"] for m in proposed]
    apps = store.rows(applications, cohort_id=config.cohort)
    roles = {a["employee_id"]: a["role"] for a in apps}
    roster = store.frame(people, cohort_id=config.cohort)
    context = match_reports.match_report_context(config, round_name, proposed, left, roster, roles, apps,
                                                 certificate=match_reports.stored_certificate(store, config.cohort,
                                                                                              round_name),
                                                 held=coverage.held_pairs(store, config.cohort))
    audit, asked = context["audit"], context["affinity"]
    lines = [
        f"**{config.name}** ({round_name} round): {len(proposed)} proposed pairs, {len(left)} unmatched.",
        f"Mean score {sum(scores) / len(scores):.3f}, lowest {min(scores):.3f}." if scores else "No pairs proposed.",
        *[f"Fairness: {flag}" for flag in audit.flags],
        *([(f"Affinity: {asked['got']} of {asked['asked']} people who asked for a partner from their own network "
            f"have one (counts under {MIN_CELL} are suppressed).")] if asked else []),
        *[line for line in (coverage_view.committee_line(context["coverage"]),) if line],
        f"Pruning: {context['certificate']}.",
        *[f"Note: {note}" for note in notes],
        f"Full report: {settings.reports_dir(config.cohort) / f'matches-{round_name}.html'}",
        "Re-solve: enter pairs as mentor_id:mentee_id;... in locks (must pair) or forbids (never pair).",
    ]
    return "\n\n".join(lines)


def approve_matches(run: CohortRun, round_name: str = "initial") -> dict[str, Any]:
    """The committee approved: the round's proposed pairs become approved."""
    with run.store.begin() as conn:
        done = conn.execute(matches.update().where(matches.c.cohort_id == run.cohort, matches.c.round == round_name,
                                                   matches.c.status == "proposed").values(status="approved"))
        placed = waitlist.place_approved(conn, run.cohort, round_name, run.moment)  # waiting people now paired
    return {"approved": done.rowcount, **({"waitlist_placed": placed} if placed else {})}
