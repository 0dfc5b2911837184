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
from conftest import write_cohort

from integration.cohort_run import CohortRun, drive, live_cohort_overrides
from integration.stack import PG_ADMIN_URL, REDIS_HOST, REDIS_PORT, Stack, reachable

COHORT = "live-cohort"
PEOPLE = 60


@pytest.fixture(scope="module")
def stack():
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
        s.migrate()
        yield s
    finally:
        s.stop()
        s.drop_databases()
        if not os.environ.get("MENTORFLOW_KEEP_STACK"):
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def live_cohort(stack) -> tuple[object, object, CohortRun]:
    """A small cohort run to close-out on the stack, with the worker crashed once during intake."""
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.demo.synthetic import write_population
    from mentorflow.store import Store

    roster, applications = write_population(stack.workdir / "data", PEOPLE, seed=11)
    stack.start_all()
    # the calendar starts once the stack is up, so no stage is due before its predecessors could run
    start = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    path = write_cohort(stack.cohorts_dir, COHORT, **live_cohort_overrides(start, roster, applications))
    config = load_cohort(path)
    store = Store(stack.store_url)
    run = drive(stack, config, store, kill_worker_in="intake", say=print)
    yield config, store, run
    store.engine.dispose()
