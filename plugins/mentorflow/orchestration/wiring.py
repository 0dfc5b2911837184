"""What every stage DAG shares: its id, its Assets, its timetable from the cohort calendar, its defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import Asset, task

# The SDK's EventsTimetable cannot be serialized in Airflow 3.3.2 (its encoder drops
# '_summary', which the core class requires on decode); the core class round-trips.
from airflow.timetables.events import EventsTimetable

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig

TAGS = ["mentorflow"]
# DAGs started by events rather than the calendar, built after the lifecycle stages
EVENT_STAGES: tuple[str, ...] = ("triage",)
DAG_STAGES: tuple[str, ...] = (*calendar.STAGES, *EVENT_STAGES)


def dag_id(cohort: str, stage: str) -> str:
    return f"mentorflow__{cohort}__{stage}"


def asset(cohort: str, name: str) -> Asset:
    return Asset(name=f"{cohort}.{name}", uri=f"mentorflow://{cohort}/{name}", group="mentorflow")


def stage_task(function: Any = None, /, **kwargs: Any) -> Any:
    """``@task`` for a stage, whose summary dict is one XCom (``return_value``) and nothing more.

    TaskFlow reads a ``-> dict`` annotation as ``multiple_outputs=True`` and then also pushes every key of the
    summary as an XCom of its own: one more call to Airflow's Execution API and one more metadata row per key,
    which nothing reads (the committee steps and ``mentorflow status`` pull ``return_value``)."""
    decorate = task(multiple_outputs=False, **kwargs)
    return decorate(function) if function is not None else decorate


def _pendulum(moment: dt.datetime) -> pendulum.DateTime:
    return pendulum.instance(moment).in_timezone("UTC")


def timetable(config: CohortConfig, stage: str, what: str) -> EventsTimetable:
    """The stage's runs as the calendar lists them."""
    moments = calendar.scheduled_moments(config, stage) or [calendar.midpoint(config)]
    return EventsTimetable(
        event_dates=[_pendulum(m) for m in moments],
        restrict_to_events=False,
        description=f"{what} ({len(moments)} event{'s' if len(moments) != 1 else ''})",
    )


def dag_arguments(config: CohortConfig, stage: str, schedule: Any, doc: str, **overrides: Any) -> dict[str, Any]:
    start = _pendulum(calendar.window(config)[0]) - dt.timedelta(days=1)
    return dict(
        dag_id=dag_id(config.cohort, stage),
        schedule=schedule,
        start_date=start,
        catchup=True,
        max_active_runs=1,
        tags=[*TAGS, config.cohort, stage],
        doc_md=f"**{config.name}**: {stage} stage. {doc}",
        default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
        params={},
        auto_register=False,  # only what build_all returns is a DAG: a cohort that fails half-built leaves nothing
    ) | overrides
