"""Fixtures that start the distributed stack as plain processes and always stop it.

One stack per test module: Airflow's components take tens of seconds to start on
this machine kind, and one live cohort exercises the whole lifecycle. Every process
runs in its own process group and is killed at teardown, also when a test fails;
the databases the stack created are dropped.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from integration.cohort_run import CohortRun, drive
from integration.pacing import PacedCalendar, paced_overrides
from integration.stack import PG_ADMIN_URL, REDIS_HOST, REDIS_PORT, STORE_CONN_ID, Stack, reachable

COHORT = "live-cohort"
PEOPLE = 60
# only catches a hang (the run takes about 10 minutes on a shared 2-core machine); the module's
# pytest timeout (test_stack_lifecycle.py) is above it plus the stack's start and stop
DRIVE_S = 45 * 60


@pytest.fixture(scope="module")
def stack(progress):
    """A fresh stack (metadata + program-store databases, five Airflow components) for the module."""
    host_port = PG_ADMIN_URL.rsplit("@", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    for reason in (reachable(host, int(port)), reachable(REDIS_HOST, REDIS_PORT)):
        if reason:
            pytest.skip(f"the distributed stack needs PostgreSQL and Redis: {reason}")
    workdir = Path(tempfile.mkdtemp(prefix="mentorflow-stack-"))
    s = Stack(workdir)
    s.create_databases()
    try:
        progress(f"migrating the metadata and program-store databases ({s.metadata_db}, {s.store_db})")
        s.migrate()
        yield s
    finally:
        s.stop()
        s.drop_databases()
        if not os.environ.get("MENTORFLOW_KEEP_STACK"):
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def live_cohort(stack, progress) -> tuple[object, object, CohortRun]:
    """A small cohort run to close-out on the stack, with the worker crashed once during intake.

    Its calendar follows the run (``integration.pacing``): each moment is written into the cohort
    file once the stages before it are done, so the run passes however slow the machine is. The
    config returned is the file's final content (the calendar as it ran)."""
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.demo.synthetic import write_population
    from mentorflow.store import Store

    roster, applications = write_population(stack.workdir / "data", PEOPLE, seed=11)
    progress(f"starting the stack in {stack.workdir}")
    stack.start_all()
    progress(f"stack up after {stack.timings['start components']:.0f}s; the cohort's window opens")
    start = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    (stack.workdir / "pacing").mkdir(exist_ok=True)
    pacer = PacedCalendar(stack.cohorts_dir, COHORT, start, paced_overrides(roster, applications, STORE_CONN_ID),
                          scratch=stack.workdir / "pacing")
    store = Store(stack.store_url)
    run = drive(stack, pacer.config, store, kill_worker_in="intake", say=progress, pacer=pacer, timeout_s=DRIVE_S)
    progress(f"closed out after {run.seconds:.0f}s")
    yield load_cohort(pacer.path), store, run
    store.engine.dispose()
