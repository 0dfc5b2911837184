"""One DAG per (cohort, stage), generated from the cohort YAML files.

Parse time reads YAML files only: no database, no connection, no heavy import.
The tasks call :mod:`mentorflow.orchestration.runtime`, which imports the domain modules when
a task runs.

Schedules: time-based stages run on the cohort calendar (``EventsTimetable``);
data-dependent stages are chained by Assets, so they run when their input is ready:

    open ─┬─ intake (every intake_check_every_hours while the window is open)
          └─ validate (window close) ──▶ Asset validated ──▶ match ──▶ Asset approved ──▶ kickoff
    pulse (each cadence after kickoff) · midpoint (calendar) · closeout (calendar)
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, task

# The SDK's EventsTimetable cannot be serialized in Airflow 3.3.2 (its encoder drops
# '_summary', which the core class requires on decode); the core class round-trips.
from airflow.timetables.events import EventsTimetable

from mentorflow.cohorts.config import STAGES, CohortConfig, load_cohorts
from mentorflow.errors import CohortConfigError

log = logging.getLogger(__name__)

TAGS = ["mentorflow"]
# DAGs started by events rather than the calendar, built after the lifecycle stages
EVENT_STAGES: tuple[str, ...] = ("triage",)
DAG_STAGES: tuple[str, ...] = (*STAGES, *EVENT_STAGES)


def dag_id(cohort: str, stage: str) -> str:
    return f"mentorflow__{cohort}__{stage}"


def asset(cohort: str, name: str) -> Asset:
    return Asset(name=f"{cohort}.{name}", uri=f"mentorflow://{cohort}/{name}", group="mentorflow")


def _pendulum(moment: dt.datetime) -> pendulum.DateTime:
    return pendulum.instance(moment).in_timezone("UTC")


def _events(config: CohortConfig, moments: list[dt.datetime], what: str) -> EventsTimetable:
    return EventsTimetable(
        event_dates=[_pendulum(config.at(m)) for m in moments],
        restrict_to_events=False,
        description=f"{what} ({len(moments)} event{'s' if len(moments) != 1 else ''})",
    )


def _intake_moments(config: CohortConfig) -> list[dt.datetime]:
    cal = config.calendar
    step = dt.timedelta(hours=cal.intake_check_every_hours)
    opened, closed = config.at(cal.application_open), config.at(cal.application_close)
    moments, moment = [], opened + step
    while moment < closed:
        moments.append(moment)
        moment += step
    return moments or [opened + (closed - opened) / 2]


def _step(stage: str, step: str, *, first: bool = False, last: bool = False, outlets: list | None = None,
          task_id: str | None = None, **kw: Any):
    """A task that runs ``mentorflow.orchestration.runtime.run_step`` for one pipeline step."""

    @task(task_id=task_id or step, outlets=outlets or [], **kw)
    def _run(cohort_id: str, **context: Any) -> dict[str, Any]:
        from mentorflow.orchestration.runtime import run_step

        return run_step(cohort_id, stage, step, context, first=first, last=last)

    return _run


def _branch(task_id: str, chooser: str):
    """A branch task for stages that run at several kinds of moment: ``mentorflow.orchestration.runtime.<chooser>``
    picks the path from the run's moment."""

    @task.branch(task_id=task_id)
    def _choose(cohort_id: str, **context: Any) -> str:
        from mentorflow.orchestration import runtime

        return getattr(runtime, chooser)(cohort_id, context)

    return _choose


def _common(config: CohortConfig, stage: str, schedule: Any, doc: str) -> dict[str, Any]:
    start = _pendulum(config.at(config.calendar.application_open)) - dt.timedelta(days=1)
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
    )


def _committee_text(propose_task_id: str) -> str:
    return "{{ ti.xcom_pull(task_ids='" + propose_task_id + "')['committee_text'] }}"


def _reviewers(config: CohortConfig) -> dict[str, Any]:
    return {"response_timeout": dt.timedelta(hours=config.committee.timeout_hours),
            "assigned_users": [{"id": u, "name": u} for u in config.committee.reviewers] or None}


def _approval(config: CohortConfig, propose_task_id: str, round_name: str, task_id: str = "committee_approval"):
    from airflow.providers.standard.operators.hitl import ApprovalOperator

    return ApprovalOperator(task_id=task_id, subject=f"{config.name}: approve the {round_name} matches?",
                            body=_committee_text(propose_task_id), **_reviewers(config))


def _review_with_resolve(config: CohortConfig, c: str, proposed, approve) -> None:
    """Committee review of the initial matches: Approve, Reject, or Re-solve with locks and forbids,
    then a second approval of the re-solved proposal (one re-solve round)."""
    from airflow.providers.standard.operators.hitl import HITLOperator
    from airflow.sdk import Param

    from mentorflow.matching import committee

    review = HITLOperator(
        task_id="committee_approval", subject=f"{config.name}: approve the initial matches?",
        body=_committee_text("propose_matches"), options=committee.OPTIONS, defaults=[committee.REJECT],
        params={
            "locks": Param("", type="string", title="Locks (Re-solve)",
                           description="pairs that must be made: mentor_id:mentee_id;mentor_id:mentee_id"),
            "forbids": Param("", type="string", title="Forbids (Re-solve)",
                             description="pairs that must not be made: mentor_id:mentee_id;..."),
        },
        **_reviewers(config))

    @task.branch(task_id="committee_decision")
    def decide(**context: Any) -> list[str]:
        answer = committee.decision(context["ti"].xcom_pull(task_ids="committee_approval"))
        return {committee.APPROVE: ["approve_matches"], committee.RESOLVE: ["resolve_matches"]}.get(answer, [])

    resolved = _step("match", "resolve_matches")(c)
    approve_resolved = _step("match", "approve_matches", task_id="approve_resolved_matches", last=True,
                             outlets=[asset(c, "approved")])(c)
    branch = decide()
    proposed >> review >> branch >> [approve, resolved]
    resolved >> _approval(config, "resolve_matches", "re-solved initial", "committee_reapproval") >> approve_resolved


