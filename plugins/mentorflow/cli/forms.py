"""``mentorflow forms …``: serve the participant forms, deliver queued triage events.

    mentorflow forms serve [--host 127.0.0.1] [--port 8088]
    mentorflow forms deliver-events [--cohort NAME ...]   (run it from cron, e.g. every 5 minutes)
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
