"""``mentorflow person export|erase``: a person's data-protection requests, for one cohort or all."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from mentorflow.cohorts.config import CohortConfig
from mentorflow.cohorts.loader import find_cohort, load_cohorts
from mentorflow.errors import CohortConfigError
from mentorflow.personal_data import erasure, export
from mentorflow.store import Store


def _cohorts(args: argparse.Namespace) -> list[CohortConfig]:
    if args.all:
        return load_cohorts()[0]
    return [find_cohort(args.cohort)]


def cmd_export(args: argparse.Namespace) -> int:
    try:
        configs = _cohorts(args)
    except CohortConfigError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 1
    document = {"employee_id": args.employee_id, "cohorts": {}}
    for config in configs:
        held = export.collect(Store.for_cohort(config), config.cohort, args.employee_id)
        if any(held.values()):
            document["cohorts"][config.cohort] = held
    out = Path(args.out or f"{args.employee_id}-export.json")
    out.write_text(json.dumps(document, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
    out.chmod(0o600)
    print(f"wrote {out}: {len(document['cohorts'])} cohort(s) hold data about {args.employee_id}")
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    try:
        configs = _cohorts(args)
    except CohortConfigError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 1
    pseudonym = None  # one pseudonym across cohorts, so repeat-pair rules between them still hold
    erased = 0
    for config in configs:
        store = Store.for_cohort(config)
        plan = erasure.plan(store, config.cohort, args.employee_id, pseudonym)
        if not plan.found:
            continue
        pseudonym = plan.pseudonym
        counts = erasure.apply(store, plan, args.by or getpass.getuser())
        erased += 1
        print(f"✓ {config.cohort}: erased ({sum(counts.values())} rows and files changed)")
    if not erased:
        print(f"nothing held about {args.employee_id} in {'any cohort' if args.all else args.cohort}")
    return 0


def register(sub) -> None:
    person = sub.add_parser("person", help="a person's data: export it, or erase it").add_subparsers(
        dest="action", required=True)
    for name, func, text in (("export", cmd_export, "write everything held about a person as one JSON file"),
                             ("erase", cmd_erase, "remove a person's data irreversibly (counts stay right)")):
        command = person.add_parser(name, help=text)
        scope = command.add_mutually_exclusive_group(required=True)
        scope.add_argument("cohort", nargs="?", help="the cohort (or --all)")
        scope.add_argument("--all", action="store_true", help="every cohort")
        command.add_argument("employee_id")
        if name == "export":
            command.add_argument("--out", help="the JSON file (default: <employee_id>-export.json)")
        else:
            command.add_argument("--by", help="who performs the erasure (default: the logged-in user)")
        command.set_defaults(func=func)
