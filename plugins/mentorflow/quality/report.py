"""The human-readable report of one gate run: what was checked, what failed, which rows.

Written for ops (it names records and reasons, never free-text answers), once per run under
``reports/<cohort>/dq/`` and copied to ``dq-<gate>.html`` as the latest.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mentorflow.contract.checks import CHECKS
from mentorflow.privacy import write_private_bytes
from mentorflow.quality.results import CheckOutcome
from mentorflow.reports import render

ROWS_SHOWN = 500


def write_report(config, store, gate: str, checked: int, outcomes: list[CheckOutcome], *, stopped: bool) -> Path:
    problems = [p for o in outcomes for p in o.problems]
    held = {(p.batch, p.row) for p in problems if p.severity == "soft"}
    checks = [{"name": o.check, "means": CHECKS[o.check].means, "expectations": o.expectations,
               "severity": o.severity, "checked": o.checked, "passed": o.passed,
               "table_failure": o.error or o.table_failure,
               "failed_rows": len({(p.batch, p.row) for p in o.problems}), "overridden": o.overridden}
              for o in outcomes]
    rows = [{"record_key": p.record_key, "line": p.line, "check": p.check,
             "reason": p.reason.removeprefix(p.check + ": "), "severity": p.severity} for p in problems]
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
    path = render.write_report(config, f"dq/{gate}-{stamp}.html", "dq.html",
                               {"gate": gate, "checked": checked, "checks": checks, "stopped": stopped,
                                "failed_checks": sum(1 for c in checks if not c["passed"]), "held_rows": len(held),
                                "rows": rows[:ROWS_SHOWN], "truncated": max(0, len(rows) - ROWS_SHOWN)},
                               store, f"dq-{gate}")
    write_private_bytes(path.parent.parent / f"dq-{gate}.html", path.read_bytes())
    return path
