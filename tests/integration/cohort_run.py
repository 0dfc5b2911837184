"""Drive one live cohort through the distributed stack, the way ops and participants would.

The scheduler's timetables fire for real. In the tests the calendar follows the run: each
moment is written into the cohort file once the stages before it are done
(:mod:`integration.pacing`), so the run passes however slow the machine is; the benchmark
writes a calendar a few minutes ahead in advance (:func:`live_cohort_overrides`) to measure
how late runs start. This module only does what people outside Airflow do: unpause the
DAGs, answer the committee's approval step through the REST API, answer pulse surveys (by
writing to the program store, as the forms would), post a re-match request to the forms app,
optionally crash the Celery worker in the middle of a stage, and watch until the cohort has
closed out.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mentorflow.cohorts import calendar

from integration.pacing import PacedCalendar
from integration.stack import STORE_CONN_ID, Stack, StackError


def live_cohort_overrides(start: dt.datetime, roster: Path, applications: Path) -> dict[str, Any]:
    """``write_cohort`` overrides for a cohort that runs in about five minutes from ``start``, its calendar
    fixed in advance (the benchmark's: it measures how late each run starts after its moment). A stage
    slower than this calendar allows breaks the run; the tests use :class:`integration.pacing.PacedCalendar`.

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
          kill_worker_in: str | None = None, seed: int = 7, say: Callable[[str], None] = lambda _: None,
          pacer: PacedCalendar | None = None) -> CohortRun:
    """Run the cohort to close-out; ``kill_worker_in`` names a stage whose first running task is crashed
    with ``kill -9`` of the Celery worker's process group (the worker is restarted a few seconds later).

    With a ``pacer`` the calendar follows the run's progress (see :mod:`integration.pacing`) and the
    close-out DAG stays paused until the pulse-2 answers are in; without one the calendar is the one
    written in advance. ``timeout_s`` only catches a hang: nothing here waits for a fixed time."""
    from mentorflow.demo import simulate
    cohort = config.cohort
    result = CohortRun(cohort)
    started = time.monotonic()
    deadline = started + timeout_s
    dags = stack.wait(lambda: (ids := stage_dag_ids(stack, cohort)) and len(ids) >= expected_dags and ids,
                      timeout_s, f"the dag-processor to serialize {expected_dags} DAGs of {cohort}", every_s=2)
    closeout = f"mentorflow__{cohort}__closeout"
    pulse = f"mentorflow__{cohort}__pulse"
    gated = {closeout} if pacer else set()
    for dag in dags:
        if dag not in gated:
            stack.unpause(dag)
    say(f"unpaused {len(dags) - len(gated)} DAGs after {time.monotonic() - started:.0f}s"
        + (" (close-out waits for the pulse-2 answers)" if gated else ""))
    while True:
        runs = {dag: stack.dag_runs(dag) for dag in dags}
        failed = [(dag, r["dag_run_id"]) for dag, rs in runs.items() for r in rs if r["state"] == "failed"]
        if failed:
            raise StackError(f"DAG run(s) failed: {failed}\n{stack.log_tails()}")
        if pacer:
            config = pacer.config  # the file as last written
        if sum(r["state"] == "success" for r in runs[closeout]) >= len(calendar.closeout_dates(config)):
            break  # survey, reminder and HR report runs all done
        if kill_worker_in and result.killed is None:
            result.killed = _crash_worker_if_running(stack, f"mentorflow__{cohort}__{kill_worker_in}", runs, say)
            if result.killed:
                down = time.monotonic()
                time.sleep(5)
                stack.start("worker")
                result.worker_down_s = time.monotonic() - down
        for detail in stack.pending_approvals():
            answered = stack.answer(detail, "Approve")
            result.approvals.append({"dag_id": detail["task_instance"]["dag_id"], "created_at": detail["created_at"],
                                     "responded_by": answered["responded_by"], "chosen": answered["chosen_options"]})
            say(f"committee approved {detail['task_instance']['dag_id']}")
        if pacer:
            _pace(stack, pacer, runs, result, gated, say)
        kickoff_done = any(r["state"] == "success" for r in runs[f"mentorflow__{cohort}__kickoff"])
        if kickoff_done and result.form_event is None:
            result.form_event = submit_rematch_request(stack, config, store,
                                                       timeout_s=max(60.0, deadline - time.monotonic()))
            say(f"re-match request → triage running after {result.form_event.to_running_s:.1f}s "
                f"(delivered by {result.form_event.delivered_by})")
        for run in runs[pulse]:
            period = calendar.pulse_period(config, dt.datetime.fromisoformat(run["logical_date"]))
            if run["state"] == "success" and period not in result.answered_periods:
                simulate.pulse_answers(store, cohort, period, seed, ask_to_end=1 if period == "pulse-1" else 0)
                result.answered_periods.append(period)
                say(f"participants answered {period}")
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


