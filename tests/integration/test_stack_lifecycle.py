"""A live cohort on the distributed stack: CeleryExecutor, PostgreSQL, Redis, real timetables.

The module's one cohort (see ``conftest.live_cohort``) runs from application window to
close-out on the scheduler's own clock; the committee answers through the REST API and
the Celery worker is killed with ``kill -9`` while an intake task runs. The tests then
read what happened from Airflow's REST API, the program store and the outbox.
"""

from __future__ import annotations

import csv
import email

import pytest

from integration.cohort_run import event_latency

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow]

STAGES = ("open", "intake", "validate", "match", "kickoff", "pulse", "midpoint", "closeout")
PER_PAIR_TEMPLATES = {"kickoff", "pulse", "rematch"}  # one message per pair, keyed per person (see the crash test)


def _dag(config, stage: str) -> str:
    return f"mentorflow__{config.cohort}__{stage}"


def _people_with_several_pairs(store, cohort: str) -> set[str]:
    from collections import Counter

    from mentorflow.store import matches

    pairs = Counter(who for m in store.rows(matches, cohort_id=cohort) for who in (m["mentor_id"], m["mentee_id"]))
    return {who for who, count in pairs.items() if count > 1}


def _sent_emails(stack, store, cohort: str):
    from mentorflow.store import email_ledger

    ledger = [r for r in store.rows(email_ledger, cohort_id=cohort) if r["status"] == "sent"]
    files = sorted((stack.home / "outbox" / cohort).rglob("*.eml"))
    return ledger, files


def _ledger_state(stack, store, cohort: str) -> tuple[list, int]:
    ledger, files = _sent_emails(stack, store, cohort)
    return sorted((r["person_id"], r["template"], r["period"], r["attempts"]) for r in ledger), len(files)


def test_every_stage_runs_on_the_scheduler_clock(stack, live_cohort):
    from mentorflow.store import matches, reports, stage_runs

    config, store, _ = live_cohort
    for stage in STAGES:
        states = [r["state"] for r in stack.dag_runs(_dag(config, stage))]
        assert "success" in states and "failed" not in states, f"{stage}: {states}"
    scheduled_pulses = [r for r in stack.dag_runs(_dag(config, "pulse")) if r["run_type"] == "scheduled"]
    assert len(scheduled_pulses) == len(config.pulse_dates())
    recorded = store.rows(stage_runs, cohort_id=config.cohort)
    assert {r["stage"] for r in recorded} == set(STAGES)
    assert {r["status"] for r in recorded} == {"success"}, [(r["stage"], r["status"]) for r in recorded]
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
    resent = [(r["person_id"], r["template"], r["period"]) for r in ledger if r["attempts"] != 1]
    # Known limit outside this test's subject: a mentor with two pairs gets one kickoff/pulse/rematch email per
    # pair under the same ledger key, so the backend is called twice for that key (the second .eml replaces the
    # first). Any other repeated send, e.g. one caused by the crash, fails here.
    mentors_of_several = _people_with_several_pairs(store, config.cohort)
    assert [k for k in resent if not (k[0] in mentors_of_several and k[1] in PER_PAIR_TEMPLATES)] == []
    on_disk = sorted(email.message_from_bytes(f.read_bytes())["Message-ID"] for f in files)
    assert on_disk == sorted(r["message_id"] for r in ledger)
    assert len(set(on_disk)) == len(on_disk)


def test_form_event_reaches_airflow_within_a_bounded_time(stack, live_cohort):
    """What the forms app will do for a re-match request: trigger a DAG run with the request as conf.

    The triage DAG lives on another branch; the kickoff DAG stands in (re-running it must send nothing,
    because every pair was already introduced), and the latency is measured from the REST call.
    """
    config, store, _ = live_cohort
    before = _ledger_state(stack, store, config.cohort)
    measured = event_latency(stack, _dag(config, "kickoff"), {"event": "rematch_request", "employee_id": "E00001"})
    print(f"\nform event → task running {measured.to_running_s:.1f}s, → run finished {measured.to_finished_s:.1f}s")
    assert measured.state == "success"
    assert measured.to_running_s < 60
    assert measured.conf["event"] == "rematch_request"
    assert _ledger_state(stack, store, config.cohort) == before, "re-running the kickoff sent emails again"
