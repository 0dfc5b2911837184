"""The midpoint round decided by the committee against a real waiting Airflow task: while the midpoint DAG's
``committee_approval`` waits, the committee re-solves the round (a forbid), accepts it, and three of five
reviewers approve through the api-server's HITL API; ``activate_rematches`` then activates the accepted
proposal, not the one the re-match first wrote. Three rejections end the run with nothing activated. And once
the quorum approved, the proposal it approved can no longer be replaced before activation."""

from __future__ import annotations

import pytest
from committee_fixtures import FIVE, await_review, committee_airflow, hitl_cohort, hitl_details, meanwhile, stage_dag
from conftest import ask_to_end, run_of, run_to_kickoff
from mentorflow.committee import resolve, voting
from mentorflow.committee.edits import CommitteeEdits
from mentorflow.stages import midpoint
from mentorflow.store import email_ledger, matches

ASKED = 4  # pairs asked to end before the midpoint: the re-match proposes new partners for their mentees


def at_midpoint(cohorts_dir, cohort: str):
    """A hitl cohort (five reviewers, quorum 3) taken to kickoff, ``ASKED`` of its pairs asked to end: (config, store)."""
    config, store = hitl_cohort(cohorts_dir, cohort, FIVE, 3, seed=19)
    run_to_kickoff(config, store)
    assert len(ask_to_end(config, store, ASKED)) == ASKED
    return config, store


def pairs(store, cohort: str, **where) -> set[tuple[str, str]]:
    return {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=cohort, round="midpoint", **where)}


def states_of(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state).rsplit(".", 1)[-1].lower() for ti in run.get_task_instances()}


def forbid_a_proposed_pair(config, store):
    """(before, after): the midpoint's open proposal and its re-solve with the first proposed pair forbidden."""
    before = resolve.current(config, store, "midpoint")
    assert before.pairs, "the re-match proposed no new pair"
    gone = before.pairs[0]
    after = resolve.what_if(config, store, "midpoint", CommitteeEdits(forbids=((gone.mentor_id, gone.mentee_id),)))
    assert (gone.mentor_id, gone.mentee_id) not in {(p.mentor_id, p.mentee_id) for p in after.pairs}
    return before, after


@pytest.fixture(scope="module")
def airflow_api(airflow_db, tmp_path_factory):
    """One api-server for the module whose users are the committee (role user)."""
    with committee_airflow(tmp_path_factory.mktemp("midpoint-airflow"), FIVE) as client:
        yield client


@pytest.mark.airflow
@pytest.mark.slow
def test_a_resolved_midpoint_approved_by_the_quorum_activates_the_accepted_proposal(airflow_api, cohorts_dir):
    config, store = at_midpoint(cohorts_dir, "midpoint-approve")
    dag = stage_dag(config, "midpoint")
    seen: dict = {}
    results: list = []

    def committee() -> None:
        """While the review waits: ann approves the first proposal; ben re-solves it (a forbid) and accepts; the
        round's votes are reopened (the old proposal's votes do not apply); then ann, ben and cai approve."""
        await_review(airflow_api("ann"), dag.dag_id)
        seen["first_vote"] = voting.vote(config, store, "midpoint", "ann", "approve", None, airflow_api("ann"))
        before, after = forbid_a_proposed_pair(config, store)
        seen["before"], seen["after"] = before, after
        seen["accepted"] = resolve.accept(config, store, "midpoint", after, actor="ben", before=before)
        seen["reopened"] = voting.reopen(config, store, "midpoint", actor="ben")
        undone = resolve.what_if(config, store, "midpoint", CommitteeEdits())  # dee's re-solve without the forbid
        for who in ("ann", "ben", "cai"):
            results.append(voting.vote(config, store, "midpoint", who, "approve", None, airflow_api(who)))
        with pytest.raises(resolve.RoundClosed, match="reopen first"):  # what the quorum approved is activated
            resolve.accept(config, store, "midpoint", undone, actor="dee", before=after)

    with meanwhile(committee, dag.dag_id):
        run = dag.test(logical_date=config.at(config.calendar.midpoint))

    assert seen["first_vote"].outcome.state == "pending" and seen["first_vote"].answered == []
    assert seen["accepted"]["changed"] is True and seen["reopened"] == 1
    assert [r.outcome.state for r in results] == ["pending", "pending", "approved"]
    assert results[2].error is None and len(results[2].answered) == 1
    assert results[2].answered[0].endswith("/committee_approval")

    states = states_of(run)
    assert str(run.state).endswith("success"), states
    assert states["committee_approval"] == "success" and states["activate_rematches"] == "success", states
    review = hitl_details(airflow_api("dee"), dag.dag_id, "committee_approval")
    assert len(review) == 1 and review[0]["chosen_options"] == ["Approve"]
    assert review[0]["responded_by_user"]["id"] == "cai"

    accepted = {(p.mentor_id, p.mentee_id) for p in seen["after"].pairs}
    original = {(p.mentor_id, p.mentee_id) for p in seen["before"].pairs}
    assert accepted != original
    assert pairs(store, config.cohort, status="active") == accepted    # the re-solve, not the first proposal
    assert pairs(store, config.cohort) == accepted                     # nothing else of the round is left
    told = {r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="rematch")}
    in_new_pairs = {p for pair in accepted for p in pair}
    ended = {p for m in store.rows(matches, cohort_id=config.cohort, status="ended") for p in (m["mentor_id"], m["mentee_id"])}
    assert in_new_pairs <= told <= in_new_pairs | ended     # the accepted pairs are introduced, and no one else told
    store.engine.dispose()


