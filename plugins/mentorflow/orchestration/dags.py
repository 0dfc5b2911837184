"""One DAG per (cohort, stage), generated from the cohort YAML files.

Thin wiring: every task is a named TaskFlow function (its docstring is its documentation in the
Airflow UI) that calls one function of :mod:`mentorflow.stages` through
:func:`mentorflow.orchestration.tasks.run_stage`. Parse time reads YAML files only: no database, no
connection, no heavy import (each task imports its stage when it runs).

Schedules come from :mod:`mentorflow.cohorts.calendar`; data-dependent stages are chained by Assets,
so they run when their input is ready:

    open ─┬─ intake (every intake_check_every_hours while the window is open)
          └─ validate (window close) ──▶ Asset validated ──▶ match ──▶ Asset approved ──▶ kickoff (+ offers)
    with self-selection: validate also recommends mentors; selection (requests_close: ask mentors,
    responses_close: close) ──▶ Asset selected ──▶ match (instead of validated)
    alternatives (offers' deadline) · agreement (reminder a week after kickoff) · pulse (each cadence after kickoff) · midpoint (calendar) · closeout (calendar) · triage (REST API)
"""

from __future__ import annotations

import logging
import re

import pendulum
from airflow.sdk import DAG, task

from mentorflow.cohorts.config import CohortConfig
from mentorflow.cohorts.loader import load_cohorts
from mentorflow.errors import CohortConfigError
from mentorflow.orchestration import committee_steps, lifecycle_dags, selection_dags, workspace_dags
from mentorflow.orchestration.wiring import DAG_STAGES, TAGS

log = logging.getLogger(__name__)


def build_cohort_dags(config: CohortConfig) -> dict[str, DAG]:
    """The stage DAGs of one cohort in lifecycle order, then its event-triggered DAGs, keyed by dag_id."""
    builders = [lifecycle_dags.open_dag, lifecycle_dags.intake_dag, lifecycle_dags.validate_dag,
                selection_dags.selection_dag, committee_steps.match_dag, lifecycle_dags.kickoff_dag,
                lifecycle_dags.alternatives_dag, workspace_dags.agreement_dag,
                lifecycle_dags.pulse_dag,
                committee_steps.midpoint_dag, lifecycle_dags.closeout_dag, lifecycle_dags.retention_dag,
                lifecycle_dags.triage_dag]
    dags = {d.dag_id: d for d in (build(config) for build in builders)}
    assert [k.rsplit("__", 1)[1] for k in dags] == list(DAG_STAGES)
    return dags


def invalid_config_dag(error: CohortConfigError) -> DAG:
    """A one-task DAG that shows (and fails with) a broken cohort file's problems, so the file is
    visible in the Airflow UI while every other cohort keeps working. Its id comes from the file
    name, reduced to the characters a DAG id allows."""
    stem = re.sub(r"[^a-z0-9-]+", "-", error.path.stem.lower().replace("_", "-"))[:100] or "-"
    message = str(error)
    with DAG(
        dag_id=f"mentorflow__{stem}__invalid_config",
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        tags=[*TAGS, "invalid-config"],
        doc_md="**This cohort file is invalid and no stage DAGs were built.**\n\n" + "\n".join(
            f"- {p}" for p in error.problems),
        is_paused_upon_creation=True,
        auto_register=False,
    ) as d:

        @task(task_id="report_invalid_config")
        def report() -> None:
            raise ValueError(message)

        report()
    return d


def build_all() -> dict[str, DAG]:
    """Every DAG for every cohort file, in a stable order (cohort file name, then stage).

    Each cohort is built inside its own error boundary: whatever fails while reading its file or
    building its DAGs gives that cohort one paused ``…__invalid_config`` DAG naming the problem, and
    none of its stage DAGs (they are not auto-registered, so a half-built cohort leaves nothing
    behind); every other cohort is built as usual.
    """
    configs, errors = load_cohorts()
    dags: dict[str, DAG] = {}
    for config in configs:
        try:
            dags.update(build_cohort_dags(config))
        except Exception as exc:  # one cohort's failure must not remove the other cohorts' DAGs
            log.exception("mentorflow: cannot build the DAGs of cohort %s", config.cohort)
            errors.append(CohortConfigError(config.source_path or f"{config.cohort}.yaml", [
                f"its DAGs could not be built ({type(exc).__name__}: {str(exc)[:300]})"]))
    for error in errors:
        log.error("mentorflow: skipping invalid cohort file %s", error)
        try:
            d = invalid_config_dag(error)
        except Exception:  # never let the report of one broken file break the others
            log.exception("mentorflow: cannot show the invalid cohort file %s", error.path)
            continue
        dags[d.dag_id] = d
    return dags
