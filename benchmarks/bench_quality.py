"""How fast the validate stage's applications gate runs as the pipeline runs it, against an earlier
revision of the same gate measured in the same run on the same store.

    python benchmarks/bench_quality.py [--sizes 600,10000,100000] [--against REV] [--backend sqlite|postgresql]

For each size it stores a synthetic cohort (roster and applications, a few per cent of them broken in
the ways the gate holds: missing answers, out-of-range numbers, bad skill levels, people not in the
roster or not eligible), then times ``stage_gates.check_applications`` (store read → Great Expectations
→ quarantine → report → status update) of this checkout and of ``--against`` (``plugins/`` exported
from git), each in a fresh process: Great Expectations' import and first context (paid once per task
process) are printed apart; "cold" is the first gate of the process, "warm" the best of the later ones, in wall seconds and in the
gate process's CPU seconds (steadier than wall time on a shared machine; PostgreSQL's own work is not in it).
Both revisions must decide the same: same quarantine rows (key, reason, severity, values), same statuses.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "plugins"))

from mentorflow.cohorts.loader import parse_cohort  # noqa: E402
from mentorflow.contract import affinity, outcome_answers  # noqa: E402
from mentorflow.contract.parsing import parse_flag  # noqa: E402
from mentorflow.demo.synthetic import APPLICATION_COLUMNS, generate_applications, generate_roster  # noqa: E402
from mentorflow.quality import suites  # noqa: E402
from mentorflow.quality.reader import read_csv  # noqa: E402
from mentorflow.store import Store, applications, people  # noqa: E402
from revisions import export_revision  # noqa: E402

BEFORE = "8622acd"  # the last revision before the gate read the store into columns (docs/performance.md)
PG_ADMIN = os.environ.get("MENTORFLOW_BENCH_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")

COHORT = """
cohort: bench-cohort
name: Benchmark cohort
program_type: traditional
calendar: {application_open: 2026-01-05T09:00, application_close: 2026-01-19T17:00, kickoff: 2026-02-02T09:00,
           midpoint: 2026-05-04T09:00, close_out: 2026-08-03T09:00}
sources: {roster_csv: roster.csv}
"""



def break_some(apps: list[dict], roster_ids: list[str], seed: int) -> None:
    """About 3 % of the applications broken in the ways the applications gate holds (on top of the
    synthetic generator's 4 % with missing answers)."""
    rng = np.random.default_rng(seed + 99)
    for i in np.flatnonzero(rng.random(len(apps)) < 0.03):
        app = apps[i]
        match i % 6:
            case 0:
                app["tipi_3"] = 9
            case 1:
                app["skills_wanted"] = "python:9;sql:2" if app["skills_wanted"] else "python:9"
            case 2:
                app["hours_per_month"] = 90.0
            case 3:
                app["employee_id"] = f"X{i:07d}"  # not in the roster
            case 4:
                app["capacity"] = 12 if app["role"] != "mentee" else app["capacity"]
                app["tipi_7"] = 0
            case 5:
                app["async_budget"] = 500


def seed_store(url: str, config, n: int, seed: int, tmp: Path) -> None:
    roster = generate_roster(max(int(n / 0.6 * 1.03), 10), seed)
    path = tmp / "applications.csv"
    generate_applications(roster, seed).head(n).to_csv(path, index=False, columns=APPLICATION_COLUMNS)
    frame, _ = read_csv(path)
    apps = suites.application_records(frame)
    break_some(apps, list(roster["employee_id"]), seed)
    rng = np.random.default_rng(seed + 7)
    store = Store(url)
    store.upgrade()
    store.register_cohort(config)
    hire = pd.to_datetime(roster["hire_date"], errors="coerce")
    records = roster.assign(cohort_id=config.cohort, level=roster["level"].astype(int),
                            hire_date=[None if pd.isna(d) else d.date() for d in hire],
                            on_pip=rng.random(len(roster)) < 0.01,
                            manager_id=roster["manager_id"].replace("", None)).to_dict("records")
    store.upsert(people, records)
    # typed as the intake stage stores them
    store.upsert(applications, [{**a, "share_goals": parse_flag(a.get("share_goals")), **affinity.consented(a),
                                 **outcome_answers.stored(a), "cohort_id": config.cohort, "source": "csv",
                                 "status": "received"} for a in apps])
    store.engine.dispose()


def run_child(checkout: Path, cohort_file: Path, url: str, runs: int, home: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout / "plugins"), "MENTORFLOW_PROJECT_DIR": str(checkout),
           "MENTORFLOW_HOME": str(home)}
    env.pop("MENTORFLOW_STORE_URL", None)
    out = subprocess.run([sys.executable, str(HERE / "quality_child.py"), str(cohort_file), url, str(runs)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def database(backend: str, tmp: Path, n: int):
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'store-{n}.db'}", lambda: None
    name = f"mentorflow_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="600,10000,100000")
    parser.add_argument("--against", default=BEFORE, help="the earlier revision (commit, branch or tag)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3, help="gates per process (the first is cold)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    config = parse_cohort(COHORT)
    agree = True
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cohort_file = tmp / "bench-cohort.yaml"
        cohort_file.write_text(COHORT)
        earlier = export_revision(args.against, tmp / "earlier")
        print(f"applications gate as the validate stage runs it, {args.backend} store; "
              f"this checkout against {args.against}\n")
        print(f"{'rows':>8} {'revision':<10} {'GX import':>9} {'cold s':>7} {'warm s':>7} {'warm CPU s':>10} "
              f"{'rows/s':>8} {'rows/CPU-s':>10} {'held':>6}  speed-up (warm wall, CPU)")
        for n in (int(s) for s in args.sizes.split(",")):
            url, drop = database(args.backend, tmp, n)
            try:
                seed_store(url, config, n, args.seed, tmp)
                found = {}
                for label, checkout in ((args.against, earlier), ("this", ROOT)):
                    found[label] = run_child(checkout, cohort_file, url, args.runs, tmp / f"home-{label}")
            finally:
                drop()
            before, now = found[args.against], found["this"]
            for label, r in found.items():
                r["warm"], r["warm_cpu"] = min(r["seconds"][1:] or r["seconds"]), min(r["cpu"][1:] or r["cpu"])
            for label, r in found.items():
                ratio = f"{before['warm'] / r['warm']:.1f}x, {before['warm_cpu'] / r['warm_cpu']:.1f}x"
                print(f"{n:>8,} {label[:10]:<10} {r['gx_import']:>8.2f}s {r['seconds'][0]:>7.2f} {r['warm']:>7.2f} "
                      f"{r['warm_cpu']:>10.2f} {n / r['warm']:>8,.0f} {n / r['warm_cpu']:>10,.0f} {r['held']:>6,}  "
                      f"{ratio if r is now else '(baseline)'}")
            same = before["digest"] == now["digest"] and before["summary"] == now["summary"]
            agree &= same
            print(f"{'':>8} a fresh task process (GX import + first context + cold gate): "
                  f"{now['gx_import'] + now['gx_context'] + now['seconds'][0]:.2f} s this "
                  f"(context {now['gx_context']:.2f} s), "
                  f"{before['gx_import'] + before['gx_context'] + before['seconds'][0]:.2f} s {args.against}; "
                  f"same quarantine rows, reasons and statuses: {same}")
        print(f"\nheld by check (last size): {now['by_check']}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
