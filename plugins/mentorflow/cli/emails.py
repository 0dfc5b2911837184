"""``mentorflow email``: preview templates and see what could not be delivered.

    mentorflow email templates
    mentorflow email preview TEMPLATE [--out FILE] [--format html|text]   (default FILE: <home>/previews/TEMPLATE.html)
    mentorflow email failures COHORT [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def matcher_reasons() -> list[str]:
    """Why the sample pair was made, in the real matcher's words as its participant reads them: the example pair
    of the previews matched by the matcher (mentorflow.matching.example), through the participants' filter."""
    from mentorflow.contract.disclosure import participant_reasons
    from mentorflow.matching.example import pair_explanation

    return participant_reasons(pair_explanation(), partner_shares_goals=True)


def default_preview(template: str, fmt: str) -> Path:
    """Where a preview goes without ``--out``: the previews folder of the mentorflow home (var/ by default)."""
    from mentorflow import settings

    return settings.home() / "previews" / f"{template}.{'html' if fmt == 'html' else 'txt'}"


def cmd_templates(args: argparse.Namespace) -> int:
    from mentorflow.messaging import samples
    from mentorflow.messaging.render import render_email

    for name in samples.template_names():  # subjects only: no reasons needed
        try:
            subject, _, _ = render_email(name, samples.context(name))
        except KeyError:
            subject = "(no sample data yet: add it to mentorflow/emailing/samples.py)"
        print(f"{name:<16} {subject}")
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from mentorflow.messaging import samples

    names = samples.template_names()
    if args.template not in names:
        print(f"no email template {args.template!r}; choose one of: {', '.join(names)}", file=sys.stderr)
        return 2
    message = samples.sample_email(args.template, reasons=matcher_reasons())
    out = Path(args.out) if args.out else default_preview(args.template, args.format)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "html":
        out.write_text(message.html, encoding="utf-8")
    else:
        out.write_text(f"Subject: {message.subject}\n\n{message.text}", encoding="utf-8")
    print(f"wrote {out} ({args.format}) — subject: {message.subject}")
    return 0


def cmd_failures(args: argparse.Namespace) -> int:
    from mentorflow.cohorts.loader import find_cohort
    from mentorflow.errors import CohortConfigError
    from mentorflow.messaging.ledger import undeliverable
    from mentorflow.store import Store

    try:
        config = find_cohort(args.cohort)
    except CohortConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    rows = undeliverable(Store.for_cohort(config), config.cohort)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"{config.cohort}: every email was delivered or is still queued")
        return 0
    print(f"{config.cohort}: {len(rows)} email(s) will not be delivered (not retried):")
    for row in rows:
        print(f"  {row['person_id']:<12} {row['recipient']:<36} {row['template']}/{row['period']}  "
              f"after {row['attempts']} attempt(s): {row['last_error']}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    email = subparsers.add_parser("email", help="preview email templates, list undeliverable emails")
    actions = email.add_subparsers(dest="action", required=True)
    actions.add_parser("templates", help="list the email templates with their sample subject").set_defaults(
        func=cmd_templates)
    preview = actions.add_parser("preview", help="render a template with sample data into a file")
    preview.add_argument("template")
    preview.add_argument("--out", help="file to write (default: previews/TEMPLATE.html or .txt in the mentorflow "
                                       "home, var/ unless MENTORFLOW_HOME says otherwise)")
    preview.add_argument("--format", choices=["html", "text"], default="html")
    preview.set_defaults(func=cmd_preview)
    failures = actions.add_parser("failures", help="emails that bounced, had an invalid address or used up attempts")
    failures.add_argument("cohort")
    failures.add_argument("--json", action="store_true")
    failures.set_defaults(func=cmd_failures)
