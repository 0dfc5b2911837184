"""The gates as the pipeline calls them: one function per hand-off, returning what may go on.

Each reads its input, builds the batches (:mod:`.suites`), runs the gate (:mod:`.gate`) and
returns the rows that passed; hard failures have already raised ``GateFailure`` by then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.affinity import COLUMNS as AFFINITY
from mentorflow.contract.columns import TIPI
from mentorflow.contract.workspace import GATE as WORKSPACE
from mentorflow.contract.workspace import members_by_space
from mentorflow.errors import GateFailure, UnreadableFile
from mentorflow.quality import pair_suites, selection_suites, suites, workspace_suites
from mentorflow.quality.gate import run_gate
from mentorflow.quality.quarantine import without_held
from mentorflow.quality.reader import read_csv
from mentorflow.quality.results import GateResult
from mentorflow.roster.eligibility import admitted
from mentorflow.store import (
    Store,
    agreements,
    applications,
    evaluations,
    goals,
    matches,
    meeting_log,
    milestones,
    people,
    recommendations,
    resource_feedback,
    selection_requests,
)


def _read(path: Path, gate: str):
    try:
        return read_csv(path)
    except UnreadableFile as exc:
        raise GateFailure(f"{gate} gate failed (hard): {exc}") from None


def held_count(result: GateResult) -> int:
    return len({(p.batch, p.row) for p in result.problems})


def check_roster(config: CohortConfig, store: Store,
                 path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], GateResult]:
    """The roster rows that passed the roster gate, typed for the ``people`` table; and the held rows'
    identity and manager link (with ``held_by``, the checks that held them): the hard rules need every
    reporting line the HRIS gives, whatever else is wrong with a row."""
    frame, header = _read(path, "roster")
    batch = suites.roster_batch(frame, header, config)
    result = run_gate(config, store, "roster", [batch], complete=True)
    is_held = batch.frame["_row"].isin(result.held_rows("roster"))
    good = batch.frame[~is_held]
    if good.empty:
        raise GateFailure(f"roster gate failed: none of the {len(frame)} rows of {path} passed; see {result.report}")
    held_by: dict[int, set[str]] = {}
    for problem in result.problems:
        if problem.batch == batch.name:
            held_by.setdefault(problem.row, set()).add(problem.check)
    return suites.roster_records(good), suites.held_roster_links(batch.frame[is_held], held_by), result


def admitted_ids(store: Store, cohort: str) -> set[str]:
    """The people of the cohort's roster whose rows passed the roster gate (or that ops released)."""
    roster = store.frame(people, cohort_id=cohort)
    return set(roster.loc[admitted(roster), "employee_id"]) if len(roster) else set()


def check_intake(config: CohortConfig, store: Store, path: Path) -> tuple[list[dict[str, Any]], GateResult]:
    """The applications of a CSV that passed the intake gate, typed for the ``applications`` table."""
    frame, header = _read(path, "intake")
    # the affinity answers never reach quarantine rows or the data-quality report; they rejoin the rows
    # that passed, and the intake stage keeps the network only with consent (contract.affinity.consented)
    private = {c: frame.pop(c) for c in AFFINITY if c in frame}
    batch = suites.intake_batch(frame, header, admitted_ids(store, config.cohort))
    result = run_gate(config, store, "intake", [batch], complete=True)
    good = batch.frame[~batch.frame["_row"].isin(result.held_rows("applications"))]
    records = suites.application_records(good)
    # plain dictionaries: a pandas lookup per record and column cost seconds on a company's applications
    answers = {c: {i: None if pd.isna(v) else v for i, v in zip(values.index, values.tolist())}
               for c, values in private.items()}
    for record, i in zip(records, good.index):
        record.update({c: values.get(i) for c, values in answers.items()})
    return records, result


# what the checks read of a stored application (the other answers are read for the rows held only)
APPLICATIONS_READ = ["employee_id", "role", "skills_offered", "skills_wanted", "goals", *TIPI, "capacity",
                     "hours_per_month", "async_budget", "status"]


