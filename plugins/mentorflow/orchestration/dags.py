"""One DAG per (cohort, stage), generated from the cohort YAML files.

Thin wiring: every task is a named TaskFlow function (its docstring is its documentation in the
Airflow UI) that calls one function of :mod:`mentorflow.stages` through
:func:`mentorflow.orchestration.tasks.run_stage`. Parse time reads YAML files only: no database, no
connection, no heavy import (each task imports its stage when it runs).

Schedules come from :mod:`mentorflow.cohorts.calendar`; data-dependent stages are chained by Assets,
so they run when their input is ready:

    open ─┬─ intake (every intake_check_every_hours while the window is open)
          └─ validate (window close) ──▶ Asset validated ──▶ match ──▶ Asset approved ──▶ kickoff
    pulse (each cadence after kickoff) · midpoint (calendar) · closeout (calendar) · triage (REST API)
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import DAG, task

from mentorflow.cohorts.config import CohortConfig
from mentorflow.cohorts.loader import load_cohorts
from mentorflow.errors import CohortConfigError
from mentorflow.orchestration import committee_steps, lifecycle_dags
from mentorflow.orchestration.wiring import DAG_STAGES, TAGS

log = logging.getLogger(__name__)


def build_cohort_dags(config: CohortConfig) -> dict[str, DAG]:
    """The stage DAGs of one cohort in lifecycle order, then its event-triggered DAGs, keyed by dag_id."""
    builders = [lifecycle_dags.open_dag, lifecycle_dags.intake_dag, lifecycle_dags.validate_dag,
                committee_steps.match_dag, lifecycle_dags.kickoff_dag, lifecycle_dags.pulse_dag,
                committee_steps.midpoint_dag, lifecycle_dags.closeout_dag, lifecycle_dags.retention_dag,
                lifecycle_dags.triage_dag]
    dags = {d.dag_id: d for d in (build(config) for build in builders)}
    assert [k.rsplit("__", 1)[1] for k in dags] == list(DAG_STAGES)
    return dags


def invalid_config_dag(error: CohortConfigError) -> DAG:
    """A one-task DAG that shows (and fails with) a broken cohort file's problems, so the file is
    visible in the Airflow UI while every other cohort keeps working."""
    stem = error.path.stem.lower().replace("_", "-")
    message = str(error)
    with DAG(
        dag_id=f"mentorflow__{stem}__invalid_config",
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        tags=[*TAGS, "invalid-config"],
        doc_md="**This cohort file is invalid and no stage DAGs were built.**\n\n" + "\n".join(
            f"- {p}" for p in error.problems),
        is_paused_upon_creation=True,
    ) as d:

        @task(task_id="report_invalid_config")
        def report() -> None:
            raise ValueError(message)

        report()
    return d


def build_all() -> dict[str, DAG]:
    """Every DAG for every cohort file, in a stable order (cohort file name, then stage)."""
    configs, errors = load_cohorts()
    dags: dict[str, DAG] = {}
    for config in configs:
        dags.update(build_cohort_dags(config))
    for error in errors:
        log.error("mentorflow: skipping invalid cohort file %s", error)
        d = invalid_config_dag(error)
        dags[d.dag_id] = d
    return dags
