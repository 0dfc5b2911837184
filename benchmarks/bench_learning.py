"""Learning with evidence: what the permutation p-value and bootstrap intervals cost.

    python benchmarks/bench_learning.py [--pairs 1000] [--rounds 5]

The baseline, in the same run, is one plain fit of the same pairs (no shuffles, no resamples): the
figure is how many plain fits the full judgement costs, and its wall time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from mentorflow.outcomes import evidence  # noqa: E402


def timed(call, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(4)
    x = rng.random((args.pairs, 6))
    y = rng.random(args.pairs)
    plain = timed(lambda: evidence.fit(x, y, bootstrap=False, permutations=0), args.rounds)
    full = timed(lambda: evidence.fit(x, y), args.rounds)
    print(f"{args.pairs:,} pairs, 6 components, {args.rounds} rounds each")
    print(f"  plain fit:   median {1000 * statistics.median(plain):.2f} ms")
    print(f"  judgement ({evidence.PERMUTATIONS} shuffles, {evidence.BOOTSTRAPS} resamples): "
          f"median {1000 * statistics.median(full):.1f} ms = ×{statistics.median(full) / statistics.median(plain):.0f} "
          "a plain fit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
