"""``mentorflow match``: a what-if matching run on CSV files, outside Airflow.

    mentorflow match --cohort cohorts/spring.yaml [--roster roster.csv] [--applications applications.csv]
                     [--out whatif/] [--today 2027-03-15] [--top-k 15] [--fairness maxmin] [--certify]

It runs the same load, gate and decide steps as the cohort's stages (roster import and
eligibility, application import and validation, matching, report) into a throw-away program store
inside ``--out``, so the figures are the ones the real run would produce, then writes
``matches.csv``, ``unmatched.csv`` and the HTML reports (proposed matches with the fairness audit,
data quality). A what-if never sends anything (none of the stages' sending steps runs, and the
cohort's sender is swapped for an outbox inside ``--out`` in case one ever did) and never writes to
the cohort's store (the cohort's store settings are swapped for the throw-away store).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path


def _cpu() -> float:
    """CPU seconds of this process (every thread) and of its finished children (the CBC solver)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Phases:
    """Wall and CPU time of each phase of the run, printed as a table at the end with the peak memory (on a
    shared machine wall time counts other people's work too, CPU time does not)."""

    def __init__(self) -> None:
        self.seconds: dict[str, tuple[float, float]] = {}
        self.started = self._at = time.perf_counter()
        self.cpu_started = self._cpu_at = _cpu()

    def done(self, name: str) -> None:
        now, cpu = time.perf_counter(), _cpu()
        wall0, cpu0 = self.seconds.get(name, (0.0, 0.0))
        self.seconds[name] = (wall0 + now - self._at, cpu0 + cpu - self._cpu_at)
        self._at, self._cpu_at = now, cpu

    def table(self, engine: dict[str, float]) -> str:
        rows = [f"  {'phase':<34} {'wall':>8} {'CPU':>8}"]
        for name, (wall, cpu) in self.seconds.items():
            rows.append(f"  {name:<34} {wall:7.2f}s {cpu:7.2f}s")
            if name == "matching":
                rows += [f"    {part:<32} {engine[part]:7.2f}s" for part in ENGINE_PHASES if part in engine]
        total, cpu = time.perf_counter() - self.started, _cpu() - self.cpu_started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        return "\n".join(["phases (seconds since the command started its work; imports of the command line itself "
                          "come before):", *rows, f"  {'total':<34} {total:7.2f}s {cpu:7.2f}s",
                          f"peak memory (this process): {peak:,.0f} MB"])


# the engine's own phases (MatchResult.stats["seconds"]), shown under "matching"
ENGINE_PHASES = ("prepare", "score", "solve", "fill", "explain_unmatched_rows", "certify", "pair_reasons",
                 "unmatched_reasons")


