"""A company end to end: ``mentorflow generate``, then ``mentorflow match`` (the what-if run), each in a fresh
process, timed phase by phase, against baselines measured in the same run.

    python benchmarks/bench_company.py [--people 121500] [--rounds 1] [--against REV] [--keep DIR]

``--people 1000`` is the what-if of about 600 applicants (docs/performance.md, target 3); the default is the
121,500-person company (target 4). Prints for each round and side:

- wall time, CPU time (the process and its children: the CBC solver) and peak memory (the largest resident
  set of the process or a child), read from the operating system (``wait4``);
- the phase table ``mentorflow match`` prints (import, gates, scoring, solving, fill, explanations, report);

and, measured in the same run on the same files, the floors: ``python -c pass`` and a process that only
imports what any run needs (pandas, NumPy, SciPy's sparse matrices, SQLAlchemy, pydantic); with
``--against REV``, the same ``mentorflow match`` of that revision (``plugins/`` and ``include/`` exported
from git), alternating round by round, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from revisions import export_revision

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

COHORT = """cohort: bench-company
name: Bench company
program_type: traditional
timezone: UTC
calendar:
  application_open: '2026-01-05T09:00:00'
  application_close: '2026-01-05T09:20:00'
  kickoff: '2026-01-05T09:30:00'
  midpoint: '2026-01-05T10:02:00'
  close_out: '2026-01-05T10:40:00'
  pulse_cadence: every 15 minutes
  reminder_after_days: 0.005
  intake_check_every_hours: 0.1
  evaluation_days: 0.01
eligibility: {min_tenure_days: 30}
committee: {review_mode: hitl}
sources: {roster_csv: data/roster.csv, applications_csv: data/applications.csv}
"""


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run ``cmd``; its wall time, CPU time (with its children) and peak resident memory, and its output."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-3000:]}")
    # ru_maxrss of wait4 is the largest of the process and its waited-for descendants (KiB on Linux)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024, "out": out}


def environment(checkout: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout / "plugins"), "MENTORFLOW_PROJECT_DIR": str(checkout)}



def phase_table(out: str) -> str:
    lines = out.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("phases")), None)
    return "\n".join(lines[start:]) if start is not None else "(this revision prints no phase table)"


def same_outputs(mine: Path, theirs: Path) -> str:
    """What the two sides proposed: pairs and their total score from each ``matches.csv``, and whether the files
    are the same byte for byte (two exact solvers reach the same total; only ties may pick different pairs)."""
    import pandas as pd

    found = []
    for out in (mine, theirs):
        files = sorted(out.rglob("matches.csv"))
        if not files:
            return f"outputs: no matches.csv under {out.name}"
        frame = pd.read_csv(files[0])
        found.append((files[0], len(frame), float(frame["score"].sum()) if "score" in frame else float("nan")))
    (a, pairs_a, total_a), (b, pairs_b, total_b) = found
    unmatched = [next(iter(sorted(out.rglob("unmatched.csv"))), None) for out in (mine, theirs)]
    same_unmatched = all(unmatched) and unmatched[0].read_bytes() == unmatched[1].read_bytes()
    return (f"outputs: this checkout {pairs_a:,} pairs, total score {total_a:.4f}; the revision {pairs_b:,} pairs, "
            f"{total_b:.4f}; matches.csv the same byte for byte: {a.read_bytes() == b.read_bytes()}, "
            f"unmatched.csv: {same_unmatched}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=121_500)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--against", help="an earlier revision to run on the same files, round by round")
    ap.add_argument("--keep", type=Path, help="work in this folder (and keep it) instead of a temporary one")
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-company-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        (work / "company.yaml").write_text(COHORT, encoding="utf-8")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; {args.people:,} people")
        env = environment(ROOT)
        gen = timed([py, "-m", "mentorflow.cli.main", "generate", "--people", str(args.people), "--out",
                     str(work / "data")], env, work)
        applicants = sum(1 for _ in open(work / "data" / "applications.csv", encoding="utf-8")) - 1
        print(f"generate: wall {gen['wall']:.1f} s, CPU {gen['cpu']:.1f} s, peak {gen['peak_mb']:,.0f} MB "
              f"({applicants:,} applications)")
        sides = {"this checkout": ROOT}
        if args.against:
            sides[f"revision {args.against}"] = export_revision(args.against, work / "earlier")
        floors = {"python -c pass": [py, "-c", "pass"],
                  "import pandas, numpy, scipy.sparse, sqlalchemy, pydantic":
                      [py, "-c", "import pandas, numpy, scipy.sparse, sqlalchemy, pydantic"]}
        runs: dict[str, list[dict]] = {name: [] for name in [*sides, *floors]}
        for round_no in range(1, args.rounds + 1):
            for name, cmd in floors.items():
                runs[name].append(timed(cmd, env, work))
            for name, checkout in sides.items():
                result = timed([py, "-m", "mentorflow.cli.main", "match", "--cohort", "company.yaml", "--out",
                                str(work / f"out-{name.split()[0]}"), "--today", "2026-01-05"],
                               environment(checkout), work)
                runs[name].append(result)
                print(f"\nround {round_no}, {name}: wall {result['wall']:.1f} s, CPU {result['cpu']:.1f} s, "
                      f"peak {result['peak_mb']:,.0f} MB (load average {os.getloadavg()[0]:.1f})")
                print(phase_table(result["out"]), flush=True)
        print("\nmedians (wall / CPU / peak memory):")
        for name, results in runs.items():
            print(f"  {name:<58} {statistics.median(r['wall'] for r in results):7.2f} s "
                  f"{statistics.median(r['cpu'] for r in results):7.2f} s "
                  f"{statistics.median(r['peak_mb'] for r in results):7,.0f} MB")
        mine = runs["this checkout"]
        floor = runs["import pandas, numpy, scipy.sparse, sqlalchemy, pydantic"]
        print(f"this checkout / import floor: wall ×{statistics.median(r['wall'] for r in mine) / statistics.median(r['wall'] for r in floor):.1f}, "
              f"CPU ×{statistics.median(r['cpu'] for r in mine) / statistics.median(r['cpu'] for r in floor):.1f}")
        if args.against:
            print(same_outputs(work / "out-this", work / "out-revision"))
            other = runs[f"revision {args.against}"]
            print(f"this checkout / revision {args.against}: wall ×"
                  f"{statistics.median(r['wall'] for r in mine) / statistics.median(r['wall'] for r in other):.2f}, "
                  f"CPU ×{statistics.median(r['cpu'] for r in mine) / statistics.median(r['cpu'] for r in other):.2f}, "
                  f"peak memory ×{statistics.median(r['peak_mb'] for r in mine) / statistics.median(r['peak_mb'] for r in other):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
