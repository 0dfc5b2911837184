"""Record a reviewer's vote and, when it decides the round, answer the waiting HITL task once.

Load -> decide -> apply: the round's live votes are read and the vote written in one transaction (the
cohort's row is locked first, so two votes of one cohort never count the same old tally); the tally is
``quorum.tally``. Only the vote that turns the round from pending to decided answers Airflow, and a 409
(already answered) counts as done, so a retried request changes nothing. After the decision the round is
closed: a vote is refused until ``reopen`` clears it (a new proposal to decide).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.committee import audit, quorum
from mentorflow.committee.hitl import ROUND_STAGES, HitlClient, HitlError, dag_id_for
from mentorflow.matching.committee import APPROVE, REJECT
from mentorflow.store import Store, cohorts, committee_votes

log = logging.getLogger("mentorflow.committee")
MAX_COMMENT = 4000
OPTION = {"approved": APPROVE, "rejected": REJECT}  # the outcome -> the HITL option (ApprovalOperator's)


class VoteRefused(ValueError):
    """The vote cannot count: not a reviewer, the round is decided, or a bad field (the message says which)."""


@dataclass
class VoteResult:
    outcome: quorum.Outcome
    answered: list[str] = field(default_factory=list)   # "dag_id/run_id/task_id" answered by this vote
    error: str | None = None                            # the decision is recorded but Airflow did not take it


def round_votes(conn: sa.Connection, cohort_id: str, round_name: str) -> dict[str, str]:
    rows = conn.execute(sa.select(committee_votes.c.reviewer, committee_votes.c.decision).where(
        committee_votes.c.cohort_id == cohort_id, committee_votes.c.round == round_name))
    return {r.reviewer: r.decision for r in rows}


def lock_cohort(conn: sa.Connection, cohort_id: str) -> None:
    """Lock the cohort's row for the rest of ``conn``'s transaction: votes and accepted re-solves of one cohort
    take turns, so neither decides on what the other is changing."""
    conn.execute(sa.select(cohorts.c.cohort_id).where(cohorts.c.cohort_id == cohort_id).with_for_update())


def outcome(config: CohortConfig, store: Store | None, round_name: str, *,
            conn: sa.Connection | None = None) -> quorum.Outcome:
    """The round's tally as the store has it now (inside ``conn``'s transaction when given)."""
    if conn is not None:
        votes = round_votes(conn, config.cohort, round_name)
    else:
        with store.engine.connect() as own:
            votes = round_votes(own, config.cohort, round_name)
    return quorum.tally(votes, config.committee.reviewers, config.committee.votes_needed)


def _check(config: CohortConfig, round_name: str, reviewer: str, decision: str, comment: str | None) -> None:
    if round_name not in ROUND_STAGES:
        raise VoteRefused(f"round: {round_name!r} is not one of {', '.join(ROUND_STAGES)}")
    if decision not in quorum.DECISIONS:
        raise VoteRefused(f"decision: {decision!r} is not approve or reject")
    if not reviewer:
        raise VoteRefused("reviewer: missing")
    if config.committee.reviewers and reviewer not in config.committee.reviewers:
        raise VoteRefused(f"reviewer: {reviewer!r} is not a reviewer of {config.cohort} (committee.reviewers)")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise VoteRefused(f"comment: {len(comment)} characters, at most {MAX_COMMENT}")


def vote(config: CohortConfig, store: Store, round_name: str, reviewer: str, decision: str,
         comment: str | None, airflow: HitlClient | None) -> VoteResult:
    """Record ``reviewer``'s live vote on the round; answer the round's waiting HITL task(s) with
    ``airflow`` (a client holding this reviewer's own token) when this vote decides it."""
    _check(config, round_name, reviewer, decision, comment)
    needed = config.committee.votes_needed
    with store.begin() as conn:
        lock_cohort(conn, config.cohort)
        votes = round_votes(conn, config.cohort, round_name)
        before = quorum.tally(votes, config.committee.reviewers, needed)
        if before.decided:
            raise VoteRefused(f"round: the {round_name} round of {config.cohort} is already {before.state} "
                              f"({before.reason}); reopen it to vote again")
        store.upsert(committee_votes, [{"cohort_id": config.cohort, "round": round_name, "reviewer": reviewer,
                                        "decision": decision, "comment": comment or None,
                                        "voted_at": dt.datetime.now(dt.timezone.utc)}], conn=conn)
        after = quorum.tally({**votes, reviewer: decision}, config.committee.reviewers, needed)
        audit.record(store, config.cohort, round_name, reviewer, "vote", {"decision": decision, "outcome": after.state},
                     conn=conn)  # the trail says who voted what; the comment stays with the vote
    result = VoteResult(after)
    if after.decided:
        result.answered, result.error = answer_decision(config, round_name, after, airflow)
    return result


def answer_decision(config: CohortConfig, round_name: str, decided: quorum.Outcome,
                    airflow: HitlClient | None) -> tuple[list[str], str | None]:
    """Answer every waiting committee task of the round's DAG with the decision. Safe to call again (a
    task already answered is skipped by Airflow's 409); returns what was answered and any error."""
    if airflow is None:
        return [], "no Airflow client: the decision is recorded, the HITL task is not answered"
    dag = dag_id_for(config.cohort, round_name)
    answered = []
    try:
        for detail in airflow.waiting(dag):
            ti = detail["task_instance"]
            if airflow.answer(detail, OPTION[decided.state]):
                answered.append(f"{ti['dag_id']}/{ti['dag_run_id']}/{ti['task_id']}")
    except HitlError as exc:
        log.warning("mentorflow: the %s decision of %s is recorded but not answered in Airflow: %s",
                    round_name, config.cohort, exc)
        return answered, str(exc)
    log.info("mentorflow: %s round of %s %s; answered %d waiting task(s)", round_name, config.cohort,
             decided.state, len(answered))
    return answered, None


def reopen(config: CohortConfig, store: Store, round_name: str, actor: str = "system") -> int:
    """Clear the round's votes so the committee decides a new proposal; returns how many were cleared. ``actor``
    (who reopened it) goes to the audit trail."""
    if round_name not in ROUND_STAGES:
        raise VoteRefused(f"round: {round_name!r} is not one of {', '.join(ROUND_STAGES)}")
    with store.begin() as conn:
        cleared = conn.execute(committee_votes.delete().where(committee_votes.c.cohort_id == config.cohort,
                                                              committee_votes.c.round == round_name)).rowcount
        audit.record(store, config.cohort, round_name, actor, "reopen", {"votes_cleared": cleared}, conn=conn)
        return cleared
