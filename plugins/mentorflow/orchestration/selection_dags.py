"""The self-selection DAG (``self_selection.enabled``): at ``requests_close`` ask the requested mentors, at
``responses_close`` close the window and emit the Asset ``selected`` that starts the match. Off: the DAG has
no schedule (the validate DAG's ``send_recommendations`` task says self-selection is off).

Each task body imports its stage when the task runs (parse-time hygiene, as in :mod:`.lifecycle_dags`).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, task

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.orchestration.wiring import asset, dag_arguments, stage_task, timetable

# task bodies import their stage lazily: parse-time hygiene (see the module docstring)
# ruff: noqa: PLC0415


def selection_dag(config: CohortConfig) -> DAG:
    """Self-selection at requests_close (ask mentors) and responses_close (close: Asset selected); off: no schedule."""
    schedule = timetable(config, "selection", "self-selection") if config.self_selection.enabled else None
    with DAG(**dag_arguments(config, "selection", schedule, "Self-selection: mentors answer the mentees' requests, "
                             "then the accepted requests become locks for the match.")) as dag:

        @task.branch
        def ask_or_close(cohort_id: str, **context: Any) -> str:
            """Ask the mentors or close the window, from the run's moment (the cohort calendar)."""
            from mentorflow.orchestration.tasks import choose

            return {"ask": "ask_mentors", "close": "close_selection"}[
                choose(calendar.selection_action, cohort_id, context)]

        @stage_task
        def ask_mentors(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Email each requested mentor a link to accept or decline."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import selection

            return run_stage(selection.ask_mentors, cohort_id, context)

        @stage_task(outlets=[asset(config.cohort, "selected")])
        def close_selection(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Expire unanswered requests, gate the answers and decide which accepted requests become locks."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import selection

            return run_stage(selection.close_selection, cohort_id, context)

        branch = ask_or_close(config.cohort)
        branch >> ask_mentors(config.cohort)
        branch >> close_selection(config.cohort)
    return dag
