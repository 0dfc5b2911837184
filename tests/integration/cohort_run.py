"""Drive one live cohort through the distributed stack, the way ops and participants would.

The cohort's calendar sits a few minutes ahead of now, so the scheduler's timetables
fire for real. This module only does what people outside Airflow do: unpause the
DAGs, answer the committee's approval step through the REST API, answer pulse
surveys (by writing to the program store, as the forms would), optionally crash the
Celery worker in the middle of a stage, and watch until the cohort has closed out.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mentorflow.cohorts import calendar

from integration.stack import STORE_CONN_ID, Stack, StackError


def live_cohort_overrides(start: dt.datetime, roster: Path, applications: Path) -> dict[str, Any]:
    """``write_cohort`` overrides for a cohort that runs in about five minutes from ``start``.

    open +0:30 · close +1:30 · kickoff +2:00 · pulse-1 +3:00 · midpoint +3:30 · pulse-2 +4:00 · close-out +4:30
    · close-out reminder +5:00 · HR report +5:30
    """
    def at(seconds: int) -> str:
        return (start + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")

    return {
        "calendar": {
            "application_open": at(30), "application_close": at(90), "kickoff": at(120),
            "midpoint": at(210), "close_out": at(270), "pulse_cadence": "every 1 minutes",
            "reminder_after_days": 0.0003,        # ~26 s: the intake check reminds non-applicants
            "intake_check_every_hours": 0.01,     # 36 s: one intake check inside the window
            "evaluation_days": 0.0007,            # ~60 s: close-out reminder after ~30 s, HR report after ~60 s
        },
        "sources": {"roster_csv": str(roster), "applications_csv": str(applications)},
        "store": {"conn_id": STORE_CONN_ID},
        "committee": {"review_mode": "hitl"},
    }


@dataclass
class CohortRun:
    """What the drive observed, for the assertions and the benchmark."""

    cohort: str
    approvals: list[dict[str, Any]] = field(default_factory=list)
    answered_periods: list[str] = field(default_factory=list)
    form_event: FormEvent | None = None
    killed: dict[str, Any] | None = None
    worker_down_s: float = 0.0
    seconds: float = 0.0


def stage_dag_ids(stack: Stack, cohort: str) -> list[str]:
    return [d for d in stack.dag_ids() if d.startswith(f"mentorflow__{cohort}__")]


def drive(stack: Stack, config, store, *, expected_dags: int = 8, timeout_s: float = 600,
          kill_worker_in: str | None = None, seed: int = 7, say: Callable[[str], None] = lambda _: None) -> CohortRun:
    """Run the cohort to close-out; ``kill_worker_in`` names a stage whose first running task is crashed
    with ``kill -9`` of the Celery worker's process group (the worker is restarted a few seconds later)."""
    from mentorflow.demo import simulate
    cohort = config.cohort
    result = CohortRun(cohort)
    started = time.monotonic()
    dags = stack.wait(lambda: (ids := stage_dag_ids(stack, cohort)) and len(ids) >= expected_dags and ids,
                      180, f"the dag-processor to serialize {expected_dags} DAGs of {cohort}", every_s=2)
    for dag in dags:
        stack.unpause(dag)
    say(f"unpaused {len(dags)} DAGs after {time.monotonic() - started:.0f}s")
    closeout = f"mentorflow__{cohort}__closeout"
    pulse = f"mentorflow__{cohort}__pulse"
    deadline = time.monotonic() + timeout_s
    while True:
        runs = {dag: stack.dag_runs(dag) for dag in dags}
        failed = [(dag, r["dag_run_id"]) for dag, rs in runs.items() for r in rs if r["state"] == "failed"]
        if failed:
            raise StackError(f"DAG run(s) failed: {failed}\n{stack.log_tails()}")
        if sum(r["state"] == "success" for r in runs[closeout]) >= len(calendar.closeout_dates(config)):
            break  # survey, reminder and HR report runs all done
        for detail in stack.pending_approvals():
            answered = stack.answer(detail, "Approve")
            result.approvals.append({"dag_id": detail["task_instance"]["dag_id"], "created_at": detail["created_at"],
                                     "responded_by": answered["responded_by"], "chosen": answered["chosen_options"]})
            say(f"committee approved {detail['task_instance']['dag_id']}")
        kickoff_done = any(r["state"] == "success" for r in runs[f"mentorflow__{cohort}__kickoff"])
        if kickoff_done and result.form_event is None:
            result.form_event = submit_rematch_request(stack, config, store)
            say(f"re-match request → triage running after {result.form_event.to_running_s:.1f}s")
        for run in runs[pulse]:
            period = calendar.pulse_period(config, dt.datetime.fromisoformat(run["logical_date"]))
            if run["state"] == "success" and period not in result.answered_periods:
                simulate.pulse_answers(store, cohort, period, seed, ask_to_end=1 if period == "pulse-1" else 0)
                result.answered_periods.append(period)
                say(f"participants answered {period}")
        if kill_worker_in and result.killed is None:
            result.killed = _crash_worker_if_running(stack, f"mentorflow__{cohort}__{kill_worker_in}", runs, say)
            if result.killed:
                down = time.monotonic()
                time.sleep(5)
                stack.start("worker")
                result.worker_down_s = time.monotonic() - down
        dead = stack.exited()
        if dead:
            raise StackError(f"component(s) exited {dead}\n{stack.log_tails()}")
        if time.monotonic() > deadline:
            states = {dag.rsplit("__", 1)[1]: [r["state"] for r in rs] for dag, rs in runs.items()}
            raise StackError(f"cohort {cohort} not closed out after {timeout_s:.0f}s; runs: {states}\n"
                             f"{stack.log_tails()}")
        time.sleep(0.5)
    result.seconds = time.monotonic() - started
    return result


