"""``mentorflow forms …``: serve the participant forms, deliver queued triage events.

    mentorflow forms serve [--host 127.0.0.1] [--port 8088]
    mentorflow forms deliver-events [--cohort NAME ...]   (run it from cron, e.g. every 5 minutes)
    mentorflow forms link COHORT PERSON FORM [--until 2027-04-30] [--period pulse-2]
"""

from __future__ import annotations

import argparse
import json
import sys


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run("mentorflow.forms.app:app", host=args.host, port=args.port, workers=args.workers,
                proxy_headers=False, log_level="info")
    return 0


def cmd_deliver_events(args: argparse.Namespace) -> int:
    """Deliver every pending event of the chosen cohorts; exit 1 if any stays pending."""
    from mentorflow.cohorts.loader import find_cohort, load_cohorts
    from mentorflow.forms import events
    from mentorflow.store import Store

    if args.cohort:
        configs = [find_cohort(name) for name in args.cohort]
    else:
        configs, errors = load_cohorts()
        for error in errors:
            print(f"skipping {error}", file=sys.stderr)
    client = events.AirflowClient.from_env()
    pending = 0
    for config in configs:
        result = events.deliver_pending(Store.for_cohort(config), client, cohort_id=config.cohort)
        pending += result["pending"]
        print(json.dumps({"cohort": config.cohort, **result}))
    return 1 if pending else 0


def cmd_link(args: argparse.Namespace) -> int:
    """Print a fresh personal link (the emails' own token code); exit 1 with the reason when there is none.
    The link is printed for the person asking, never logged."""
    import datetime as dt

    from mentorflow.cohorts import calendar
    from mentorflow.cohorts.loader import find_cohort
    from mentorflow.errors import CohortConfigError
    from mentorflow.forms import links
    from mentorflow.forms.registry import deadline
    from mentorflow.stages.common import form_link
    from mentorflow.store import Store

    try:
        config = find_cohort(args.cohort)
    except CohortConfigError as exc:
        print(f"no cohort {args.cohort!r}: {exc}", file=sys.stderr)
        return 1
    store = Store.for_cohort(config)
    try:
        until = links.parse_until(args.until, config) if args.until else None
        grant = links.grant(config, store, args.person, args.form, now=dt.datetime.now(dt.timezone.utc),
                            until=until, period=args.period)
    except links.LinkRefused as exc:
        print(f"no link made: {exc}", file=sys.stderr)
        return 1
    finally:
        store.engine.dispose()
    closes = deadline(config, grant)
    print(form_link(config, grant.person_id, grant.form, grant.period, grant.until))
    print(f"{grant.form} form for {grant.person_id} ({config.name}), open until {calendar.describe(closes, config)}"
          f"{' (extended for this link)' if grant.until else ''}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    forms = subparsers.add_parser("forms", help="participant web forms").add_subparsers(dest="action", required=True)
    serve = forms.add_parser("serve", help="serve the forms app alone (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8088)
    serve.add_argument("--workers", type=int, default=1, help="each worker keeps its own rate-limit buckets")
    serve.set_defaults(func=cmd_serve)
    deliver = forms.add_parser("deliver-events", help="send queued re-match/end requests to Airflow's triage DAG")
    deliver.add_argument("--cohort", action="append", help="cohort id (repeatable; default: every cohort)")
    deliver.set_defaults(func=cmd_deliver_events)
    link = forms.add_parser("link", help="print a fresh personal link to a form (when someone's link expired)")
    link.add_argument("cohort", help="cohort id")
    link.add_argument("person", help="employee id")
    link.add_argument("form", help="application, gapfill, pulse, rematch, closeout, offer, recommendations, "
                                   "requests or partnership (a committee question's link comes from the console)")
    link.add_argument("--until", help="extend this one link past the form's deadline: a date (2027-04-30, end of "
                                      "that day) or a time (2027-04-30T17:00), in the cohort's timezone")
    link.add_argument("--period", help="the pulse period (pulse-2); default: the current one")
    link.set_defaults(func=cmd_link)
