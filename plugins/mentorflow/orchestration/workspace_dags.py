"""The partnership page's scheduled DAG: a week after kickoff, remind the members of every running pair or
group that has not yet confirmed its mentoring agreement (:mod:`mentorflow.stages.agreement`).

Each task body imports its stage when the task runs (parse-time hygiene, as in :mod:`.lifecycle_dags`).
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG

from mentorflow.cohorts.config import CohortConfig
from mentorflow.orchestration.wiring import dag_arguments, stage_task, timetable

# task bodies import their stage lazily: parse-time hygiene (see the module docstring)
# ruff: noqa: PLC0415


def agreement_dag(config: CohortConfig) -> DAG:
    with DAG(**dag_arguments(config, "agreement", timetable(config, "agreement", "agreement reminder"),
                             "A week after kickoff: remind every member of a pair or group without a confirmed "
                             "mentoring agreement (once; never what anyone wrote).")) as dag:

        @stage_task
        def send_agreement_reminders(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Email each member of a running space whose members have not all confirmed their agreement."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import agreement

            return run_stage(agreement.send_agreement_reminders, cohort_id, context)

        send_agreement_reminders(config.cohort)
    return dag
