"""The demo's own time (issue 21, target 7), against an earlier revision in the same run.

    python benchmarks/bench_demo.py [--against REV] [--rounds 2] [--people 300]

Each round runs ``mentorflow demo --no-serve`` of this checkout and, with ``--against``, of ``REV`` (its
``plugins/``, ``include/`` and ``dags/`` unpacked from git), alternately, each in a fresh process with a folder
of its own. Prints per run the demo's own ``Done in`` (from the start of its work to the end of the lifecycle),
the wall time and the CPU time of the demo with its children (the Airflow API server it starts), read from the
operating system, and the medians and their ratio. The stage lines each demo prints are kept with ``--show``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

from bench_company import environment, timed
from revisions import export_revision

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--against", help="an earlier revision, run alternately with this checkout")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--show", action="store_true", help="print each demo's own lines (setup steps, stages)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        work = Path(tmp)
        sides = {"this checkout": ROOT}
        if args.against:
            sides[f"revision {args.against}"] = export_revision(args.against, work / "earlier",
                                                                ("plugins", "include", "dags"))
        runs: dict[str, list[dict]] = {name: [] for name in sides}
        print(f"machine: {os.cpu_count()} cores; demo of {args.people} people, --no-serve")
        for round_no in range(1, args.rounds + 1):
            for side, (name, checkout) in enumerate(sides.items()):
                home = work / f"home-{round_no}-{side}"
                load = os.getloadavg()[0]
                run = timed([sys.executable, "-m", "mentorflow.cli.main", "demo", "--home", str(home), "--no-serve",
                             "--people", str(args.people)], environment(checkout), work)
                done = re.search(r"Done in (\d+(?:\.\d+)?)s", run["out"])
                run["done"] = float(done.group(1)) if done else float("nan")
                runs[name].append(run)
                print(f"round {round_no}, {name}: Done in {run['done']:.0f} s, wall {run['wall']:.1f} s, "
                      f"CPU {run['cpu']:.1f} s, peak {run['peak_mb']:,.0f} MB (load average {load:.1f})")
                if args.show:
                    print(run["out"])
        print("\nmedians (Done in / wall / CPU):")
        medians = {name: {k: statistics.median(r[k] for r in rs) for k in ("done", "wall", "cpu")}
                   for name, rs in runs.items()}
        for name, m in medians.items():
            print(f"  {name:<28} {m['done']:6.1f} s {m['wall']:7.1f} s {m['cpu']:7.1f} s")
        if args.against:
            this, before = medians["this checkout"], medians[f"revision {args.against}"]
            print(f"this checkout / revision {args.against}: Done in ×{this['done'] / before['done']:.2f}, "
                  f"wall ×{this['wall'] / before['wall']:.2f}, CPU ×{this['cpu'] / before['cpu']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
