"""The stage DAGs without a committee step: open, intake, validate, kickoff, alternatives, pulse, close-out,
retention, triage (the self-selection DAG: :mod:`.selection_dags`).

Each task is a named function whose body imports its stage when the task runs (parse-time hygiene:
the DAG processor must not import pandas, SQLAlchemy or the matcher) and hands it to
:func:`~mentorflow.orchestration.tasks.run_stage` with the run's context.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, task

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.orchestration.wiring import asset, dag_arguments, stage_task, timetable

# task bodies import their stage lazily: parse-time hygiene (see the module docstring)
# ruff: noqa: PLC0415


def open_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "open", timetable(config, "open", "window opens"),
                             "Import the roster, compute eligibility, email invitations.")) as dag:

        @stage_task(outlets=[asset(c, "roster")])
        def import_roster(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Import the HRIS roster through the roster gate and decide who is eligible."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import open as stage

            return run_stage(stage.import_roster, cohort_id, context)

        @stage_task
        def send_invitations(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Invite every eligible person with a personal link to the application form."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import open as stage

            return run_stage(stage.send_invitations, cohort_id, context)

        import_roster(c) >> send_invitations(c)
    return dag


@stage_task
def import_applications(cohort_id: str, **context: Any) -> dict[str, Any]:
    """Import applications collected elsewhere (the cohort's applications CSV) through the intake gate."""
    from mentorflow.orchestration.tasks import run_stage
    from mentorflow.stages import intake

    return run_stage(intake.import_applications, cohort_id, context)


def intake_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "intake", timetable(config, "intake", "intake checks"),
                             "Import collected applications, remind non-applicants, ask for missing answers.")) as dag:

        @stage_task
        def send_reminders(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Remind eligible people who have not applied (once per reminder wave)."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import intake

            return run_stage(intake.send_reminders, cohort_id, context)

        @stage_task
        def send_gapfill(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Ask applicants with incomplete answers to complete them."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import intake

            return run_stage(intake.send_gapfill, cohort_id, context)

        imported = import_applications.override(outlets=[asset(c, "applications")])(c)
        imported >> send_reminders(c) >> send_gapfill(c)
    return dag


def validate_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "validate", timetable(config, "validate", "window closes"),
                             "Freeze applications, run the quality gate, quarantine bad rows.")) as dag:

        @stage_task(outlets=[asset(c, "validated")])
        def validate_applications(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Freeze applications through the applications gate; ask those held for missing answers."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import validate

            return run_stage(validate.validate_applications, cohort_id, context)

        @stage_task
        def send_recommendations(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Self-selection (when on): recommend each mentee their best mentors and send the link to choose."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import selection

            return run_stage(selection.send_recommendations, cohort_id, context)

        import_applications(c) >> validate_applications(c) >> send_recommendations(c)
    return dag


def kickoff_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "kickoff", [asset(c, "approved")], "Introduce every approved pair by email, "
                             "then offer everyone without a partner a circle, written mentoring or the waitlist.")) as dag:

        @stage_task(outlets=[asset(c, "active_pairs")])
        def send_kickoff(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Introduce both partners of every approved pair, then mark the pairs active."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import kickoff

            return run_stage(kickoff.send_kickoff, cohort_id, context)

        @stage_task
        def offer_alternatives(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Offer everyone without a one-to-one partner a circle, written mentoring or the waitlist."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import alternatives

            return run_stage(alternatives.offer_alternatives, cohort_id, context)

        send_kickoff(c) >> offer_alternatives(c)
    return dag


def alternatives_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "alternatives", timetable(config, "alternatives", "offers' deadline"),
                             "At the offers' deadline: start the chosen circles and written mentoring, keep "
                             "the waitlist.")) as dag:

        @stage_task
        def start_alternatives(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Apply everyone's choice; introduce circle members and written-mentoring pairs."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import alternatives

            return run_stage(alternatives.start_alternatives, cohort_id, context)

        start_alternatives(c)
    return dag


def pulse_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "pulse", timetable(config, "pulse", "pulse surveys and reminders"),
                             "At a pulse date: assess last period's pair health, then send this period's survey. "
                             "At a reminder date: remind partners who have not answered.")) as dag:

        @task.branch
        def survey_or_reminder(cohort_id: str, **context: Any) -> str:
            """A pulse date assesses and surveys; a reminder date reminds (from the cohort calendar)."""
            from mentorflow.orchestration.tasks import choose

            return {"survey": "assess_health", "reminder": "send_pulse_reminders"}[
                choose(calendar.pulse_action, cohort_id, context)]

        @stage_task
        def assess_health(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Score the period that just closed and alert ops about pairs at risk."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import pulse

            return run_stage(pulse.assess_previous_period, cohort_id, context)

        @stage_task
        def send_pulse(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Send this period's check-in to every partner of an active pair."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import pulse

            return run_stage(pulse.send_pulse, cohort_id, context)

        @stage_task
        def send_pulse_reminders(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Remind partners who have not answered this period's check-in."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import pulse

            return run_stage(pulse.send_pulse_reminders, cohort_id, context)

        branch = survey_or_reminder(c)
        branch >> assess_health(c) >> send_pulse(c)
        branch >> send_pulse_reminders(c)
    return dag


def closeout_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "closeout", timetable(config, "closeout", "close-out survey, reminder, report"),
                             "At close-out: evaluation survey, final health, pairs completed. Halfway through the "
                             "evaluation window: remind non-respondents. When it closes: the HR report.")) as dag:

        @task.branch
        def closeout_step(cohort_id: str, **context: Any) -> str:
            """Which of its three runs this is: survey, reminder or report (from the cohort calendar)."""
            from mentorflow.orchestration.tasks import choose

            return {"survey": "send_closeout_survey", "reminder": "send_closeout_reminders",
                    "report": "build_hr_report"}[choose(calendar.closeout_action, cohort_id, context)]

        @stage_task
        def send_closeout_survey(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Send the evaluation to every mentor and mentee who took part."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import closeout

            return run_stage(closeout.send_closeout_survey, cohort_id, context)

        @stage_task
        def assess_final_health(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Score the last pulse period."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import closeout

            return run_stage(closeout.assess_final_health, cohort_id, context)

        @stage_task
        def complete_pairs(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Mark every pair still active as completed."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import closeout

            return run_stage(closeout.complete_pairs, cohort_id, context)

        @stage_task
        def send_closeout_reminders(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Remind participants who have not evaluated the program."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import closeout

            return run_stage(closeout.send_closeout_reminders, cohort_id, context)

        @stage_task(outlets=[asset(c, "hr_report")])
        def build_hr_report(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Write the HR report (HTML, PDF, CSV) and tell HR."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import closeout

            return run_stage(closeout.build_hr_report, cohort_id, context)

        branch = closeout_step(c)
        branch >> send_closeout_survey(c) >> assess_final_health(c) >> complete_pairs(c)
        branch >> send_closeout_reminders(c)
        branch >> build_hr_report(c)
    return dag


def retention_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    with DAG(**dag_arguments(config, "retention", timetable(config, "retention", "free text purged"),
                             f"{config.retention_days} days after the HR report: purge free-text answers, comments "
                             "and the outbox; aggregates and reports stay.")) as dag:

        @stage_task
        def purge_free_text(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Purge the cohort's free text and emails (only aggregates remain)."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import retention

            return run_stage(retention.purge_free_text, cohort_id, context)

        purge_free_text(c)
    return dag


def triage_dag(config: CohortConfig) -> DAG:
    c = config.cohort
    # unpaused from the start: a triggered run of a paused DAG would wait unseen
    with DAG(**dag_arguments(config, "triage", None, "Record a participant's wish to end or re-match a pair and "
                             "email ops (triggered by the forms app with conf {match_id, reason, requester}).",
                             catchup=False, max_active_runs=16, is_paused_upon_creation=False)) as dag:

        @stage_task
        def record_triage(cohort_id: str, **context: Any) -> dict[str, Any]:
            """Record the request and email ops once about it."""
            from mentorflow.orchestration.tasks import run_stage
            from mentorflow.stages import triage

            conf = dict(getattr(context.get("dag_run"), "conf", None) or {})
            return run_stage(triage.record_triage, cohort_id, context, conf)

        record_triage(c)
    return dag
