"""How fast the applications gate validates 100,000 applications with Great Expectations,
against the same checks done with plain pandas masks (the baseline), measured in the same run.

    python benchmarks/bench_quality.py [--applications 100000] [--seed 7]

Both sides get the same computed columns; the ratio is what Great Expectations costs on top
(its metric graph, result objects and unexpected-row lists) for the results and reports it gives.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

import pandas as pd  # noqa: E402
from mentorflow.cohorts.loader import parse_cohort  # noqa: E402
from mentorflow.demo.synthetic import APPLICATION_COLUMNS, generate_applications, generate_roster  # noqa: E402
from mentorflow.quality import suites  # noqa: E402
from mentorflow.quality.expectations import Spec, validate  # noqa: E402
from mentorflow.quality.reader import read_csv  # noqa: E402

COHORT = """
cohort: bench-cohort
name: Benchmark cohort
program_type: traditional
calendar: {application_open: 2026-01-05T09:00, application_close: 2026-01-19T17:00, kickoff: 2026-02-02T09:00,
           midpoint: 2026-05-04T09:00, close_out: 2026-08-03T09:00}
sources: {roster_csv: roster.csv}
"""


def pandas_unexpected(frame: pd.DataFrame, spec: Spec) -> pd.Series:
    """The baseline: the same expectation as a plain pandas mask of failing rows."""
    kw = spec.kwargs
    if "column_A" in kw:
        return frame[kw["column_A"]] < frame[kw["column_B"]]
    column = frame[kw.get("column")] if "column" in kw else None
    present = column.notna() if column is not None else None
    match spec.expectation:
        case "ExpectColumnValuesToBeNull":
            return present
        case "ExpectColumnValuesToNotBeNull":
            return ~present
        case "ExpectColumnValuesToBeInSet":
            return present & ~column.isin(kw["value_set"])
        case "ExpectColumnValuesToBeUnique":
            return present & column.duplicated(keep=False)
        case "ExpectColumnValuesToMatchRegex":
            return present & ~column.astype("str").str.match(kw["regex"])
        case "ExpectColumnValuesToBeBetween":
            low, high = kw.get("min_value"), kw.get("max_value")
            bad = pd.Series(False, index=frame.index)
            if low is not None:
                bad |= (column <= low) if kw.get("strict_min") else (column < low)
            if high is not None:
                bad |= column > high
            return present & bad
    raise ValueError(spec.expectation)


def timed(label: str, rows: int | None, fn):
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    rate = f"{rows / seconds:>12,.0f} rows/s" if rows else ""
    print(f"  {label:<44} {seconds:8.2f} s  {rate}")
    return result, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    config = parse_cohort(COHORT)
    print(f"generating {args.applications:,} applications (mentorflow.demo.synthetic, seed {args.seed}) …", flush=True)
    roster = generate_roster(int(args.applications / 0.6 * 1.03), args.seed)
    apps_csv = generate_applications(roster, args.seed).head(args.applications)
    n = len(apps_csv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "applications.csv"
        apps_csv.to_csv(path, index=False, columns=APPLICATION_COLUMNS)
        print("\nonce per task process:")
        timed("import great_expectations", None, lambda: __import__("great_expectations"))
        print(f"\nintake gate ({n:,} rows, {path.stat().st_size / 1e6:.1f} MB CSV):")
        frame, header = timed("streaming CSV reader", n, lambda: read_csv(path))[0]
        roster_ids = set(roster["employee_id"])
        batch = suites.intake_batch(frame, header, roster_ids)
        _, gx_intake = timed("Great Expectations", n, lambda: validate("intake", batch.frame, batch.specs))
        _, pd_intake = timed("pandas masks (baseline)", n, lambda: [pandas_unexpected(batch.frame, s)
                                                                     for s in batch.specs if s.needs_rows])
        apps = pd.DataFrame(suites.application_records(frame))
        apps["status"] = "received"
        people = roster.assign(on_pip=roster["on_pip"].eq("true"), level=roster["level"].astype(int))
        print(f"\napplications gate ({n:,} rows):")
        app_batch, columns = timed("computed columns (shared by both)", n,
                                   lambda: suites.applications_batch(apps, people, config))
        results, gx_apps = timed(f"Great Expectations ({len(app_batch.specs)} expectations)", n,
                                 lambda: validate("applications", app_batch.frame, app_batch.specs))
        masks, pd_apps = timed("pandas masks (baseline)", n, lambda: [pandas_unexpected(app_batch.frame, s)
                                                                       for s in app_batch.specs])
        gx_rows = {r.spec.check: len(r.unexpected_rows) for r in results}
        pd_rows = {s.check: int(m.sum()) for s, m in zip(app_batch.specs, masks)}
        agree = all(sum(len(r.unexpected_rows) for r in results if r.spec.check == c) ==
                    sum(int(m.sum()) for s, m in zip(app_batch.specs, masks) if s.check == c) for c in gx_rows)
    print(f"\nGX / pandas time ratio: intake {gx_intake / pd_intake:.1f}x, applications {gx_apps / pd_apps:.1f}x; "
          f"applications gate end to end {n / (columns + gx_apps):,.0f} rows/s")
    print(f"unexpected rows by check: {dict(sorted(pd_rows.items()))} (GX and pandas agree: {agree})")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