def _pace(stack: Stack, pacer: PacedCalendar, runs: dict[str, list[dict]], result: CohortRun, gated: set[str],
          say: Callable[[str], None]) -> None:
    """Release the next calendar moment once everything before it is done (one step per call)."""
    cohort = pacer.cohort

    def done(stage: str) -> bool:  # the stage has run and nothing of it is still going
        stage_runs = runs[f"mentorflow__{cohort}__{stage}"]
        return bool(stage_runs) and all(r["state"] == "success" for r in stage_runs)

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    step = len(pacer.released)
    if step == 1 and done("open"):
        say(f"open done → {pacer.release_intake()}")
    elif step == 2 and done("intake"):
        say(f"intake done → {pacer.release_close()}")
    elif step == 3 and done("kickoff"):
        say(f"kickoff done → {pacer.release_pulse_1(now)}")
    elif step == 4 and "pulse-1" in result.answered_periods and result.form_event is not None:
        say(f"pulse-1 answered, re-match request triaged → {pacer.release_midpoint(now)}")
    elif step == 5 and done("midpoint"):
        say(f"midpoint done → {pacer.release_pulse_2_and_closeout(now)}")
    elif step == 6 and gated and "pulse-2" in result.answered_periods:
        for dag in sorted(gated):
            stack.unpause(dag)
        gated.clear()
        say("pulse-2 answered → close-out unpaused")


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
    until the cohort's triage DAG was running and done (figures only: nothing asserts on them)."""

    match_id: int
    requester: str
    status_code: int
    to_running_s: float
    to_finished_s: float
    state: str
    run_id: str = ""
    delivered_by: str = "the forms app"


def submit_rematch_request(stack: Stack, config, store, timeout_s: float = 120) -> FormEvent:
    """Post a re-match request with a real signed link, as a participant's browser would (JSON client),
    and time it until the triage run's task runs and until the run ends.

    The app delivers the event to Airflow itself, right after answering. Should that attempt fail
    (the app gives Airflow 5 s, which a loaded machine can exceed), the event waits in the store and
    is delivered the way ops' cron does it (``mentorflow forms deliver-events``); ``delivered_by``
    says which path it took."""
    import os

    import httpx
    from mentorflow.forms import events, tokens
    from mentorflow.store import form_events, matches

    from integration.stack import ADMIN_USER

    pair = sorted(store.rows(matches, cohort_id=config.cohort, status="active"), key=lambda m: m["match_id"])[0]
    previous = os.environ.get("MENTORFLOW_SECRET_KEY")
    os.environ["MENTORFLOW_SECRET_KEY"] = stack.secret_key
    try:
        token = tokens.issue(tokens.FormGrant(config.cohort, pair["mentee_id"], "rematch", ""))
    finally:
        os.environ["MENTORFLOW_SECRET_KEY"] = previous or ""
    dag_id = f"mentorflow__{config.cohort}__triage"
    posted = time.monotonic()
    response = httpx.post(f"{stack.base_url}/mentorflow/api/forms/rematch", params={"token": token}, timeout=120,
                          json={"match_id": pair["match_id"], "reason": "schedule", "comment": "integration test"})
    if response.status_code != 200:
        raise StackError(f"the forms app refused the re-match request: {response.status_code} {response.text[:300]}")
    to_running, delivered_by = None, "the forms app"
    while True:
        runs = [r for r in stack.dag_runs(dag_id) if (r.get("conf") or {}).get("match_id") == pair["match_id"]]
        for run in runs:
            if to_running is None and {ti["state"] for ti in stack.task_instances(dag_id, run["dag_run_id"])} & {
                    "running", "success"}:
                to_running = time.monotonic() - posted
            if run["state"] in ("success", "failed"):
                finished = time.monotonic() - posted
                return FormEvent(pair["match_id"], pair["mentee_id"], response.status_code,
                                 to_running if to_running is not None else finished, finished, run["state"],
                                 run["dag_run_id"], delivered_by)
        if not runs:
            waiting = store.rows(form_events, cohort_id=config.cohort, match_id=pair["match_id"], status="pending")
            if any(e["attempts"] >= 1 for e in waiting):  # the app tried and failed: cron's turn
                client = events.AirflowClient(stack.base_url, ADMIN_USER, stack.password, timeout=120)
                events.deliver_pending(store, client, cohort_id=config.cohort)
                delivered_by = f"cron (the app's attempt failed: {waiting[0]['last_error']})"
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