def cmd_match(args: argparse.Namespace) -> int:
    phases = Phases()
    from mentorflow.cohorts.loader import parse_cohort
    from mentorflow.errors import CohortConfigError, GateFailure, ImportFileError
    from mentorflow.matching import propose
    from mentorflow.quality import stage_gates
    from mentorflow.quality.expectations import direct_checks
    from mentorflow.reports import matches as reports
    from mentorflow.reports.render import write_csv
    from mentorflow.stages import intake, match
    from mentorflow.stages import open as open_stage
    from mentorflow.stages.common import CohortRun
    from mentorflow.store import Store

    phases.done("import")
    cohort_path = Path(args.cohort)
    try:
        config = parse_cohort(cohort_path.read_text(encoding="utf-8"), cohort_path)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"✗ {cohort_path}: cannot be read ({exc})", file=sys.stderr)
        return 1
    except CohortConfigError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 1
    sources = config.sources.model_copy(update={
        "roster_csv": str(Path(args.roster).resolve()) if args.roster else str(config.resolve(config.sources.roster_csv)),
        "applications_csv": str(Path(args.applications).resolve()) if args.applications else (
            str(config.resolve(config.sources.applications_csv)) if config.sources.applications_csv else None)})
    if not sources.applications_csv:
        print("✗ no applications: pass --applications or set sources.applications_csv in the cohort file", file=sys.stderr)
        return 1
    rules = config.matching.rules.model_copy(update={
        k: v for k, v in (("top_k", args.top_k), ("fairness", args.fairness)) if v is not None})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ["MENTORFLOW_HOME"] = str(out.resolve())  # reports of this what-if run go under --out
    db = out / "whatif.db"
    db.unlink(missing_ok=True)
    store = Store(f"sqlite:///{db}", durable=False)  # thrown away: no need to wait for the disk at each commit
    store.upgrade()
    # nothing of this run can reach the cohort's people or its store, even through a step that would try
    config = config.model_copy(update={
        "sources": sources, "matching": config.matching.model_copy(update={"rules": rules}),
        "sender": config.sender.model_copy(update={"backend": "outbox", "conn_id": None}),
        "store": config.store.model_copy(update={"url": str(store.url), "conn_id": None})})
    print(f"what-if run: nothing is sent to anyone and the cohort's store is not touched "
          f"(a throw-away store in {out})", flush=True)
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    run = CohortRun(config, store, config.at(dt.datetime.combine(today, dt.time(9, 0))), run_id="what-if")
    phases.done("setup (cohort, throw-away store)")
    started = time.monotonic()

    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)

    # the gates' checks are computed with pandas where Great Expectations would decide the same way
    # (quality/direct.py): the figures are the stages' own, without importing Great Expectations
    try:
        with direct_checks():
            say(f"roster {sources.roster_csv} …")
            roster = open_stage.import_roster(run)
            say(f"  {roster['people']:,} people, {roster['eligible']:,} eligible, "
                f"{roster['quarantined_rows']} rows quarantined")
            phases.done("roster (read, gate, store)")
            say(f"applications {sources.applications_csv} …")
            imported = intake.import_applications(run)
            phases.done("applications (read, gate, store)")
            # the validate stage's gate without its gap-fill emails
            checked = stage_gates.check_applications(config, store)
            phases.done("validation gate")
        if checked["valid"] == 0:
            raise GateFailure(f"applications: none of {checked['applications']} applications is valid; "
                              f"see {checked['report']}")
        say(f"  {imported['imported']:,} imported, {checked['valid']:,} valid, {checked['quarantined']} quarantined "
            f"(reasons: {checked['report']})")
    except (ImportFileError, GateFailure) as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1

    inp = match.match_input(config, store, moment=run.moment)
    phases.done("match input (store read)")
    result = propose(inp, progress=say, certify=args.certify or None)
    phases.done("matching")
    match.replace_proposal(run, "initial", result)
    phases.done("proposal (store write)")
    report = reports.write_match_report(config, store, "initial")
    phases.done("report (HTML)")
    for name, frame in (("matches", result.pairs), ("unmatched", result.unmatched)):
        write_csv(out / f"{name}.csv", frame.to_dict("records"), list(frame.columns))  # formula cells neutralised
    phases.done("matches.csv, unmatched.csv")
    stats = result.stats
    say(f"{len(result.pairs):,} pairs (total score {stats['objective']:.3f}), {len(result.unmatched):,} unmatched; "
        f"timings {stats['seconds']}")
    say(f"certificate: {stats['certificate']['text']}")
    for note in result.notes:
        say(f"note: {note}")
    print(f"wrote {out / 'matches.csv'}, {out / 'unmatched.csv'} and {report}")
    store.engine.dispose()
    print(phases.table(stats["seconds"]), flush=True)
    return 0


def register(subparsers) -> None:
    match = subparsers.add_parser("match", help="what-if matching run on CSV files (writes matches.csv and the report)")
    match.add_argument("--cohort", required=True, help="cohort YAML: weights, rules, eligibility, locks and forbids")
    match.add_argument("--roster", help="roster CSV (default: the cohort's sources.roster_csv)")
    match.add_argument("--applications", help="applications CSV (default: the cohort's sources.applications_csv)")
    match.add_argument("--out", default="whatif", help="output folder (default: whatif/)")
    match.add_argument("--today", help="date for tenure rules (YYYY-MM-DD, default: today)")
    match.add_argument("--top-k", type=int, help="candidate partners kept per mentee (default: the cohort's rules.top_k)")
    match.add_argument("--fairness", choices=["none", "cover", "maxmin"], help="override rules.fairness")
    match.add_argument("--certify", action="store_true",
                       help="bound what top-k pruning cost even when the cohort is too large for the automatic "
                            "certificate (rules.certify); printed and shown in the report")
    match.set_defaults(func=cmd_match)
