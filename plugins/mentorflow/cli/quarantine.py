"""``mentorflow quarantine``: list the rows the data-quality gates hold, release or reject them.

    mentorflow quarantine list COHORT [--gate GATE] [--status STATUS]
    mentorflow quarantine release COHORT ID [ID ...]
    mentorflow quarantine reject COHORT ID [ID ...]

What release and reject do for each gate is described in :mod:`mentorflow.quality.quarantine`.
"""

from __future__ import annotations

import argparse
import json
import sys

from mentorflow.contract.checks import GATES

STATUSES = ("open", "fixed", "released", "rejected")


def _store(cohort: str):
    from mentorflow.cohorts.loader import find_cohort
    from mentorflow.errors import CohortConfigError
    from mentorflow.store import Store

    try:
        return Store.for_cohort(find_cohort(cohort))
    except CohortConfigError as error:
        print(f"✗ {error}", file=sys.stderr)
        return None


def cmd_list(args: argparse.Namespace) -> int:
    from mentorflow.quality.quarantine import list_rows

    store = _store(args.cohort)
    if store is None:
        return 1
    rows = list_rows(store, args.cohort, gate=args.gate, status=args.status)
    print(f"{'id':>6}  {'gate':<12} {'status':<9} {'severity':<8} {'record':<16} {'line':>7}  reason")
    for r in rows:
        line = json.loads(r["row_json"] or "{}").get("_line") or ""
        print(f"{r['id']:>6}  {r['gate']:<12} {r['status']:<9} {r['severity']:<8} {r['record_key']:<16} {line:>7}  "
              f"{r['reason']}")
    print(f"{len(rows)} row(s)")
    return 0


def _decide(status: str):
    def command(args: argparse.Namespace) -> int:
        from mentorflow.quality.quarantine import decide

        store = _store(args.cohort)
        if store is None:
            return 1
        lines = decide(store, args.cohort, args.ids, status)
        for line in lines:
            print(line)
        return 1 if any("no quarantine row" in line for line in lines) else 0

    return command


def register(subparsers: argparse._SubParsersAction) -> None:
    q = subparsers.add_parser("quarantine", help="rows the data-quality gates hold: list, release, reject")
    actions = q.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="quarantined rows of a cohort, oldest first")
    listing.add_argument("cohort")
    listing.add_argument("--gate", choices=GATES)
    listing.add_argument("--status", choices=STATUSES)
    listing.set_defaults(func=cmd_list)
    for status, verb, text in (("released", "release", "override: the gate stops holding the rows for these reasons"),
                               ("rejected", "reject", "rule the rows out for good")):
        decide = actions.add_parser(verb, help=text)
        decide.add_argument("cohort")
        decide.add_argument("ids", nargs="+", type=int, metavar="ID", help="ids from `quarantine list`")
        decide.set_defaults(func=_decide(status))
