"""Run one pipeline step inside an Airflow task: load the cohort, open the store, record the run.

Kept apart from the DAG factory so that DAG files import nothing heavy at parse time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

from mentorflow.cohorts.config import CohortConfig, find_cohort
from mentorflow.errors import GateFailure
from mentorflow.stages import pipeline
from mentorflow.store import Store

log = logging.getLogger("mentorflow")


def moment_of(context: dict[str, Any]) -> dt.datetime:
    """The run's moment: its logical date, else when it was due (asset-triggered runs have no logical date)."""
    for key in ("logical_date",):
        value = context.get(key)
        if value is not None:
            return dt.datetime.fromtimestamp(value.timestamp(), dt.timezone.utc)
    run = context.get("dag_run")
    after = getattr(run, "run_after", None)
    if after is not None:
        return dt.datetime.fromtimestamp(after.timestamp(), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def _with_committee_text(round_name: str, fn: Callable) -> Callable:
    def step(config: CohortConfig, store: Store, now: dt.datetime, *args: Any) -> dict[str, Any]:
        summary = fn(config, store, now, *args)
        summary["committee_text"] = pipeline.committee_summary(config, store, round_name, summary.get("notes", []))
        return summary

    return step


def _midpoint(config: CohortConfig, store: Store, now: dt.datetime) -> dict[str, Any]:
    health = pipeline.assess_health(config, store, pipeline.pulse_period(config, now) if config.pulse_dates() else None)
    return {"health": health, **pipeline.rematch(config, store)}


def _pulse_assess(config: CohortConfig, store: Store, now: dt.datetime) -> dict[str, Any]:
    return pipeline.assess_health(config, store, pipeline.previous_period(config, pipeline.pulse_period(config, now)))


def _final_assess(config: CohortConfig, store: Store, now: dt.datetime) -> dict[str, Any]:
    if not config.pulse_dates():
        return {"assessed": 0, "note": "no pulse periods"}
    return pipeline.assess_health(config, store, pipeline.pulse_period(config, now))


def pulse_branch(cohort_id: str, context: dict[str, Any]) -> str:
    """The pulse DAG runs at survey dates and at reminder dates: pick the path for this run."""
    config = find_cohort(cohort_id)
    now = moment_of(context)
    run_id = str(getattr(context.get("dag_run"), "run_id", None) or "manual")
    Store.for_cohort(config).stage_started(cohort_id, "pulse", run_id)
    reminders = {m.replace(microsecond=0) for m in config.pulse_reminder_dates()}
    return "send_pulse_reminders" if now.replace(microsecond=0) in reminders else "assess_health"


def closeout_branch(cohort_id: str, context: dict[str, Any]) -> str:
    """The close-out DAG runs three times: survey, reminder, report; pick the path for this run."""
    config = find_cohort(cohort_id)
    now = moment_of(context).replace(microsecond=0)
    run_id = str(getattr(context.get("dag_run"), "run_id", None) or "manual")
    Store.for_cohort(config).stage_started(cohort_id, "closeout", run_id)
    dates = {name: moment.replace(microsecond=0) for name, moment in config.closeout_dates().items()}
    if now >= dates["report"]:
        return "build_hr_report"
    return "send_closeout_reminders" if now >= dates["reminder"] else "send_closeout_survey"


STEPS: dict[str, Callable[[CohortConfig, Store, dt.datetime], dict[str, Any]]] = {
    "import_roster": lambda c, s, now: pipeline.import_roster(c, s, now.date()),
    "send_invitations": lambda c, s, now: pipeline.send_invitations(c, s),
    "import_applications": lambda c, s, now: pipeline.import_applications(c, s),
    "send_reminders": lambda c, s, now: pipeline.send_reminders(c, s, now),
    "send_gapfill": lambda c, s, now: pipeline.send_gapfill(c, s),
    "validate_applications": lambda c, s, now: pipeline.validate_applications(c, s),
    "propose_matches": _with_committee_text("initial", lambda c, s, now: pipeline.propose_matches(c, s)),
    "approve_matches": lambda c, s, now: pipeline.approve_matches(c, s),
    "send_kickoff": lambda c, s, now: pipeline.send_kickoff(c, s),
    "assess_health": _pulse_assess,
    "send_pulse": lambda c, s, now: pipeline.send_pulse(c, s, pipeline.pulse_period(c, now)),
    "send_pulse_reminders": lambda c, s, now: pipeline.send_pulse_reminders(c, s, pipeline.pulse_period(c, now)),
    "rematch": _with_committee_text("midpoint", _midpoint),
    "activate_rematches": lambda c, s, now: pipeline.activate_rematches(c, s),
    "send_closeout_survey": lambda c, s, now: pipeline.send_closeout_survey(c, s),
    "send_closeout_reminders": lambda c, s, now: pipeline.send_closeout_reminders(c, s),
    "assess_final_health": _final_assess,
    "complete_pairs": lambda c, s, now: pipeline.complete_pairs(c, s),
    "build_hr_report": lambda c, s, now: pipeline.build_hr_report(c, s),
}


# steps of DAGs triggered with a conf (``mentorflow__<cohort>__triage``, from the forms app)
TRIGGERED_STEPS: dict[str, Callable[[CohortConfig, Store, dict[str, Any], str], dict[str, Any]]] = {
    "record_triage": pipeline.record_triage,
}

# steps that read an upstream answer from the task context: the committee's HITL response
CONTEXT_STEPS: dict[str, Callable[[CohortConfig, Store, dt.datetime, dict[str, Any]], dict[str, Any]]] = {
    "resolve_matches": _with_committee_text("initial", lambda c, s, now, context: pipeline.resolve_matches(
        c, s, context["ti"].xcom_pull(task_ids="committee_approval"))),
}


def run_step(cohort_id: str, stage: str, step: str, context: dict[str, Any], *, first: bool = False,
             last: bool = False) -> dict[str, Any]:
    """Run a step; a hard gate failure fails the task without retries."""
    config = find_cohort(cohort_id)
    store = Store.for_cohort(config)
    run_id = str(getattr(context.get("dag_run"), "run_id", None) or context.get("run_id") or "manual")
    now = moment_of(context)
    if first:
        store.stage_started(cohort_id, stage, run_id)
    log.info("mentorflow %s/%s/%s at %s (store: %s)", cohort_id, stage, step, now.isoformat(), store.dialect)
    try:
        if step in TRIGGERED_STEPS:
            conf = dict(getattr(context.get("dag_run"), "conf", None) or {})
            summary = TRIGGERED_STEPS[step](config, store, conf, run_id)
        elif step in CONTEXT_STEPS:
            summary = CONTEXT_STEPS[step](config, store, now, context)
        else:
            summary = STEPS[step](config, store, now)
    except GateFailure as exc:
        from airflow.sdk.exceptions import AirflowFailException

        store.stage_failed(cohort_id, stage, run_id, str(exc))
        raise AirflowFailException(str(exc)) from exc
    store.stage_step_done(cohort_id, stage, run_id, step, summary, last=last)
    log.info("mentorflow %s: %s", step, json.dumps(summary, default=str))
    return summary
