"""The proposed-matches report the committee reviews before approving a round, and the monthly pulse report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow.reports.render import MIN_CELL, bar_width, histogram, write_report
from mentorflow.store import Store, applications, email_ledger, matches, pair_health, people, unmatched


def match_report_context(config, round_name: str, pairs: list[dict], left: list[dict], roster: pd.DataFrame,
                         roles: dict[str, str]) -> dict[str, Any]:
    """What the proposed-matches report shows, including the fairness audit (groups under 5 suppressed)."""
    from mentorflow.matching import fairness

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


def pulse_figures(config, store: Store) -> list[dict[str, Any]]:
    """Per pulse period: people asked, people who answered, and pairs in each health state."""
    cohort = config.cohort
    asked = store.frame(email_ledger, cohort_id=cohort, template="pulse")
    from mentorflow.store import pulse_responses

    answered = store.frame(pulse_responses, cohort_id=cohort)
    health = store.frame(pair_health, cohort_id=cohort)
    periods = sorted(set(asked["period"]) if len(asked) else set(), key=lambda p: int(str(p).split("-")[1]))
    rows = []
    for period in periods:
        n_asked = int((asked["period"] == period).sum())
        n_answered = int(answered.loc[answered["period"] == period, "respondent_id"].nunique()) if len(answered) else 0
        states = health.loc[health["period"] == period, "state"].value_counts() if len(health) else pd.Series(dtype=int)
        counts = {s: int(states.get(s, 0)) for s in ("On track", "Needs check-in", "At risk")}
        total = sum(counts.values())
        rows.append({"period": period, "asked": n_asked, "answered": n_answered,
                     "response_rate": n_answered / n_asked if n_asked else 0.0, "assessed": total, **counts,
                     "bars": {s: bar_width(c, total) for s, c in counts.items()}})
    return rows


def write_pulse_report(config, store: Store, period: str) -> Path:
    """The monthly pulse report for program ops (names of at-risk pairs, never their comments)."""
    everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
    pairs = {m["match_id"]: m for m in store.rows(matches, cohort_id=config.cohort)}
    at_risk = []
    for row in store.rows(pair_health, cohort_id=config.cohort, period=period):
        if row["state"] == "At risk" and row["match_id"] in pairs:
            pair = pairs[row["match_id"]]
            at_risk.append({**row, "mentor": everyone[pair["mentor_id"]]["full_name"],
                            "mentee": everyone[pair["mentee_id"]]["full_name"]})
    return write_report(config, "pulse-report.html", "pulse.html",
                        {"periods": pulse_figures(config, store), "latest": period,
                         "at_risk": sorted(at_risk, key=lambda r: r["score"])}, store, "pulse-report")
