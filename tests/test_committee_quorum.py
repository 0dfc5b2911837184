"""Deciding together: the tally against the quorum, the vote stored once per reviewer and round on both
stores, and the waiting match review answered through a real Airflow api-server's HITL API when the
quorum is reached (as the deciding reviewer, a user assigned to the task)."""

from __future__ import annotations

import pytest
from committee_fixtures import FIVE, await_review, committee_airflow, hitl_details, meanwhile, validated_hitl_cohort
from conftest import write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.committee import voting
from mentorflow.committee.hitl import dag_id_for
from mentorflow.committee.quorum import tally
from mentorflow.store import committee_votes


def replay(sequence: list[tuple[str, str]]) -> dict[str, str]:
    """The live votes after a sequence of votes: a later vote of the same reviewer replaces the earlier."""
    live: dict[str, str] = {}
    for who, decision in sequence:
        live[who] = decision
    return live


TALLIES = {
    # name: (votes in order, reviewers, quorum, state, approvals, rejections)
    "no-votes-pending": ([], FIVE, 3, "pending", (), ()),
    "two-of-three-pending": ([("ann", "approve"), ("ben", "approve")], FIVE, 3, "pending", ("ann", "ben"), ()),
    "three-of-five-approved": ([("ann", "approve"), ("ben", "approve"), ("cai", "approve")], FIVE, 3, "approved",
                               ("ann", "ben", "cai"), ()),
    "three-of-five-with-two-rejections": ([("ann", "approve"), ("dee", "reject"), ("ben", "approve"),
                                           ("eve", "reject"), ("cai", "approve")], FIVE, 3, "approved",
                                          ("ann", "ben", "cai"), ("dee", "eve")),
    "rejections-reach-quorum": ([("ann", "reject"), ("ben", "reject"), ("cai", "reject")], FIVE, 3, "rejected",
                                (), ("ann", "ben", "cai")),
    "approval-out-of-reach": ([("ann", "reject"), ("ben", "reject"), ("cai", "reject")], FIVE, 4, "rejected",
                              (), ("ann", "ben", "cai")),
    "approval-still-possible": ([("ann", "reject"), ("ben", "reject")], FIVE, 3, "pending", (), ("ann", "ben")),
    "changed-vote-counts-once": ([("ann", "approve"), ("ben", "approve"), ("ann", "reject")], FIVE, 3, "pending",
                                 ("ben",), ("ann",)),
    "changed-vote-decides": ([("ann", "reject"), ("ben", "approve"), ("cai", "approve"), ("ann", "approve")], FIVE,
                             3, "approved", ("ann", "ben", "cai"), ()),
    "tie-at-quorum-rejects": ([("ann", "approve"), ("ben", "approve"), ("cai", "reject"), ("dee", "reject")], FIVE,
                              2, "rejected", ("ann", "ben"), ("cai", "dee")),
    "tie-of-four-majority-out-of-reach": ([("ann", "approve"), ("ben", "approve"), ("cai", "reject"),
                                           ("dee", "reject")], FIVE[:4], 3, "rejected", ("ann", "ben"), ("cai", "dee")),
    "non-reviewer-ignored": ([("ann", "approve"), ("zoe", "approve")], FIVE, 2, "pending", ("ann",), ()),
    "no-named-reviewers-first-vote-decides": ([("zoe", "reject")], [], 1, "rejected", (), ("zoe",)),
}


@pytest.mark.parametrize("sequence, reviewers, quorum, state, approvals, rejections", TALLIES.values(),
                         ids=TALLIES.keys())
def test_tally(sequence, reviewers, quorum, state, approvals, rejections):
    outcome = tally(replay(sequence), reviewers, quorum)
    assert (outcome.state, outcome.approvals, outcome.rejections) == (state, approvals, rejections), outcome.reason
    voted = {who for who, _ in sequence}
    assert set(outcome.outstanding) == set(reviewers) - voted


def test_tally_refuses_a_bad_decision_and_quorum():
    with pytest.raises(ValueError, match="'maybe'"):
        tally({"ann": "maybe"}, FIVE, 3)
    with pytest.raises(ValueError, match="at least 1"):
        tally({}, FIVE, 0)


def test_default_quorum_is_a_majority_of_the_reviewers(cohorts_dir):
    def needed(**committee):
        return load_cohort(write_cohort(cohorts_dir, committee=committee)).committee.votes_needed

    assert needed(reviewers=FIVE) == 3
    assert needed(reviewers=FIVE[:4]) == 3
    assert needed() == 1
    assert needed(reviewers=FIVE, quorum="2") == 2


def test_dag_ids_are_the_dag_factorys():
    from mentorflow.orchestration.wiring import dag_id

    assert dag_id_for("c-1", "initial") == dag_id("c-1", "match")
    assert dag_id_for("c-1", "midpoint") == dag_id("c-1", "midpoint")


