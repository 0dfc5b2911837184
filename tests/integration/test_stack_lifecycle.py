"""A live cohort on the distributed stack: CeleryExecutor, PostgreSQL, Redis, real timetables.

The module's one cohort (see ``conftest.live_cohort``) runs from application window to
close-out on the scheduler's own timetables and assets, its calendar released stage by stage
as the run progresses (``integration.pacing``), so no test here depends on how fast the
machine is; the committee answers through the REST API and the Celery worker is killed with
``kill -9`` while an intake task runs. The tests then read what happened from Airflow's REST
API, the program store and the outbox.
"""

from __future__ import annotations

import csv
import datetime as dt
import email

import pytest
from mentorflow.cohorts import calendar

# the timeout only catches a hang: about 10 minutes on a shared 2-core machine, however loaded
pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(60 * 60)]

STAGES = ("open", "intake", "validate", "match", "kickoff", "pulse", "midpoint", "closeout")
TIMETABLE_STAGES = ("open", "intake", "validate", "pulse", "midpoint", "closeout")


def _dag(config, stage: str) -> str:
    return f"mentorflow__{config.cohort}__{stage}"


def _sent_emails(stack, store, cohort: str):
    from mentorflow.store import email_ledger

    ledger = [r for r in store.rows(email_ledger, cohort_id=cohort) if r["status"] == "sent"]
    files = sorted((stack.home / "outbox" / cohort).rglob("*.eml"))
    return ledger, files


def _ledger_state(stack, store, cohort: str) -> tuple[list, int]:
    ledger, files = _sent_emails(stack, store, cohort)
    return sorted((r["person_id"], r["template"], r["period"], r["attempts"]) for r in ledger), len(files)


def test_every_stage_runs_on_the_scheduler_clock(stack, live_cohort):
    from mentorflow.store import matches, reports

    config, store, _ = live_cohort
    for stage in STAGES:
        states = [r["state"] for r in stack.dag_runs(_dag(config, stage))]
        assert "success" in states and "failed" not in states, f"{stage}: {states}"
    scheduled_pulses = [r for r in stack.dag_runs(_dag(config, "pulse")) if r["run_type"] == "scheduled"]
    assert len(scheduled_pulses) == len(calendar.pulse_dates(config))
    # the scheduler started every calendar stage at exactly its calendar's moments: one run each, no other
    for stage in TIMETABLE_STAGES:
        ran = sorted(dt.datetime.fromisoformat(r["logical_date"]) for r in stack.dag_runs(_dag(config, stage))
                     if r["run_type"] == "scheduled")
        assert ran == calendar.scheduled_moments(config, stage), stage
    assert [len(calendar.scheduled_moments(config, s)) for s in TIMETABLE_STAGES] == [1, 1, 1, 2, 1, 3]
    triaged = [r["state"] for r in stack.dag_runs(_dag(config, "triage"))]
    assert triaged and set(triaged) == {"success"}, triaged  # the re-match request was triaged
    assert store.count(matches, cohort_id=config.cohort, status="completed") > 0
    assert store.count(matches, cohort_id=config.cohort, status="ended") >= 1  # the partner who asked to end
    assert store.count(reports, cohort_id=config.cohort, kind="hr-report") == 1


def test_committee_approves_through_the_rest_api(live_cohort):
    from mentorflow.store import matches

    config, store, run = live_cohort
    assert sorted(a["dag_id"] for a in run.approvals) == [_dag(config, "match"), _dag(config, "midpoint")]
    assert all(a["chosen"] == ["Approve"] and a["responded_by"]["name"] == "admin" for a in run.approvals)
    assert store.count(matches, cohort_id=config.cohort, round="initial") > 0


def test_worker_killed_mid_stage_loses_no_application_and_sends_no_email_twice(stack, live_cohort):
    from mentorflow.store import applications, quarantine

    config, store, run = live_cohort
    assert run.killed is not None, "the worker was never seen running an intake task"
    killed = run.killed
    retried = next(ti for ti in stack.task_instances(killed["dag_id"], killed["run_id"])
                   if ti["task_id"] == killed["task_id"])
    assert retried["state"] == "success"
    assert retried["try_number"] > killed["try_number"], "Airflow did not retry the orphaned task"

    with open(config.resolve(config.sources.applications_csv), newline="", encoding="utf-8") as handle:
        submitted = {row["employee_id"] for row in csv.DictReader(handle)}
    kept = {r["employee_id"] for r in store.rows(applications, cohort_id=config.cohort)}
    set_aside = {r["record_key"] for r in store.rows(quarantine, cohort_id=config.cohort, gate="intake")}
    assert submitted <= kept | set_aside, f"lost applications: {sorted(submitted - kept - set_aside)[:10]}"

    ledger, files = _sent_emails(stack, store, config.cohort)
    assert ledger and len(files) == len(ledger)
    # every key went to the backend once: one email per person and period, even for a mentor of two
    resent = [(r["person_id"], r["template"], r["period"]) for r in ledger if r["attempts"] != 1]
    assert resent == []
    on_disk = sorted(email.message_from_bytes(f.read_bytes())["Message-ID"] for f in files)
    assert on_disk == sorted(r["message_id"] for r in ledger)
    assert len(set(on_disk)) == len(on_disk)


def test_form_event_reaches_airflow_through_its_rest_api(stack, live_cohort, progress):
    """A participant's re-match request, posted to the forms app inside the api-server with a signed link,
    starts the cohort's triage DAG through the REST API, once. How long that takes is measured and
    shown (benchmarks/bench_stack.py reports it), not asserted."""
    from mentorflow.forms import events
    from mentorflow.store import email_ledger, form_events, matches, triage_requests

    config, store, run = live_cohort
    event = run.form_event
    assert event is not None and event.status_code == 200
    progress(f"re-match form post → triage task running {event.to_running_s:.1f}s, → run finished "
             f"{event.to_finished_s:.1f}s (delivered by {event.delivered_by})")
    assert event.state == "success"
    # the request went into the app's event outbox and from there to Airflow's REST API, as one run whose
    # id is the event's: delivered once, never triggered twice
    [queued] = store.rows(form_events, cohort_id=config.cohort, match_id=event.match_id)
    assert (queued["reason"], queued["requester_id"], queued["status"]) == ("rematch", event.requester, "delivered")
    assert queued["dag_run_id"] == events.run_id_for(queued) == event.run_id
    triage_runs = [r["dag_run_id"] for r in stack.dag_runs(_dag(config, "triage"))]
    assert triage_runs == [event.run_id]
    recorded = store.rows(triage_requests, cohort_id=config.cohort, match_id=event.match_id)
    assert [(r["reason"], r["requester_id"]) for r in recorded] == [("rematch", event.requester)]
    assert len([r for r in store.rows(email_ledger, cohort_id=config.cohort, template="triage")
                if r["status"] == "sent"]) == 1
    # and the midpoint honoured the request: that pair was ended
    assert store.rows(matches, match_id=event.match_id)[0]["status"] == "ended"
