"""One timed applications gate in a fresh process, for ``bench_quality.py``.

    PYTHONPATH=CHECKOUT/plugins python benchmarks/quality_child.py COHORT.yaml STORE_URL [RUNS]

Runs the validate stage's gate (``stage_gates.check_applications``: store read, Great Expectations,
quarantine, report, status update) of whichever ``mentorflow`` is on the path, ``RUNS`` times on the
same store, putting the store back as it was before each run (no quarantine row, every application
``received``). Prints one JSON line: the seconds Great Expectations takes to import and to set up its
first context in this process, each run's seconds (wall and this process's CPU), and what the last run decided (quarantine rows,
statuses, the summary) so the parent can check two revisions decide the same.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from mentorflow.cohorts.loader import parse_cohort
from mentorflow.quality import stage_gates
from mentorflow.store import Store, applications, quarantine


def reset(store: Store, cohort: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(quarantine.delete().where(quarantine.c.cohort_id == cohort))
        conn.execute(applications.update().where(applications.c.cohort_id == cohort).values(status="received"))


def decided(store: Store, cohort: str) -> dict:
    with store.engine.connect() as conn:
        held = sorted(tuple(r) for r in conn.execute(
            sa.select(quarantine.c.record_key, quarantine.c.reason, quarantine.c.severity, quarantine.c.status,
                      quarantine.c.row_json).where(quarantine.c.cohort_id == cohort)))
        statuses = sorted(tuple(r) for r in conn.execute(
            sa.select(applications.c.employee_id, applications.c.status).where(applications.c.cohort_id == cohort)))
    digest = hashlib.sha256(json.dumps([held, statuses]).encode()).hexdigest()[:16]
    reasons: dict[str, int] = {}
    for _, reason, *_ in held:
        check = reason.split(":", 1)[0]
        reasons[check] = reasons.get(check, 0) + 1
    return {"digest": digest, "held": len(held), "by_check": dict(sorted(reasons.items()))}


def main(cohort_file: str, url: str, runs: int) -> None:
    config = parse_cohort(Path(cohort_file).read_text())
    store = Store(url)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    started = time.perf_counter()
    try:  # the way the gate imports it (revisions before the deferred modules: a plain import)
        from mentorflow.quality.gx_import import import_great_expectations
    except ImportError:
        import great_expectations  # noqa: F401
    else:
        import_great_expectations()
    gx_import = time.perf_counter() - started
    from mentorflow.quality import expectations

    started = time.perf_counter()
    expectations._context()  # the first context of the process (what the first gate pays once)
    gx_context = time.perf_counter() - started
    seconds, cpu, summary = [], [], {}
    for _ in range(runs):
        reset(store, config.cohort)
        started, used = time.perf_counter(), time.process_time()
        summary = stage_gates.check_applications(config, store)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    summary = {k: (sorted(v) if isinstance(v, (set, list, dict)) else v) for k, v in summary.items() if k != "report"}
    print(json.dumps({"gx_import": gx_import, "gx_context": gx_context, "seconds": seconds, "cpu": cpu,
                      "summary": summary, **decided(store, config.cohort)}, default=str))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2)
