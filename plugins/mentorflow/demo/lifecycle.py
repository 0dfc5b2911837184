"""Run a cohort's whole lifecycle through Airflow (``dag.test``), stage by stage in calendar order.

Used by the demo and the end-to-end tests. Asset-triggered stages (match, kickoff)
run right after the stage that produces their asset, as the scheduler would run them.
``dag.test`` never answers a human-in-the-loop task itself: the committee's review waits
until an answer comes from outside (an Airflow API server sharing the metadata database).
With a ``committee`` hook, that answer comes from the committee (the demo's reviewers vote
through the console, :mod:`mentorflow.demo.committee`); without one, the committee step is
marked successful (``SKIP_COMMITTEE``), which counts as "Approve": the end-to-end tests
that do not look at the committee stay fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable

from mentorflow.cohorts.calendar import PlannedRun, plan
from mentorflow.cohorts.config import CohortConfig
from mentorflow.demo.metadata import parsed_once
from mentorflow.errors import StageFailed, StagesInterrupted
from mentorflow.orchestration.wiring import dag_id

SKIP_COMMITTEE = r"^committee_approval$"  # the tasks marked successful when no committee answers


def run(config: CohortConfig, dags: dict, *, before: Callable[[PlannedRun], None] | None = None,
        progress: Callable[[str], None] = print, through: str = "closeout",
        committee: Callable[[PlannedRun], contextlib.AbstractContextManager] | None = None,
        until: dt.datetime | None = None, stop: threading.Event | None = None,
        ) -> list[tuple[PlannedRun, float]]:
    """Run every planned stage up to and including the last run of stage ``through`` (default: the HR
    report; the retention purge comes long after and is run only when asked for), and with ``until`` only the
    runs due by then (what the scheduler has started by that moment); raises :class:`StageFailed` naming the
    first stage that failed. ``committee(item)``, when given, is entered around each run's ``dag.test`` and
    answers its committee step (it raises :class:`StageFailed` when it cannot); without it the committee step
    is marked successful. ``stop`` (set by a Ctrl-C handler) ends the run between two stages with
    :class:`StagesInterrupted`: a stage is never cut in half (a task interrupted inside ``dag.test`` would
    wait for its retry)."""
    done = []
    planned = plan(config)
    last = max(i for i, item in enumerate(planned) if item.stage == through)
    planned = [item for item in planned[: last + 1] if until is None or item.moment <= until]
    with parsed_once():  # dag.test would parse the DAG folder and write every DAG at each run
        for number, item in enumerate(planned, 1):
            if stop is not None and stop.is_set():
                raise StagesInterrupted(f"stopped before stage {item.stage} ({item.label}), {number - 1} of "
                                        f"{len(planned)} runs done")
            if before:
                before(item)
            dag = dags[dag_id(config.cohort, item.stage)]
            started = time.monotonic()
            progress(f"  [{number:2d}/{len(planned)}] {item.stage:<9} {item.label} ({item.moment:%Y-%m-%d %H:%M %Z}) …")
            with committee(item) if committee else contextlib.nullcontext():
                result = dag.test(logical_date=item.moment, mark_success_pattern=None if committee else SKIP_COMMITTEE)
            seconds = time.monotonic() - started
            if str(result.state) not in ("success", "DagRunState.SUCCESS"):
                failed = [ti.task_id for ti in result.get_task_instances() if str(ti.state).endswith("failed")]
                raise StageFailed(f"stage {item.stage} ({item.label}) ended {result.state}; failed task(s): {failed}")
            progress(f"        done in {seconds:.1f}s")
            done.append((item, seconds))
    return done