@pytest.mark.airflow
@pytest.mark.slow
def test_three_rejections_end_the_midpoint_run_with_nothing_activated(airflow_api, cohorts_dir):
    config, store = at_midpoint(cohorts_dir, "midpoint-reject")
    dag = stage_dag(config, "midpoint")
    results: list = []

    def committee() -> None:
        await_review(airflow_api("dee"), dag.dag_id)
        for who in ("dee", "eve", "ann"):
            results.append(voting.vote(config, store, "midpoint", who, "reject", "not these pairs", airflow_api(who)))

    with meanwhile(committee, dag.dag_id):
        run = dag.test(logical_date=config.at(config.calendar.midpoint))

    assert [r.outcome.state for r in results] == ["pending", "pending", "rejected"]
    assert results[2].error is None and len(results[2].answered) == 1
    states = states_of(run)
    assert states["committee_approval"] == "success" and states["activate_rematches"] == "skipped", states
    review = hitl_details(airflow_api("ann"), dag.dag_id, "committee_approval")
    assert review[0]["chosen_options"] == ["Reject"] and review[0]["responded_by_user"]["id"] == "ann"
    proposed = pairs(store, config.cohort, status="proposed")
    assert proposed and pairs(store, config.cohort) == proposed        # the proposal stays open, nothing approved
    assert store.rows(email_ledger, cohort_id=config.cohort, template="rematch") == []   # nobody told
    store.engine.dispose()


def test_once_the_quorum_approved_the_midpoint_proposal_cannot_be_replaced(cohorts_dir):
    """Between the quorum's approval and the activation (a task still to run, a retry) a re-solve would be
    activated unseen: it is refused until the round is reopened."""
    config, store = at_midpoint(cohorts_dir, "midpoint-closed")
    midpoint.rematch(run_of(config, store, config.calendar.midpoint))
    before, after = forbid_a_proposed_pair(config, store)
    for who in ("ann", "ben", "cai"):
        decided = voting.vote(config, store, "midpoint", who, "approve", None, None)
    assert decided.outcome.state == "approved"
    with pytest.raises(resolve.RoundClosed, match="committee approved the midpoint round"):
        resolve.accept(config, store, "midpoint", after, actor="dee", before=before)
    with pytest.raises(resolve.RoundClosed, match="reopen first"):
        resolve.what_if(config, store, "midpoint", CommitteeEdits())
    assert resolve.current(config, store, "midpoint").same_as(before)
    voting.reopen(config, store, "midpoint", actor="chair")                 # a new decision: re-solving is open again
    assert resolve.accept(config, store, "midpoint", after, actor="dee", before=before)["changed"] is True
    store.engine.dispose()