def test_the_approval_form_links_to_the_rounds_console_page():
    """The HITL task's text says where to review: the console's page of that round, below the plugin's mount."""
    import mentorflow_plugin
    from mentorflow.committee.app import create_app
    from mentorflow.orchestration.committee_steps import committee_text

    body = committee_text("rematch", "c-1", "midpoint")
    link = "/mentorflow-committee/committee/c-1/midpoint"
    assert f"[{link}]({link})" in body and "['committee_text']" in body
    mounts = {a["url_prefix"] for a in mentorflow_plugin.MentorflowPlugin.fastapi_apps}
    assert "/mentorflow-committee" in mounts
    assert "/committee/{cohort}/{round_name}" in {getattr(r, "path", "") for r in create_app().routes}


def test_options_are_the_approval_operators():
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    assert set(voting.OPTION.values()) == {ApprovalOperator.APPROVE, ApprovalOperator.REJECT}


def test_vote_records_one_live_vote_and_closes_the_round(store, cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir, committee={"reviewers": FIVE, "quorum": 3}))
    store.register_cohort(config)
    first = voting.vote(config, store, "initial", "ann", "reject", "not yet", None)
    assert first.outcome.state == "pending" and first.answered == [] and first.error is None
    voting.vote(config, store, "initial", "ann", "approve", "convinced", None)   # changed before the decision
    voting.vote(config, store, "initial", "ben", "approve", None, None)
    assert voting.vote(config, store, "midpoint", "cai", "approve", None, None).outcome.state == "pending"
    rows = {(r["round"], r["reviewer"]): (r["decision"], r["comment"]) for r in store.rows(committee_votes)}
    assert rows == {("initial", "ann"): ("approve", "convinced"), ("initial", "ben"): ("approve", None),
                    ("midpoint", "cai"): ("approve", None)}

    with pytest.raises(voting.VoteRefused, match="'zoe' is not a reviewer"):
        voting.vote(config, store, "initial", "zoe", "approve", None, None)
    with pytest.raises(voting.VoteRefused, match="decision"):
        voting.vote(config, store, "initial", "cai", "yes", None, None)
    with pytest.raises(voting.VoteRefused, match="round"):
        voting.vote(config, store, "final", "cai", "approve", None, None)

    decided = voting.vote(config, store, "initial", "cai", "approve", None, None)
    assert decided.outcome.state == "approved" and decided.outcome.approvals == ("ann", "ben", "cai")
    assert "not answered" in decided.error      # no Airflow client: recorded, and it says so
    with pytest.raises(voting.VoteRefused, match="already approved"):
        voting.vote(config, store, "initial", "ann", "reject", "changed my mind", None)
    assert store.count(committee_votes, cohort_id=config.cohort, round="initial") == 3
    assert voting.outcome(config, store, "initial").state == "approved"

    assert voting.reopen(config, store, "initial") == 3
    assert voting.outcome(config, store, "initial").state == "pending"
    assert store.count(committee_votes, cohort_id=config.cohort, round="midpoint") == 1


# -- a real Airflow api-server answers the waiting review ---------------------------------------

@pytest.fixture
def airflow_api(airflow_db, tmp_path):
    """An Airflow api-server on loopback whose users are the committee (role user)."""
    with committee_airflow(tmp_path, FIVE) as client:
        yield client


@pytest.mark.airflow
@pytest.mark.slow
def test_three_approvals_answer_the_match_review_through_the_rest_api(airflow_api, cohorts_dir):
    config, store, dag = validated_hitl_cohort(cohorts_dir, "quorum-cohort", FIVE, 3, seed=19)
    results: list = []
    still: list = []

    def committee() -> None:
        """Once the review task waits, ann, ben and cai approve."""
        await_review(airflow_api("ann"), dag.dag_id)
        for who in ("ann", "ben", "cai"):
            results.append(voting.vote(config, store, "initial", who, "approve", f"{who} agrees", airflow_api(who)))
            if who == "ben":
                still.append(len(airflow_api("ben").waiting(dag.dag_id)))   # two approvals: the review still waits

    with meanwhile(committee, dag.dag_id):
        run = dag.test(logical_date=config.at(config.calendar.application_close))
    assert [r.outcome.state for r in results] == ["pending", "pending", "approved"]
    assert results[0].answered == results[1].answered == [] and still == [1]   # no answer before the quorum
    assert len(results[2].answered) == 1 and results[2].answered[0].endswith("/committee_approval")
    assert results[2].error is None

    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state).endswith("success"), states
    assert states["approve_matches"].endswith("success") and states["resolve_matches"].endswith("skipped")

    review = hitl_details(airflow_api("ann"), dag.dag_id, "committee_approval")
    assert len(review) == 1 and review[0]["response_received"] is True
    assert review[0]["chosen_options"] == ["Approve"] and review[0]["responded_by_user"]["id"] == "cai"
    # answering again (a retried request) gets Airflow's 409 "already answered": done, nothing changes
    assert airflow_api("ben").answer(review[0], "Reject") is False
    assert voting.answer_decision(config, "initial", results[2].outcome, airflow_api("ben")) == ([], None)
    store.engine.dispose()