def check_applications(config: CohortConfig, store: Store) -> dict[str, Any]:
    """Mark every stored application valid or quarantined (rejected ones stay rejected).

    Returns counts, the report and ``incomplete``: who was held for missing answers (gap-fill).
    """
    apps = store.frame(applications, columns=APPLICATIONS_READ, cohort_id=config.cohort)
    undecided = apps[apps["status"] != "rejected"]
    # the roster rows of the applicants only (the batch joins them to the applications; nobody else counts)
    applied = sa.select(applications.c.employee_id).where(applications.c.cohort_id == config.cohort)
    roster = store.select_frame(sa.select(*(people.c[c] for c in suites.ROSTER_READ))
                                .where(people.c.cohort_id == config.cohort, people.c.employee_id.in_(applied)))
    batch = suites.applications_batch(undecided, roster, config)
    batch.complete = lambda failing: with_stored_answers(store, config.cohort, failing)
    result = run_gate(config, store, "applications", [batch], complete=True)
    held = batch.frame["_row"].isin(result.held_rows("applications"))
    quarantined = set(batch.frame.loc[held, "employee_id"])
    valid = set(batch.frame.loc[~held, "employee_id"])
    set_status(store, config.cohort, {"quarantined": quarantined, "valid": valid})
    return {"applications": len(apps), "valid": len(valid), "quarantined": len(quarantined),
            "rejected": len(apps) - len(undecided), "report": str(result.report),
            "incomplete": result.held_keys("applications.required_answers")}


def with_stored_answers(store: Store, cohort: str, failing: pd.DataFrame) -> pd.DataFrame:
    """The failing rows of the applications batch with the stored answers the checks did not read (but the
    affinity answers, which never reach a quarantine row), columns in the order a full read gives them."""
    table = [c.name for c in applications.c if c.name not in AFFINITY]
    rest = [c for c in table if c not in failing]
    stored = store.select_frame(sa.select(applications.c.employee_id, *(applications.c[c] for c in rest))
                                .where(applications.c.cohort_id == cohort,
                                       store.among(applications.c.employee_id, set(failing["employee_id"]))))
    stored = stored.set_index("employee_id").reindex(failing["employee_id"].to_numpy()).set_axis(failing.index)
    out = pd.concat([failing, stored], axis=1)
    return out[[c for c in table if c in out] + [c for c in out.columns if c not in table]]


def set_status(store: Store, cohort: str, by_status: dict[str, set[str]]) -> None:
    """One transaction, one UPDATE per status naming its applications as one bound list (``Store.among``): an
    UPDATE per application, even run as the driver's executemany, cost more than the rest of the stage's writes."""
    with store.engine.begin() as conn:
        for status, ids in by_status.items():
            if ids:
                conn.execute(applications.update()
                             .where(applications.c.cohort_id == cohort, store.among(applications.c.employee_id, ids))
                             .values(status=status))


def check_proposal(config: CohortConfig, store: Store, proposal, inp, *, to_place: set[str] | None = None,
                   record: bool = True):
    """The proposal after the matches gate: soft failures drop the offending pairs, whose mentees
    (and any mentee left without a reason) are listed as unmatched with the gate's reason.
    ``to_place``: the mentees this round had to place (default: every valid mentee); ``record=False``:
    a what-if, nothing quarantined or reported."""
    batches = pair_suites.matches_batches(proposal.pairs, proposal.unmatched, inp, config, to_place=to_place)
    result = run_gate(config, store, "matches", batches, complete=to_place is None, record=record)
    if not result.problems:
        return proposal
    pairs, mentees = batches
    dropped = pairs.frame[pairs.frame["_row"].isin(result.held_rows("pairs"))]
    proposal.pairs = proposal.pairs.drop(index=proposal.pairs.index[dropped["_row"].to_numpy()])
    # the mentor of a dropped pair left with no partner at all (in a symbiotic cohort: the other partner)
    # is told why as well
    partnered = set(proposal.pairs["mentor_id"]) | set(proposal.pairs["mentee_id"])
    partnered |= {p for pair in inp.fixed_pairs for p in pair}
    # a mentee who keeps another mentor (several mentors per mentee) is still placed: no reason for them
    mentored = set(proposal.pairs["mentee_id"]) | {m for _, m in inp.fixed_pairs}
    if config.program_type.value == "symbiotic":
        mentored = partnered
    reasons = {}
    for problem in result.problems:
        why = f"held by the data-quality gate ({problem.reason})"
        mentee = problem.values.get("mentee_id")
        if not mentee or mentee not in mentored:
            reasons.setdefault(mentee or problem.values.get("employee_id"), why)
        mentor = problem.values.get("mentor_id")
        if mentor and mentor not in partnered:
            reasons.setdefault(mentor, why)
    extra = pd.DataFrame(sorted(reasons.items()), columns=["employee_id", "reason"])
    kept = proposal.unmatched[~proposal.unmatched["employee_id"].isin(reasons)]
    proposal.unmatched = pd.concat([kept, extra], ignore_index=True)
    return proposal


