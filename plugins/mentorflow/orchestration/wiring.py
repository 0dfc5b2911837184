"""What every stage DAG shares: its id, its Assets, its timetable from the cohort calendar, its defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import Asset

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
