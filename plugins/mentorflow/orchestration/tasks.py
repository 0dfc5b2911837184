"""Running a stage function inside an Airflow task: the cohort, its store and the run's moment in;
the stage's summary out (Airflow keeps it as the task's return value).

Imported only inside task bodies, never by the DAG files at parse time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from mentorflow.cohorts.loader import find_cohort
from mentorflow.errors import GateFailure
from mentorflow.privacy import redact
from mentorflow.stages.common import CohortRun
from mentorflow.store import Store

log = logging.getLogger("mentorflow")

StageFunction = Callable[..., dict[str, Any]]


def moment_of(context: dict[str, Any]) -> dt.datetime:
    """The run's moment: its logical date, else when it was due (asset-triggered and REST-triggered runs
    have no logical date). Never the wall clock, so a re-run or a backfill sees the same moment."""
    run = context.get("dag_run")
    for value in (context.get("logical_date"), getattr(run, "logical_date", None), getattr(run, "run_after", None)):
        if value is not None:
            return dt.datetime.fromtimestamp(value.timestamp(), dt.timezone.utc)
    raise ValueError("the task context has neither a logical date nor a run_after: cannot tell the run's moment")


def cohort_run(cohort_id: str, context: dict[str, Any]) -> CohortRun:
    config = find_cohort(cohort_id)
    run_id = str(getattr(context.get("dag_run"), "run_id", None) or context.get("run_id") or "manual")
    return CohortRun(config=config, store=Store.for_cohort(config), moment=moment_of(context), run_id=run_id)


def run_stage(stage_function: StageFunction, cohort_id: str, context: dict[str, Any], *args: Any) -> dict[str, Any]:
    """Run one stage function for the task's cohort and moment; a hard gate failure fails the task
    without retries (retrying cannot fix the data)."""
    run = cohort_run(cohort_id, context)
    name = f"{stage_function.__module__.rsplit('.', 1)[-1]}.{stage_function.__name__}"
    log.info("mentorflow %s: %s at %s (store: %s)", cohort_id, name, run.moment.isoformat(), run.store.dialect)
    try:
        summary = stage_function(run, *args)
    except GateFailure as exc:
        raise AirflowFailException(str(exc)) from exc
    brief = json.dumps({k: v for k, v in summary.items() if k != "committee_text"}, default=str)
    log.info("mentorflow %s: %s", name, redact(brief))
    return summary


def choose(chooser: Callable[..., str], cohort_id: str, context: dict[str, Any]) -> str:
    """A branch decision from the cohort's calendar at the run's moment."""
    return chooser(find_cohort(cohort_id), moment_of(context))