@dataclass(frozen=True)
class EventLatency:
    run_id: str
    conf: dict[str, Any]
    to_running_s: float
    to_finished_s: float
    state: str


@dataclass
class FormEvent:
    """A participant's re-match request posted to the forms app inside the api-server, and how long
    until the cohort's triage DAG was running and done."""

    match_id: int
    requester: str
    status_code: int
    to_running_s: float
    to_finished_s: float
    state: str


def submit_rematch_request(stack: Stack, config, store, timeout_s: float = 120) -> FormEvent:
    """Post a re-match request with a real signed link, as a participant's browser would (JSON client),
    and time it until the triage run's task runs and until the run ends."""
    import os

    import httpx
    from mentorflow.forms import tokens
    from mentorflow.store import matches

    pair = sorted(store.rows(matches, cohort_id=config.cohort, status="active"), key=lambda m: m["match_id"])[0]
    previous = os.environ.get("MENTORFLOW_SECRET_KEY")
    os.environ["MENTORFLOW_SECRET_KEY"] = stack.secret_key
    try:
        token = tokens.issue(tokens.FormGrant(config.cohort, pair["mentee_id"], "rematch", ""))
    finally:
        os.environ["MENTORFLOW_SECRET_KEY"] = previous or ""
    dag_id = f"mentorflow__{config.cohort}__triage"
    posted = time.monotonic()
    response = httpx.post(f"{stack.base_url}/mentorflow/api/forms/rematch", params={"token": token}, timeout=30,
                          json={"match_id": pair["match_id"], "reason": "schedule", "comment": "integration test"})
    if response.status_code != 200:
        raise StackError(f"the forms app refused the re-match request: {response.status_code} {response.text[:300]}")
    to_running = None
    while True:
        runs = [r for r in stack.dag_runs(dag_id) if (r.get("conf") or {}).get("match_id") == pair["match_id"]]
        for run in runs:
            if to_running is None and {ti["state"] for ti in stack.task_instances(dag_id, run["dag_run_id"])} & {
                    "running", "success"}:
                to_running = time.monotonic() - posted
            if run["state"] in ("success", "failed"):
                finished = time.monotonic() - posted
                return FormEvent(pair["match_id"], pair["mentee_id"], response.status_code,
                                 to_running if to_running is not None else finished, finished, run["state"])
        if time.monotonic() - posted > timeout_s:
            raise StackError(f"no finished {dag_id} run for pair {pair['match_id']} {timeout_s:.0f}s after the "
                             f"form post (runs: {runs})\n{stack.log_tails()}")
        time.sleep(0.3)


def event_latency(stack: Stack, dag_id: str, conf: dict[str, Any], timeout_s: float = 180) -> EventLatency:
    """Trigger a run the way the forms app will (``POST …/dagRuns`` with ``conf``) and time it from the call:
    until a task runs (the event reached a worker) and until the run ends."""
    posted = time.monotonic()
    created = stack.trigger(dag_id, conf=conf)
    run_id = created["dag_run_id"]
    to_running = None
    while True:
        if to_running is None and {ti["state"] for ti in stack.task_instances(dag_id, run_id)} & {"running", "success"}:
            to_running = time.monotonic() - posted
        state = next(r["state"] for r in stack.dag_runs(dag_id) if r["dag_run_id"] == run_id)
        if state in ("success", "failed"):
            finished = time.monotonic() - posted
            return EventLatency(run_id, created["conf"], to_running if to_running is not None else finished,
                                finished, state)
        if time.monotonic() - posted > timeout_s:
            raise StackError(f"{dag_id} run {run_id} still {state} after {timeout_s:.0f}s\n{stack.log_tails()}")
        time.sleep(0.2)


def _crash_worker_if_running(stack: Stack, dag_id: str, runs: dict[str, list[dict]], say) -> dict[str, Any] | None:
    for run in runs.get(dag_id, []):
        if run["state"] != "running":
            continue
        for ti in stack.task_instances(dag_id, run["dag_run_id"]):
            if ti["state"] == "running":
                pid = stack.kill("worker")
                say(f"kill -9 worker (pid {pid}) while {dag_id}.{ti['task_id']} try {ti['try_number']} was running")
                return {"dag_id": dag_id, "run_id": run["dag_run_id"], "task_id": ti["task_id"],
                        "try_number": ti["try_number"], "pid": pid}
    return None
