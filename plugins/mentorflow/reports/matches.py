"""The proposed-matches report the committee reviews before approving a round.

It shows every pair with its score, who is left unmatched, and the fairness audit, so the
committee can see whether a group is being served worse before anyone is told.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow.matching import fairness
from mentorflow.reports.render import MIN_CELL, histogram, write_report
from mentorflow.store import Store, applications, matches, people, unmatched


def match_report_context(config, round_name: str, pairs: list[dict], left: list[dict], roster: pd.DataFrame,
                         roles: dict[str, str]) -> dict[str, Any]:
    """What the proposed-matches report shows, including the fairness audit (groups under 5 suppressed)."""
    everyone = {p["employee_id"]: p for p in roster.to_dict("records")}
    for pair in pairs:
        pair["mentor"], pair["mentee"] = everyone[pair["mentor_id"]], everyone[pair["mentee_id"]]
    for row in left:
        row["person"] = everyone.get(row["employee_id"], {"full_name": row["employee_id"], "department": ""})
    symbiotic = config.program_type.value == "symbiotic"
    seekers = [p["mentee_id"] for p in pairs] + [p["mentor_id"] for p in pairs if symbiotic] + [
        r["employee_id"] for r in left if symbiotic or roles.get(r["employee_id"]) in ("mentee", "both")]
    frame = pd.DataFrame(pairs, columns=["mentor_id", "mentee_id", "score"]) if pairs else pd.DataFrame(
        columns=["mentor_id", "mentee_id", "score"])
    return {"round": round_name, "pairs": sorted(pairs, key=lambda p: -p["score"]), "unmatched": left,
            "histogram": histogram([p["score"] for p in pairs], bins=10, low=0.0, high=1.0),
            "audit": fairness.audit(roster, seekers, frame), "min_cell": MIN_CELL}


def write_match_report(config, store: Store, round_name: str) -> Path:
    """``matches-<round>.html``: the round's live pairs (proposed, approved, active) and who is left."""
    pairs = [m for m in store.rows(matches, cohort_id=config.cohort, round=round_name)
             if m["status"] in ("proposed", "approved", "active")]
    left = store.rows(unmatched, cohort_id=config.cohort, round=round_name)
    roles = {a["employee_id"]: a["role"] for a in store.rows(applications, cohort_id=config.cohort)}
    context = match_report_context(config, round_name, pairs, left, store.frame(people, cohort_id=config.cohort), roles)
    return write_report(config, f"matches-{round_name}.html", "matches.html", context, store, f"matches-{round_name}")