def build_cohort_dags(config: CohortConfig) -> dict[str, DAG]:
    """The eight stage DAGs of one cohort in lifecycle order, then its event-triggered DAGs, keyed by dag_id."""
    c = config.cohort
    cal = config.calendar
    hitl = config.committee.review_mode == "hitl"
    dags: dict[str, DAG] = {}

    with DAG(**_common(config, "open", _events(config, [cal.application_open], "window opens"),
                       "Import the roster, compute eligibility, email invitations.")) as d:
        roster = _step("open", "import_roster", first=True, outlets=[asset(c, "roster")])(c)
        roster >> _step("open", "send_invitations", last=True)(c)
    dags[d.dag_id] = d

    with DAG(**_common(config, "intake", _events(config, _intake_moments(config), "intake checks"),
                       "Import collected applications, remind non-applicants, ask for missing answers.")) as d:
        imported = _step("intake", "import_applications", first=True, outlets=[asset(c, "applications")])(c)
        imported >> _step("intake", "send_reminders")(c) >> _step("intake", "send_gapfill", last=True)(c)
    dags[d.dag_id] = d

    with DAG(**_common(config, "validate", _events(config, [cal.application_close], "window closes"),
                       "Freeze applications, run the quality gate, quarantine bad rows.")) as d:
        _step("validate", "import_applications", first=True)(c) >> _step(
            "validate", "validate_applications", last=True, outlets=[asset(c, "validated")])(c)
    dags[d.dag_id] = d

    with DAG(**_common(config, "match", [asset(c, "validated")],
                       "Score and pair, then the committee approves.")) as d:
        proposed = _step("match", "propose_matches", first=True)(c)
        approve = _step("match", "approve_matches", last=True, outlets=[asset(c, "approved")])(c)
        if hitl:
            _review_with_resolve(config, c, proposed, approve)
        else:
            proposed >> approve
    dags[d.dag_id] = d

    with DAG(**_common(config, "kickoff", [asset(c, "approved")],
                       "Introduce every approved pair by email.")) as d:
        _step("kickoff", "send_kickoff", first=True, last=True, outlets=[asset(c, "active_pairs")])(c)
    dags[d.dag_id] = d

    pulse_moments = sorted(config.pulse_dates() + config.pulse_reminder_dates()) or [cal.midpoint]
    with DAG(**_common(config, "pulse", _events(config, pulse_moments, "pulse surveys and reminders"),
                       "At a pulse date: assess last period's pair health, then send this period's survey. "
                       "At a reminder date: remind partners who have not answered.")) as d:
        branch = _branch("survey_or_reminder", "pulse_branch")(c)
        branch >> _step("pulse", "assess_health")(c) >> _step("pulse", "send_pulse", last=True)(c)
        branch >> _step("pulse", "send_pulse_reminders", last=True)(c)
    dags[d.dag_id] = d

    with DAG(**_common(config, "midpoint", _events(config, [cal.midpoint], "midpoint"),
                       "Re-match at-risk pairs and requesters; healthy pairs stay.")) as d:
        proposed = _step("midpoint", "rematch", first=True)(c)
        activate = _step("midpoint", "activate_rematches", last=True, outlets=[asset(c, "rematched")])(c)
        if hitl:
            proposed >> _approval(config, "rematch", "midpoint") >> activate
        else:
            proposed >> activate
    dags[d.dag_id] = d

    closeout_moments = list(config.closeout_dates().values())
    with DAG(**_common(config, "closeout", _events(config, closeout_moments, "close-out survey, reminder, report"),
                       "At close-out: evaluation survey, final health, pairs completed. Halfway through the "
                       "evaluation window: remind non-respondents. When it closes: the HR report.")) as d:
        branch = _branch("closeout_step", "closeout_branch")(c)
        branch >> _step("closeout", "send_closeout_survey")(c) >> _step("closeout", "assess_final_health")(c) >> _step(
            "closeout", "complete_pairs", last=True)(c)
        branch >> _step("closeout", "send_closeout_reminders", last=True)(c)
        branch >> _step("closeout", "build_hr_report", last=True, outlets=[asset(c, "hr_report")])(c)
    dags[d.dag_id] = d

    with DAG(**{**_common(config, "triage", None, "Record a participant's wish to end or re-match a pair "
                          "and email ops (triggered by the forms app with conf {match_id, reason, requester})."),
                # unpaused from the start: a triggered run of a paused DAG would wait unseen
                "catchup": False, "max_active_runs": 16, "is_paused_upon_creation": False}) as d:
        _step("triage", "record_triage", first=True, last=True)(c)
    dags[d.dag_id] = d

    assert [k.rsplit("__", 1)[1] for k in dags] == list(DAG_STAGES)
    return dags


def _invalid_config_dag(error: CohortConfigError) -> DAG:
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
        d = _invalid_config_dag(error)
        dags[d.dag_id] = d
    return dags
