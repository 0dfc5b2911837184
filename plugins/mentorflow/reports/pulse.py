"""The monthly pulse report for program ops, and the per-period health figures the HR report reuses.

Ops need the names of at-risk pairs to act on them; the pairs' comments never appear.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow.outcomes.health import AT_RISK, CHECK_IN, ON_TRACK
from mentorflow.reports.render import bar_width, write_report
from mentorflow.store import Store, email_ledger, group_health, matches, pair_health, people, pulse_responses

STATES = (ON_TRACK, CHECK_IN, AT_RISK)


def pulse_figures(config, store: Store) -> list[dict[str, Any]]:
    """Per pulse period: people asked, those of them who answered, and pairs in each health state."""
    cohort = config.cohort
    asked = store.frame(email_ledger, cohort_id=cohort, template="pulse")
    answered = store.frame(pulse_responses, cohort_id=cohort)
    health = store.frame(pair_health, cohort_id=cohort)
    periods = sorted(set(asked["period"]) if len(asked) else set(), key=lambda p: int(str(p).split("-")[1]))
    rows = []
    for period in periods:
        asked_now = set(asked.loc[asked["period"] == period, "person_id"])
        n_asked = len(asked_now)
        # answered = asked and answered: someone whose circle or written mentoring started after the survey went
        # out may answer about it with another partnership's link, but was not asked (a rate never tops 100%)
        n_answered = len(set(answered.loc[answered["period"] == period, "respondent_id"]) & asked_now) \
            if len(answered) else 0
        states = health.loc[health["period"] == period, "state"].value_counts() if len(health) else pd.Series(dtype=int)
        counts = {s: int(states.get(s, 0)) for s in STATES}
        total = sum(counts.values())
        rows.append({"period": period, "asked": n_asked, "answered": n_answered,
                     "response_rate": n_answered / n_asked if n_asked else 0.0, "assessed": total, **counts,
                     "bars": {s: bar_width(c, total) for s, c in counts.items()}})
    return rows


def write_pulse_report(config, store: Store, period: str) -> Path:
    """``pulse-report.html``: response and health by period, and the pairs at risk in ``period``."""
    everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
    pairs = {m["match_id"]: m for m in store.rows(matches, cohort_id=config.cohort)}
    at_risk = []
    for row in store.rows(pair_health, cohort_id=config.cohort, period=period):
        if row["state"] == AT_RISK and row["match_id"] in pairs:
            pair = pairs[row["match_id"]]
            at_risk.append({**row, "mentor": everyone[pair["mentor_id"]]["full_name"],
                            "mentee": everyone[pair["mentee_id"]]["full_name"]})
    return write_report(config, "pulse-report.html", "pulse.html",
                        {"periods": pulse_figures(config, store), "latest": period,
                         "at_risk": sorted(at_risk, key=lambda r: r["score"]),
                         "groups": group_rows(store, config.cohort, period, everyone)}, store, "pulse-report")


def group_rows(store: Store, cohort: str, period: str, everyone: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per group assessed for ``period`` (outcomes.group_health), weakest first, named by its leader."""
    rows = [{**r, "leader": everyone.get(r["leader_id"], {}).get("full_name", r["leader_id"])}
            for r in store.rows(group_health, cohort_id=cohort, period=period)]
    return sorted(rows, key=lambda r: (r["score"], r["group_id"]))
