"""One small cohort's whole lifecycle: the distributed stack vs the embedded default, side by side.

    python benchmarks/bench_stack.py [--people 60] [--seed 11]

Embedded (the default, ``mentorflow demo``): SQLite metadata and program store, every stage run
in-process with ``dag.test`` one after another, the calendar already in the past.
Distributed (``docker-compose.yml`` as plain processes, see tests/integration/stack.py): PostgreSQL,
Redis, api-server, scheduler, dag-processor, triggerer and one Celery worker (concurrency 2); the
calendar starts when the stack is up, so the scheduler's timetables fire for real and the wall
clock is set by the calendar (about 4.5 minutes), not by the work. The table therefore compares
the time each stage run took once started (DAG run start to end, committee wait included on the
distributed side) and, for the stack, how late each run started after it was due.
Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379; takes about 9 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "plugins"), str(ROOT / "tests")]

from conftest import write_cohort  # noqa: E402  (tests/ helpers; sets a throw-away AIRFLOW_HOME)
from integration.cohort_run import drive, event_latency, live_cohort_overrides  # noqa: E402
from integration.stack import Stack  # noqa: E402

EVENTS = 5  # form-style triggers after close-out, one after another
STAGES = ("open", "intake", "validate", "match", "kickoff", "pulse", "midpoint", "closeout")


def embedded(workdir: Path, roster: Path, applications: Path, seed: int) -> dict:
    """The lifecycle through ``dag.test`` on SQLite, with the calendar an hour in the past."""
    os.environ.update({
        "AIRFLOW_HOME": str(workdir / "airflow"), "MENTORFLOW_HOME": str(workdir / "home"),
        "MENTORFLOW_COHORTS_DIR": str(workdir / "cohorts"), "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
    })
    os.environ.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    (workdir / "cohorts").mkdir(parents=True)
    start = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(hours=1)
    overrides = live_cohort_overrides(start, roster, applications)
    overrides["store"] = {"conn_id": None}
    write_cohort(workdir / "cohorts", "bench-embedded", **overrides)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True,
                   env=os.environ.copy())
    migrate_s = time.monotonic() - started

    from mentorflow.cohorts.loader import find_cohort
    from mentorflow.demo import lifecycle, simulate
    from mentorflow.demo.run import load_dags
    from mentorflow.store import Store, url_for

    config = find_cohort("bench-embedded")
    store = Store(url_for(config.store))
    store.upgrade()
    dags = load_dags(ROOT / "dags")
    started = time.monotonic()
    done = lifecycle.run(config, dags, before=simulate.participants(config, store, seed, say=lambda _: None),
                         progress=lambda _: None)
    per_stage: dict[str, list[float]] = defaultdict(list)
    for item, seconds in done:
        per_stage[item.stage].append(seconds)
    return {"setup": {"metadata migrate (SQLite)": migrate_s}, "stages": per_stage,
            "wall": time.monotonic() - started}


def distributed(workdir: Path, roster: Path, applications: Path, seed: int) -> dict:
    """The lifecycle on the live stack; stage times from Airflow's own DAG run records."""
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.store import Store

    stack = Stack(workdir)
    stack.create_databases()
    try:
        stack.migrate()
        stack.start_all()
        start = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        config = load_cohort(write_cohort(stack.cohorts_dir, "bench-stack",
                                          **live_cohort_overrides(start, roster, applications)))
        store = Store(stack.store_url)
        run = drive(stack, config, store, seed=seed)
        per_stage: dict[str, list[float]] = defaultdict(list)
        lag: dict[str, list[float]] = defaultdict(list)
        for stage in STAGES:
            for r in stack.dag_runs(f"mentorflow__bench-stack__{stage}"):
                began, ended = (dt.datetime.fromisoformat(r[k]) for k in ("start_date", "end_date"))
                per_stage[stage].append((ended - began).total_seconds())
                lag[stage].append((began - dt.datetime.fromisoformat(r["run_after"])).total_seconds())
        events = [event_latency(stack, "mentorflow__bench-stack__kickoff", {"event": "rematch_request", "n": n})
                  for n in range(EVENTS)]
        store.engine.dispose()
        setup = {"metadata migrate (PostgreSQL)": stack.timings["airflow db migrate"],
                 "start 5 components": stack.timings["start components"]}
        return {"setup": setup, "stages": per_stage, "lag": lag, "wall": run.seconds, "events": events}
    finally:
        stack.stop()
        stack.drop_databases()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, outbox, stores)")
    args = parser.parse_args()

    from mentorflow.demo.synthetic import write_population

    workdir = Path(tempfile.mkdtemp(prefix="mentorflow-bench-stack-"))
    roster, applications = write_population(workdir / "data", args.people, seed=args.seed)
    print(f"bench_stack: {args.people} people, seed {args.seed}, work in {workdir}")
    try:
        print("• embedded (dag.test, SQLite) …", flush=True)
        emb = embedded(workdir / "embedded", roster, applications, args.seed)
        print("• distributed (CeleryExecutor, PostgreSQL, Redis; live calendar ~4.5 min) …", flush=True)
        dis = distributed(workdir / "distributed", roster, applications, args.seed)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n{'stage':<10}{'runs':>5}{'embedded s':>12}{'stack s':>10}{'ratio':>8}{'stack start lag s':>19}")
    total_e = total_d = 0.0
    for stage in STAGES:
        e, d = sum(emb["stages"][stage]), sum(dis["stages"][stage])
        total_e, total_d = total_e + e, total_d + d
        lags = dis["lag"][stage]
        print(f"{stage:<10}{len(dis['stages'][stage]):>5}{e:>12.1f}{d:>10.1f}{d / e if e else float('nan'):>8.1f}"
              f"{max(lags) if lags else float('nan'):>19.1f}")
    print(f"{'all stages':<15}{total_e:>12.1f}{total_d:>10.1f}{total_d / total_e:>8.1f}")
    print(f"\nwall clock: embedded {emb['wall']:.0f}s (calendar in the past), "
          f"stack {dis['wall']:.0f}s (set by the live calendar)")
    running = sorted(e.to_running_s for e in dis["events"])
    finished = sorted(e.to_finished_s for e in dis["events"])
    print(f"form event (POST dagRuns with conf) → task running: median {statistics.median(running):.1f}s, "
          f"max {running[-1]:.1f}s; → run finished: median {statistics.median(finished):.1f}s, "
          f"max {finished[-1]:.1f}s ({len(running)} events; embedded has no event path)")
    for label, seconds in {**emb["setup"], **dis["setup"]}.items():
        print(f"setup: {label:<32}{seconds:>7.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
