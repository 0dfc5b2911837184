"""Foundation figures: DAG parse time as cohorts grow, and synthetic population generation rate.

    python benchmarks/bench_foundation.py [--cohorts 1 10 40] [--people 1000 100000]

Each figure is printed next to a baseline measured in the same run (1 cohort; 1,000 people),
so the ratios say how the cost scales on this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "tests"))

def parse_time(cohorts: int, repeat: int) -> dict:
    """Best-of-N time to build a DagBag from the DAG folder with ``cohorts`` cohort files, in this process
    (Airflow is imported once beforehand, so the figure is the DAG file's own cost)."""
    from airflow.dag_processing.dagbag import DagBag
    from conftest import write_cohort  # the tests' valid cohort template

    with tempfile.TemporaryDirectory() as tmp:
        for i in range(cohorts):
            write_cohort(Path(tmp), f"cohort-{i:03d}")
        os.environ["MENTORFLOW_COHORTS_DIR"] = tmp
        best, bag = float("inf"), None
        for _ in range(repeat):
            started = time.perf_counter()
            bag = DagBag(dag_folder=str(ROOT / "dags"))
            best = min(best, time.perf_counter() - started)
        return {"seconds": best, "dags": len(bag.dags), "errors": len(bag.import_errors)}


def generation_rate(people: int) -> float:
    from mentorflow.demo.synthetic import generate_applications, generate_roster

    started = time.monotonic()
    generate_applications(generate_roster(people, seed=1), seed=1)
    return people / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cohorts", type=int, nargs="+", default=[1, 10, 40])
    parser.add_argument("--repeat", type=int, default=3, help="best of N parses per size")
    parser.add_argument("--people", type=int, nargs="+", default=[1_000, 100_000])
    args = parser.parse_args()

    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-airflow-"))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    print(f"DAG parsing (DagBag of the dags/ folder, best of {args.repeat})")
    base = None
    for n in args.cohorts:
        r = parse_time(n, args.repeat)
        base = base or r["seconds"]
        print(f"  {n:4d} cohorts  {r['dags']:4d} DAGs  {r['seconds']:7.3f} s  {1000 * r['seconds'] / max(r['dags'], 1):6.1f} ms/DAG"
              f"  x{r['seconds'] / base:6.2f} of {args.cohorts[0]} cohort(s)  ({r['errors']} import errors)")
    print("Synthetic population (roster + applications)")
    base_rate = None
    for n in args.people:
        rate = generation_rate(n)
        base_rate = base_rate or rate
        print(f"  {n:7,d} people  {rate:10,.0f} people/s  x{rate / base_rate:5.2f} of the smallest size's rate")


if __name__ == "__main__":
    main()
