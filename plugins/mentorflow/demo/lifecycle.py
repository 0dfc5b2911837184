"""Run a cohort's whole lifecycle through Airflow (``dag.test``), stage by stage in calendar order.

Used by the demo and the end-to-end tests. Asset-triggered stages (match, kickoff)
run right after the stage that produces their asset, as the scheduler would run them.
The committee's approval step is answered by marking it successful, which counts as
"Approve" (``dag.test`` cannot answer human-in-the-loop tasks).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mentorflow.cohorts.calendar import PlannedRun, plan
from mentorflow.cohorts.config import CohortConfig
from mentorflow.errors import StageFailed
from mentorflow.orchestration.wiring import dag_id


def run(config: CohortConfig, dags: dict, *, before: Callable[[PlannedRun], None] | None = None,
        progress: Callable[[str], None] = print, through: str = "closeout") -> list[tuple[PlannedRun, float]]:
    """Run every planned stage up to and including the last run of stage ``through`` (default: the HR
    report; the retention purge comes long after and is run only when asked for); raises
    :class:`StageFailed` naming the first stage that failed."""
    done = []
    planned = plan(config)
    last = max(i for i, item in enumerate(planned) if item.stage == through)
    planned = planned[: last + 1]
    for number, item in enumerate(planned, 1):
        if before:
            before(item)
        dag = dags[dag_id(config.cohort, item.stage)]
        started = time.monotonic()
        progress(f"  [{number:2d}/{len(planned)}] {item.stage:<9} {item.label} ({item.moment:%Y-%m-%d %H:%M %Z}) …")
        result = dag.test(logical_date=item.moment, mark_success_pattern=r"^committee_approval$")
        seconds = time.monotonic() - started
        if str(result.state) not in ("success", "DagRunState.SUCCESS"):
            failed = [ti.task_id for ti in result.get_task_instances() if str(ti.state).endswith("failed")]
            raise StageFailed(f"stage {item.stage} ({item.label}) ended {result.state}; failed task(s): {failed}")
        progress(f"        done in {seconds:.1f}s")
        done.append((item, seconds))
    return done
