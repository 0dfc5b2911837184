"""Drive the forms benchmark with wrk (a compiled load generator, so the client is not the bottleneck).

Every request is prepared ahead in a file (method, path, cookie, body), shared out among wrk's threads
by ``forms_wrk.lua``; each thread sends its share round and round until ``-d`` ends the run or the run has had
``max_requests`` replies, so a run is bounded in time and in requests. Loopback only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().with_name("forms_wrk.lua")
MAX_REQUESTS = 1_000_000  # a run's bound in requests (its bound in time is -d): ~30 s at the fastest rate seen


def available() -> bool:
    return shutil.which("wrk") is not None


def run(base: str, lines: list[tuple[str, str, str, str]], work: Path, *, name: str, connections: int,
        threads: int = 2, seconds: int = 120, capture: bool = False, max_requests: int = MAX_REQUESTS) -> dict:
    """One wrk run of ``seconds`` and at most ``max_requests`` over ``lines``; returns requests, seconds, p50/p99
    (ms), errors, statuses and, with ``capture``, the (link token, CSRF cookie, CSRF field) of each distinct form
    page received. A run that reaches ``max_requests`` before its time is refused (wrk divides by the whole
    time, so its rates would be too low)."""
    if not base.startswith("http://127.0.0.1:"):
        raise SystemExit("the load generator runs against loopback only")
    if any("\t" in part or "\n" in part for line in lines for part in line):
        raise ValueError("a prepared request may not contain a tab or a newline")
    requests = work / f"{name}.tsv"
    requests.write_text("".join("\t".join(line) + "\n" for line in lines))
    args = [str(requests), str(threads), str(-(-max_requests // threads))] + \
        ([str(work / f"{name}-captured-")] if capture else [])
    command = ["wrk", "-t", str(threads), "-c", str(max(connections, threads)), "-d", f"{seconds}s",
               "--timeout", "30s", "-s", str(SCRIPT), base, "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    found = [line for line in done.stdout.splitlines() if line.startswith("WRK_RESULT ")]
    if done.returncode != 0 or not found:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip()[:500]} {done.stdout[-500:]}")
    result = json.loads(found[0].removeprefix("WRK_RESULT "))
    if result.pop("capped"):
        raise SystemExit(f"wrk: the {name} run reached its cap of {max_requests:,} requests before its {seconds} s "
                         "ended; its rates would be wrong: give fewer seconds")
    result["p50 ms"], result["p99 ms"] = result.pop("p50_us") / 1000, result.pop("p99_us") / 1000
    if capture:
        result["captured"] = [row.split("\t") for path in sorted(work.glob(f"{name}-captured-*.tsv"))
                              for row in path.read_text().splitlines() if row]
    return result
