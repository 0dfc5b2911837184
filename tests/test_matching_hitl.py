"""The committee's Re-solve answer through Airflow's real human-in-the-loop machinery.

``dag.test`` parks the review task in AWAITING_INPUT; a second thread answers it with the same
function the HITL REST endpoint runs, so the re-solve step reads a real HITL XCom.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from committee_fixtures import meanwhile
from conftest import ROOT, ready_store, run_of, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.orchestration.wiring import dag_id
from mentorflow.stages import intake, match, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import matches

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


class _Reviewer:
    def get_id(self) -> str:
        return "committee-chair"

    def get_name(self) -> str:
        return "Committee Chair"


def _when_asked(dag: str, task_id: str, act: Callable[[Any, Any], None]) -> None:
    """Once ``task_id`` of ``dag`` waits for input, ``act(session, task_instance)``; a review that never waits
    raises (only a hang: 300 s)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with create_session() as session:
                ti = session.scalars(select(TaskInstance).where(
                    TaskInstance.dag_id == dag, TaskInstance.task_id == task_id,
                    TaskInstance.state == TaskInstanceState.AWAITING_INPUT)).first()
                if ti is not None:
                    act(session, ti)
                    return
        except OperationalError:  # SQLite busy while the run's own thread writes (a loaded machine): ask again
            pass
        time.sleep(0.5)
    raise AssertionError(f"{dag}.{task_id} never waited for input")


def _answer_when_asked(dag: str, task_id: str, options: list[str], params: dict, done: list) -> None:
    """Answer the review as the HITL REST endpoint does (the same function)."""
    from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
    from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail

    def answer(session, ti) -> None:
        update_hitl_detail(dag_id=dag, dag_run_id=ti.run_id, task_id=task_id, user=_Reviewer(), session=session,
                           update_hitl_detail_payload=UpdateHITLDetailPayload(chosen_options=options,
                                                                               params_input=params))
        done.append(ti.run_id)

    _when_asked(dag, task_id, answer)


def _proposed(cohorts_dir, name: str):
    """A HITL cohort validated and proposed outside Airflow; its match DAG, then what was proposed."""
    write_population(cohorts_dir / "data", 120, seed=12)
    config = load_cohort(write_cohort(cohorts_dir, name))
    store = ready_store(config)
    store.register_cohort(config)
    open_stage.import_roster(run_of(config, store, config.calendar.application_open.date()))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    first = match.propose_matches(run_of(config, store))
    assert first["pairs"] > 3
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).dags[dag_id(config.cohort, "match")]
    return config, store, dag, sorted((m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort))


def test_resolve_answer_reruns_the_model_with_the_committee_locks_and_forbids(airflow_db, cohorts_dir):
    config, store, dag, proposed = _proposed(cohorts_dir, "hitl-cohort")
    forbidden, kept = proposed[0], proposed[1]
    locks = f"{kept[0]}:{kept[1]}"
    answered: list[str] = []
    with meanwhile(lambda: _answer_when_asked(dag.dag_id, "committee_approval", ["Re-solve"], {
            "locks": locks, "forbids": f"{forbidden[0]}:{forbidden[1]}"}, answered), dag.dag_id):
        run = dag.test(logical_date=config.at(config.calendar.application_close),
                       mark_success_pattern=r"^committee_reapproval$")
    assert answered, "the review task never waited for input"
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state).endswith("success"), states
    assert states["resolve_matches"].endswith("success") and states["approve_resolved_matches"].endswith("success")
    assert states["approve_matches"].endswith("skipped")
    approved = {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort, status="approved")}
    assert kept in approved and forbidden not in approved
    explanation = {(m["mentor_id"], m["mentee_id"]): m["explanation"] for m in store.rows(matches, cohort_id=config.cohort)}
    assert explanation[kept].startswith("locked by the matching committee")
    store.engine.dispose()


def test_a_committee_that_fails_releases_the_review_so_the_run_ends_and_the_error_shows(airflow_db, cohorts_dir):
    """A reviewer's thread that breaks must not leave ``dag.test`` waiting for the review's 72-hour timeout: the
    waiting review task is marked failed, the run ends failed, and the thread's error fails the test."""
    config, store, dag, _ = _proposed(cohorts_dir, "broken-committee")

    def broken_reviewer() -> None:
        _when_asked(dag.dag_id, "committee_approval", lambda session, ti: None)  # sees the review, answers nothing
        raise RuntimeError("the reviewer's browser crashed")

    with pytest.raises(RuntimeError, match="browser crashed"):
        with meanwhile(broken_reviewer, dag.dag_id):
            run = dag.test(logical_date=config.at(config.calendar.application_close))
    assert str(run.state).endswith("failed")
    assert str({ti.task_id: ti.state for ti in run.get_task_instances()}["committee_approval"]).endswith("failed")
    store.engine.dispose()
