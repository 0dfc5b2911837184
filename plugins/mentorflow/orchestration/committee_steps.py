"""The stage DAGs with a committee step: the initial match and the midpoint re-match.

The committee answers through Airflow's human-in-the-loop tasks: Approve / Reject, or (initial round)
Re-solve with locks and forbids, then a second approval. ``committee.review_mode: auto`` skips them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG, Param, task

from mentorflow.cohorts.config import CohortConfig
from mentorflow.matching import committee
from mentorflow.orchestration.wiring import asset, dag_arguments, stage_task, timetable

# task bodies import their stage lazily: parse-time hygiene (the DAG processor must not import the matcher)
# ruff: noqa: PLC0415


CONSOLE = "/mentorflow-committee/committee/{cohort}/{round}"  # committee/app.py's review page, below the plugin's mount


def committee_text(propose_task_id: str, cohort_id: str, round_name: str) -> str:
    """The proposal's summary, rendered into the approval form from the proposing task's return value, and where the
    committee reviews it: the console shows the proposal as it stands (re-solves accepted there change it after this
    text was written) and answers this task when its quorum votes."""
    console = CONSOLE.format(cohort=cohort_id, round=round_name)
    return ("{{ ti.xcom_pull(task_ids='" + propose_task_id + "')['committee_text'] }}\n\n"
            f"Review, change and vote in the matching committee console: [{console}]({console}). "
            "The proposal there is the current one; this summary was written when the round was proposed.")


def reviewers(config: CohortConfig) -> dict[str, Any]:
    return {"response_timeout": dt.timedelta(hours=config.committee.timeout_hours),
            "assigned_users": [{"id": u, "name": u} for u in config.committee.reviewers] or None}


def approval(config: CohortConfig, propose_task_id: str, round_name: str, console_round: str,
             task_id: str = "committee_approval") -> ApprovalOperator:
    return ApprovalOperator(task_id=task_id, subject=f"{config.name}: approve the {round_name} matches?",
                            body=committee_text(propose_task_id, config.cohort, console_round), **reviewers(config))


@stage_task
def approve_matches(cohort_id: str, **context: Any) -> dict[str, Any]:
    """The committee approved: the proposed pairs become approved (and kickoff starts)."""
    from mentorflow.orchestration.tasks import run_stage
    from mentorflow.stages import match

    return run_stage(match.approve_matches, cohort_id, context)


def match_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    ready = asset(c, "selected" if config.self_selection.enabled else "validated")  # self-selection closed first
    with DAG(**dag_arguments(config, "match", [ready], "Score and pair, then the committee approves.")) as dag:

        @stage_task
        def propose_matches(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Score and pair the valid applicants, gate the proposal and write the committee's report."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import match

            return run_stage(match.propose_matches, cohort_id, context)

        proposed = propose_matches(c)
        approve = approve_matches.override(outlets=[asset(c, "approved")])(c)
        if config.committee.review_mode == "hitl":
            review_with_resolve(config, proposed, approve)
        else:
            proposed >> approve
    return dag


def review_with_resolve(config: CohortConfig, proposed, approve) -> None:
    """Committee review of the initial matches: Approve, Reject, or Re-solve with locks and forbids,
    then a second approval of the re-solved proposal (one re-solve round)."""
    c = config.cohort
    review = HITLOperator(
        task_id="committee_approval", subject=f"{config.name}: approve the initial matches?",
        body=committee_text("propose_matches", c, "initial"), options=committee.OPTIONS, defaults=[committee.REJECT],
        params={
            "locks": Param("", type="string", title="Locks (Re-solve)",
                           description="pairs that must be made: mentor_id:mentee_id;mentor_id:mentee_id"),
            "forbids": Param("", type="string", title="Forbids (Re-solve)",
                             description="pairs that must not be made: mentor_id:mentee_id;..."),
        },
        **reviewers(config))

    @task.branch
    def committee_decision(**context: Any) -> list[str]:
        """Approve goes on to approval; Re-solve solves again; Reject ends the run."""
        answer = committee.decision(context["ti"].xcom_pull(task_ids="committee_approval"))
        return {committee.APPROVE: ["approve_matches"], committee.RESOLVE: ["resolve_matches"]}.get(answer, [])

    @stage_task
    def resolve_matches(cohort_id: str, **context: Any) -> dict[str, Any]:
        """Solve again with the committee's locks and forbids."""
        from mentorflow.orchestration.tasks import run_stage
        from mentorflow.stages import match

        response = context["ti"].xcom_pull(task_ids="committee_approval")
        return run_stage(match.resolve_matches, cohort_id, context, response)

    resolved = resolve_matches(c)
    approve_resolved = approve_matches.override(task_id="approve_resolved_matches", outlets=[asset(c, "approved")])(c)
    proposed >> review >> committee_decision() >> [approve, resolved]
    reapproval = approval(config, "resolve_matches", "re-solved initial", "initial", "committee_reapproval")
    resolved >> reapproval >> approve_resolved


def midpoint_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "midpoint", timetable(config, "midpoint", "midpoint"),
                             "Re-match at-risk pairs and requesters; healthy pairs stay.")) as dag:

        @stage_task
        def assess_health(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Score the period running at the midpoint, so the re-match sees the latest answers."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import midpoint

            return run_stage(midpoint.assess_midpoint_health, cohort_id, context)

        @stage_task
        def rematch(cohort_id: str, **context: Any) -> dict[str, Any]:
            """End at-risk pairs and pairs a partner asked to end; propose partners for the mentees freed."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import midpoint

            return run_stage(midpoint.rematch, cohort_id, context)

        @stage_task(outlets=[asset(c, "rematched")])
        def activate_rematches(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Activate the approved new pairs and tell everyone affected."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import midpoint

            return run_stage(midpoint.activate_rematches, cohort_id, context)

        proposed = rematch(c)
        assess_health(c) >> proposed
        if config.committee.review_mode == "hitl":
            proposed >> approval(config, "rematch", "midpoint", "midpoint") >> activate_rematches(c)
        else:
            proposed >> activate_rematches(c)
    return dag
