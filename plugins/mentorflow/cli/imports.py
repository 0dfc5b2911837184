"""``mentorflow import mentor-match MENTORS.csv MENTEES.csv --out DIR``: participants from a peer tool.

Writes ``roster.csv`` and ``applications.csv`` in mentorflow's data contract and ``matching-rules.yaml``
(mentor-match's rules as cohort settings) into ``--out``. Each bad row is named (file, line, column,
reason) and left out; every good row is written. Exit 0 when every row came over, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mentorflow.errors import ImportFileError
from mentorflow.imports import files, mentor_match


def cmd_mentor_match(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        print(f"✗ --timezone: {args.timezone!r} is not an IANA timezone (e.g. Europe/London)", file=sys.stderr)
        return 1
    if (taken := files.existing_outputs(out)) and not args.force:
        print(f"✗ {', '.join(map(str, taken))} already exist(s) (use --force to overwrite)", file=sys.stderr)
        return 1
    try:
        grades = files.read_grades(Path(args.grades) if args.grades else None)
        mentors = files.read_source(Path(args.mentors), "mentor")
        mentees = files.read_source(Path(args.mentees), "mentee")
        result = mentor_match.convert(mentors, mentees, grades, args.timezone)
    except ImportFileError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 1
    for problem in result.problems:
        print(f"✗ {problem}", file=sys.stderr)
    for note in result.notes:
        print(f"! {note}", file=sys.stderr)
    if not result.roster:
        print("✗ no row could be imported; nothing was written", file=sys.stderr)
        return 1
    rules = mentor_match.rules_yaml(grades)
    paths = files.write_outputs(out, result, rules)
    roles = ", ".join(f"{result.counts[r]} {r}" for r in ("mentor", "mentee", "both") if r in result.counts)
    print(f"wrote {paths[0]} and {paths[1]}: {len(result.roster)} people ({roles}), levels from {grades.source}")
    print(f"wrote {paths[2]}, mentor-match's rules as cohort settings:\n\n{rules}")
    print("The applications lack what mentor-match does not ask (goals, personality answers, a mentor's capacity): "
          "the validate stage holds them and the gap-fill email asks each person for the rest.")
    if result.problems:
        print(f"{len(result.problems)} row(s) not imported (listed above): fix them in the source files and run "
              "again with --force", file=sys.stderr)
        return 1
    return 0


def register(sub) -> None:
    tools = sub.add_parser("import", help="participants from another mentoring tool, as roster.csv and "
                                          "applications.csv").add_subparsers(dest="tool", required=True)
    mm = tools.add_parser("mentor-match", help="mentor-match's mentors.csv and mentees.csv (docs/imports.md)")
    mm.add_argument("mentors", help="mentor-match's mentors file (mentors.csv)")
    mm.add_argument("mentees", help="mentor-match's mentees file (mentees.csv)")
    mm.add_argument("--out", required=True, help="folder for roster.csv, applications.csv and matching-rules.yaml")
    mm.add_argument("--grades", help="grade -> level table (YAML; default: include/imports/mentor_match_grades.yaml)")
    mm.add_argument("--timezone", default=mentor_match.DEFAULT_TIMEZONE,
                    help=f"everyone's timezone (default: {mentor_match.DEFAULT_TIMEZONE})")
    mm.add_argument("--force", action="store_true", help="overwrite the files in --out")
    mm.set_defaults(func=cmd_mentor_match)
