"""``mentorflow cohort …``: create, check, list and inspect cohort files."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from mentorflow import settings
from mentorflow.cohorts import calendar
from mentorflow.cohorts.bounds import FIRST_YEAR, LAST_YEAR
from mentorflow.cli.output import print_errors, say_where
from mentorflow.cli.status import cmd_cohort_status
from mentorflow.cohorts.loader import cohort_files, load_cohort, load_cohorts, parse_cohort
from mentorflow.errors import CohortConfigError

NEW_COHORT = """\
# {name}: reviewed like code; `mentorflow cohort validate` checks it.
cohort: {cohort}
name: {name}
program_type: {program_type}          # traditional | reverse | symbiotic | group
timezone: {timezone}
calendar:
  application_open: {open}
  application_close: {close}
  kickoff: {kickoff}
  midpoint: {midpoint}
  close_out: {close_out}
  pulse_cadence: monthly            # monthly | weekly | every N minutes|hours|days
  reminder_after_days: 5
  intake_check_every_hours: 24
  evaluation_days: 14               # close-out evaluation window: reminder halfway, HR report at the end
matching:
  weights: {{skills: 0.35, goals: 0.2, personality: 0.15, preferences: 0.15, availability: 0.1, diversity: 0.05}}
  rules:
    # personality: {{openness: complement}}   # per trait similar | complement | ignore, or one word for all;
    #                                       # left out: the program type's defaults (docs/matching.md)
    max_mentees_per_mentor: 2
    min_level_gap: 1
    forbid_reporting_line: true
    forbid_repeat_pairs: true
  locks: []                         # [[mentor_id, mentee_id], ...] pairs that must be made
  forbids: []                       # pairs that must never be made
eligibility:
  exclude_pip: true
  min_tenure_days: 90
sender:
  backend: outbox                   # outbox | smtp | sendgrid
  from_email: mentoring@example.com
  from_name: Mentoring Program
  ops_email: mentoring-ops@example.com
  hr_email: hr-reports@example.com
committee:
  review_mode: hitl                 # hitl (Airflow approval step) | auto
  reviewers: []
  timeout_hours: 72
sources:
  roster_csv: {roster}
previous_cohorts: []
"""


def _open_date(text: str) -> dt.date | str:
    """The --open date, or what is wrong with it."""
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        return f"--open: {text!r} is not a date; give it as YYYY-MM-DD (e.g. 2027-03-01)"
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        return f"--open: {date.isoformat()} is outside the years {FIRST_YEAR} to {LAST_YEAR}"
    return date


def cmd_cohort_new(args: argparse.Namespace) -> int:
    target = settings.cohorts_dir() / f"{args.name}.yaml"
    if target.exists() and not args.force:
        print(f"{target} already exists (use --force to overwrite)", file=sys.stderr)
        return 1
    date = _open_date(args.open)
    if isinstance(date, str):
        print(date, file=sys.stderr)
        return 1
    opened = dt.datetime.combine(date, dt.time(9, 0))
    text = NEW_COHORT.format(
        cohort=args.name, name=args.title or args.name.replace("-", " ").title(), program_type=args.type,
        timezone=args.timezone, roster=args.roster, open=opened.isoformat(),
        close=(opened + dt.timedelta(days=14)).isoformat(), kickoff=(opened + dt.timedelta(days=28)).isoformat(),
        midpoint=(opened + dt.timedelta(days=28 + 91)).isoformat(),
        close_out=(opened + dt.timedelta(days=28 + 182)).isoformat(),
    )
    try:  # checked before it is written: a broken file in the cohorts folder would show up in Airflow
        parse_cohort(text, target)
    except CohortConfigError as error:
        print_errors([error])
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"created {target}; edit it, then run: mentorflow cohort validate {target}")
    return 0


def cmd_cohort_validate(args: argparse.Namespace) -> int:
    files = [Path(f) for f in args.files] or cohort_files()
    if not files:
        print(f"no cohort files in {settings.cohorts_dir()}", file=sys.stderr)
        say_where(getattr(args, "place", None), sys.stderr)
        return 1
    errors = []
    for path in files:
        try:
            config = load_cohort(path)
            print(f"✓ {path}: {config.name} ({config.program_type.value}), {len(calendar.pulse_dates(config))} pulse periods")
        except CohortConfigError as error:
            errors.append(error)
    print_errors(errors)
    return 1 if errors else 0


def cmd_cohort_list(args: argparse.Namespace) -> int:
    configs, errors = load_cohorts()
    say_where(getattr(args, "place", None))
    print(f"{'cohort':<24} {'type':<12} {'window':<35} {'close-out':<17} file")
    for c in configs:
        window = f"{c.calendar.application_open:%Y-%m-%d %H:%M} → {c.calendar.application_close:%Y-%m-%d %H:%M}"
        print(f"{c.cohort:<24} {c.program_type.value:<12} {window:<35} {c.calendar.close_out:%Y-%m-%d %H:%M}  {c.source_path}")
    print_errors(errors)
    return 1 if errors else 0


def register(sub) -> None:
    cohort = sub.add_parser("cohort", help="create, check and inspect cohort files").add_subparsers(dest="action", required=True)
    new = cohort.add_parser("new", help="write a new cohort YAML with sensible defaults")
    new.add_argument("name", help="cohort id: lower-case letters, digits, dashes")
    new.add_argument("--roster", required=True, help="path of the HRIS roster CSV")
    new.add_argument("--type", default="traditional", choices=["traditional", "reverse", "symbiotic", "group"])
    new.add_argument("--title", help="display name")
    new.add_argument("--timezone", default="UTC")
    new.add_argument("--open", default=(dt.date.today() + dt.timedelta(days=7)).isoformat(), help="window opens (date)")
    new.add_argument("--force", action="store_true")
    new.set_defaults(func=cmd_cohort_new, own_place=True)  # always the cohorts folder
    validate = cohort.add_parser("validate", help="check cohort files (all of them by default)")
    validate.add_argument("files", nargs="*")
    validate.set_defaults(func=cmd_cohort_validate)
    cohort.add_parser("list", help="list the cohorts").set_defaults(func=cmd_cohort_list)
    status = cohort.add_parser("status", help="where a cohort is: program store counts, Airflow runs and their figures")
    status.add_argument("name")
    status.set_defaults(func=cmd_cohort_status)
