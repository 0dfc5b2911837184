"""One timed matching run in a fresh process, for ``bench_scoring_cost.py``.

    PYTHONPATH=CHECKOUT/plugins python benchmarks/engine_child.py INSTANCE.pkl

Reads the roster and applications, runs the engine of whichever ``mentorflow`` is on the path with
the default rules (capacity 2) and weights, and prints one JSON line: wall and CPU seconds (this
process and the solver's), pairs and objective. Only settings every revision knows are used.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import pandas as pd
from mentorflow.cohorts.config import MatchingRules, Weights
from mentorflow.matching import MatchInput, propose


def cpu_seconds() -> float:
    own, child = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + child.ru_utime + child.ru_stime


def main(path: str) -> None:
    frames = pd.read_pickle(path)
    roster = frames["roster"]
    inp = MatchInput("traditional", MatchingRules(max_mentees_per_mentor=2), roster, frames["applications"],
                     weights=Weights())
    started, cpu = time.perf_counter(), cpu_seconds()
    result = propose(inp)
    print(json.dumps({"wall": time.perf_counter() - started, "cpu": cpu_seconds() - cpu,
                      "pairs": len(result.pairs), "objective": float(result.pairs["score"].sum()),
                      "phases": result.stats.get("seconds", {})}))


if __name__ == "__main__":
    main(sys.argv[1])
