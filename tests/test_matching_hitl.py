"""The committee's Re-solve answer through Airflow's real human-in-the-loop machinery.

``dag.test`` parks the review task in AWAITING_INPUT; a second thread answers it with the same
function the HITL REST endpoint runs, so the re-solve step reads a real HITL XCom.
"""

from __future__ import annotations

import threading
import time

import pytest
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


def _answer_when_asked(dag: str, task_id: str, options: list[str], params: dict, done: list) -> None:
    from airflow.api_fastapi.core_api.datamodels.hitl import UpdateHITLDetailPayload
    from airflow.api_fastapi.core_api.routes.public.hitl import update_hitl_detail
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
                    update_hitl_detail(dag_id=dag, dag_run_id=ti.run_id, task_id=task_id, user=_Reviewer(),
                                       session=session, update_hitl_detail_payload=UpdateHITLDetailPayload(
                                           chosen_options=options, params_input=params))
                    done.append(ti.run_id)
                    return
        except OperationalError:  # SQLite busy while the run's own thread writes (a loaded machine): ask again
            pass
        time.sleep(0.5)


def test_resolve_answer_reruns_the_model_with_the_committee_locks_and_forbids(airflow_db, cohorts_dir):
    write_population(cohorts_dir / "data", 120, seed=12)
    config = load_cohort(write_cohort(cohorts_dir, "hitl-cohort"))
    store = ready_store(config)
    store.register_cohort(config)
    open_stage.import_roster(run_of(config, store, config.calendar.application_open.date()))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    first = match.propose_matches(run_of(config, store))
    proposed = sorted((m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort))
    assert first["pairs"] > 3
    forbidden, kept = proposed[0], proposed[1]
    locks = f"{kept[0]}:{kept[1]}"

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    dag = bag.dags[dag_id(config.cohort, "match")]
    answered: list[str] = []
    reviewer = threading.Thread(target=_answer_when_asked, daemon=True, args=(
        dag.dag_id, "committee_approval", ["Re-solve"], {"locks": locks, "forbids": f"{forbidden[0]}:{forbidden[1]}"},
        answered))
    reviewer.start()
    run = dag.test(logical_date=config.at(config.calendar.application_close),
                   mark_success_pattern=r"^committee_reapproval$")
    reviewer.join(timeout=5)
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
