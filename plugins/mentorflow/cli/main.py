"""``mentorflow``: the command line for ops engineers.

    mentorflow [--home DIR] COMMAND …   (where the cohorts, store and Airflow home are: docs/settings.md)
    mentorflow cohort new NAME --roster roster.csv [--type traditional] [--open 2027-03-01]
    mentorflow cohort validate [FILE ...]
    mentorflow cohort list
    mentorflow cohort status NAME
    mentorflow generate --people 1000 --out data/ [--seed 7] [--type traditional]
    mentorflow db upgrade [--url URL] | current [--url URL] | ddl [--write]
    mentorflow demo [--people 300] [--seed 7] [--home var/demo] [--port 8080] [--no-serve]
    mentorflow import mentor-match MENTORS.csv MENTEES.csv --out DIR [--grades FILE] [--timezone Europe/London]
    mentorflow resources check [FILE] | list [--skill X] [--type book]
    mentorflow forms serve | deliver-events | link COHORT PERSON FORM [--until DATE]
    mentorflow email templates | preview TEMPLATE [--out FILE] | failures COHORT
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from mentorflow import settings
from mentorflow.cli import cohorts as cli_cohorts
from mentorflow.cli import emails as cli_email
from mentorflow.cli import forms as cli_forms
from mentorflow.cli import imports as cli_imports
from mentorflow.cli import person as cli_person
from mentorflow.cli import quarantine as cli_quality
from mentorflow.cli import resources as cli_resources
from mentorflow.cli import whatif as cli_match


def cmd_generate(args: argparse.Namespace) -> int:
    from mentorflow.demo.synthetic import generate_applications, generate_roster

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"[1/4] roster of {args.people:,} people …", flush=True)
    roster = generate_roster(args.people, args.seed)
    print(f"[2/4] applications ({args.type}) …", flush=True)
    apps = generate_applications(roster, args.seed, program_type=args.type)
    print("[3/4] writing roster.csv …", flush=True)
    roster.to_csv(out / "roster.csv", index=False)
    print("[4/4] writing applications.csv …", flush=True)
    apps.to_csv(out / "applications.csv", index=False)
    print(f"wrote {out / 'roster.csv'} ({len(roster):,} rows) and {out / 'applications.csv'} ({len(apps):,} rows) "
          f"in {time.monotonic() - started:.1f}s")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from mentorflow import store
    from mentorflow.errors import StoreNotReady

    if args.action == "ddl":
        for dialect in ("sqlite", "postgresql"):
            text = store.ddl(dialect)
            path = settings.sql_dir() / f"schema.{dialect}.sql"
            if args.write:
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path}")
            else:
                print(text)
        return 0
    target = store.Store(args.url)
    try:
        before = target.status()
        if args.action == "current":
            print(f"program store {target.shown_url}: {before.describe()}")
            return 0 if before.ready else 1
        _, after = target.upgrade()
    except StoreNotReady as error:
        print(error, file=sys.stderr)
        return 1
    except sa.exc.SQLAlchemyError as error:
        first_line = str(error).strip().splitlines()[0]
        print(f"program store {target.shown_url}: cannot {args.action} ({type(error).__name__}: {first_line})",
              file=sys.stderr)
        return 1
    finally:
        target.engine.dispose()
    if before.current == after:
        print(f"program store {target.shown_url}: already at revision {after} (head), nothing to do")
    else:
        since = (f"revision {before.current}" if before.current
                 else "mentorflow 0.1.0 (no migration history; stamped 0001)" if before.legacy
                 else "an empty database")
        print(f"program store {target.shown_url}: upgraded from {since} to revision {after}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from mentorflow.demo import run as demo

    return demo.main(people=args.people, seed=args.seed, home=Path(args.home) if args.home else None, port=args.port,
                     serve=args.serve)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mentorflow", description="Run mentoring cohorts as Airflow pipelines.")
    p.add_argument("--home", type=Path, help="work in this folder: its cohorts/, its store and reports, its airflow/ "
                                             "(e.g. var/demo; default: found as docs/settings.md says)")
    sub = p.add_subparsers(dest="command", required=True)

    cli_cohorts.register(sub)

    gen = sub.add_parser("generate", help="write a synthetic roster.csv and applications.csv")
    gen.add_argument("--people", type=int, default=300)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--type", default="traditional", choices=["traditional", "reverse", "symbiotic", "group"])
    gen.add_argument("--out", default="data")
    gen.set_defaults(func=cmd_generate)

    db = sub.add_parser("db", help="program store: migrate to this version, show the revision, print or write the DDL")
    db.add_argument("action", choices=["upgrade", "current", "ddl"],
                    help="upgrade: run the migrations to the head (creates the tables of a new store); "
                         "current: the store's revision (exit 1 unless at the head); ddl: CREATE statements")
    db.add_argument("--url", help="SQLAlchemy URL (default: MENTORFLOW_STORE_URL or the SQLite file)")
    db.add_argument("--write", action="store_true", help="ddl: write include/sql/schema.<dialect>.sql")
    db.set_defaults(func=cmd_db)

    demo = sub.add_parser("demo", help="run a synthetic cohort end to end through Airflow")
    demo.add_argument("--people", type=int, default=300)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--home", type=Path, help="output folder (default: var/demo)")
    demo.add_argument("--port", type=int, help="the Airflow API server's port on 127.0.0.1 (default: 8080; with "
                                               "--no-serve a free one)")
    demo.add_argument("--no-serve", dest="serve", action="store_false",
                      help="stop when the lifecycle ends (CI, scripts) instead of serving Airflow's UI, the forms and "
                           "the committee console until Ctrl-C")
    demo.set_defaults(func=cmd_demo, own_place=True)
    cli_email.register(sub)
    cli_forms.register(sub)
    cli_person.register(sub)
    cli_match.register(sub)
    cli_quality.register(sub)
    cli_imports.register(sub)
    cli_resources.register(sub)
    return p


def find_place(args: argparse.Namespace) -> settings.Place:
    """Where this command works (the settings' rule), made explicit in the environment for the rest of the process,
    Airflow included (imported later). The demo and ``cohort new`` keep their own folders unless ``--home`` names one."""
    place = settings.current().locate(home=args.home)
    if args.home is not None or not getattr(args, "own_place", False):
        os.environ.update(place.environment())
    return place


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.place = find_place(args)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