def check_selection(config: CohortConfig, store: Store, inp) -> dict[tuple[str, str], str]:
    """The self-selection requests the ``selection`` gate holds, as {(mentee, mentor): reason}: they never
    become locks (every other request is kept). ``inp``: the matcher's ``MatchInput``."""
    requests = store.frame(selection_requests, cohort_id=config.cohort)
    if requests.empty:
        return {}
    shown = store.frame(recommendations, cohort_id=config.cohort)
    batch = selection_suites.selection_batch(requests, set(zip(shown["mentee_id"], shown["mentor_id"])), inp, config)
    result = run_gate(config, store, "selection", [batch], complete=True)
    held: dict[tuple[str, str], str] = {}
    for problem in result.problems:
        held.setdefault((problem.values["mentee_id"], problem.values["mentor_id"]), problem.reason)
    return held


def check_pulse(config: CohortConfig, store: Store, responses: pd.DataFrame) -> pd.DataFrame:
    """The pulse answers that passed the pulse gate (held ones never reach the health score)."""
    if responses.empty:
        return responses
    pairs = store.frame(matches, cohort_id=config.cohort)
    batch = pair_suites.pulse_batch(responses, pairs)
    result = run_gate(config, store, "pulse", [batch])
    return responses.reset_index(drop=True).drop(index=sorted(result.held_rows("responses")))


def check_closeout(config: CohortConfig, store: Store) -> pd.DataFrame:
    """The close-out evaluations the HR report may use: those failing the close-out gate are quarantined,
    and any the quarantine holds (open or rejected, from this run or an earlier one) are left out."""
    evals = store.frame(evaluations, cohort_id=config.cohort)
    if evals.empty:
        return evals
    pairs = store.frame(matches, cohort_id=config.cohort)
    run_gate(config, store, "closeout", [pair_suites.closeout_batch(evals, pairs)], complete=True)
    return without_held(store, config.cohort, "closeout", evals, "employee_id")



def workspace_rows(store: Store, cohort: str) -> dict[str, pd.DataFrame]:
    """The cohort's partnership rows by table (milestones: those of the cohort's goals, and those of no goal)."""
    goal_rows = store.frame(goals, cohort_id=cohort)
    every_goal = {int(g) for g in store.frame(goals)["goal_id"]}
    stones = store.frame(milestones)
    if len(stones):
        stones = stones[stones["goal_id"].isin(set(goal_rows["goal_id"]) if len(goal_rows) else set())
                        | ~stones["goal_id"].isin(every_goal)]
    return {"meeting_log": store.frame(meeting_log, cohort_id=cohort), "resource_feedback":
            store.frame(resource_feedback, cohort_id=cohort), "milestones": stones,
            "agreements": store.frame(agreements, cohort_id=cohort), "goals": goal_rows}


def check_workspace(config: CohortConfig, store: Store) -> dict[str, pd.DataFrame]:
    """The partnership rows that passed the ``workspace`` gate, by table (held ones are quarantined with their
    reasons and never reach pair health or the HR report; every good row is kept)."""
    rows = workspace_rows(store, config.cohort)
    members = members_by_space(store.rows(matches, cohort_id=config.cohort))
    goal_ids = {int(g) for g in store.frame(goals)["goal_id"]}
    built = {"meeting_log": lambda f: workspace_suites.log_batch(f, members, config),
             "resource_feedback": workspace_suites.feedback_batch,
             "milestones": lambda f: workspace_suites.milestone_batch(f, goal_ids),
             "agreements": workspace_suites.agreement_batch}
    batches = [build(rows[name]) for name, build in built.items() if len(rows[name])]
    if not batches:
        return rows
    result = run_gate(config, store, WORKSPACE, batches, complete=True)
    kept = dict(rows)
    for batch in batches:
        held = result.held_rows(batch.name)
        kept[batch.name] = rows[batch.name].reset_index(drop=True).drop(index=sorted(held))
    return kept

