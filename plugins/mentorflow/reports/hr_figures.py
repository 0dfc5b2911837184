"""The numbers of the HR close-out report, raw and as HR may see them.

Kept apart from the file writers so the suppression rules can be read and tested on their
own: :func:`publishable` is the only view HTML, PDF and CSV ever get, and it shows no group
under :data:`~mentorflow.reports.render.MIN_CELL` people, no rate or mean over fewer, and
no free-text comment, so nothing is attributed to a person.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mentorflow.contract import parsing as ingest
from mentorflow.reports.pulse import STATES, pulse_figures
from mentorflow.reports.render import MIN_CELL, bar_width, histogram
from mentorflow.store import (
    Store,
    applications,
    cohorts,
    email_ledger,
    evaluations,
    matches,
    people,
    pulse_responses,
)

GROUPINGS = ("department", "level", "location")
PAIRED = ("approved", "active", "ended", "completed")


def _participants(pairs: pd.DataFrame) -> set[str]:
    return set(pairs["mentor_id"]) | set(pairs["mentee_id"]) if len(pairs) else set()


def _outcomes(evals: pd.DataFrame) -> dict[str, Any]:
    if evals.empty:
        return {"n": 0, "goals_met_rate": None, "satisfaction": None, "nps": None}
    promoters, detractors = (evals["recommend"] >= 9).mean(), (evals["recommend"] <= 6).mean()
    return {"n": len(evals), "goals_met_rate": float((evals["goals_met"] >= 4).mean()),
            "satisfaction": float(evals["satisfaction"].mean()), "nps": round(100 * float(promoters - detractors))}


def figures(config, store: Store, evals: pd.DataFrame) -> dict[str, Any]:
    """Every raw number of the report for one cohort, straight from the program store.

    Funnel: invited = invitation sent; applied = an application on file; valid = passed the
    quality gate; matched = in any approved pair; active = in a pair whose pulse answers
    report at least one meeting; completed = in a pair still running at close-out;
    evaluated = answered the close-out evaluation. ``evals``: the evaluations that passed the close-out
    gate (:func:`mentorflow.quality.stage_gates.check_closeout`).
    """
    c = config.cohort
    roster = store.frame(people, cohort_id=c)
    apps = store.frame(applications, cohort_id=c)
    pairs = store.frame(matches, cohort_id=c)
    pairs = pairs[pairs["status"].isin(PAIRED)] if len(pairs) else pairs
    answers = store.frame(pulse_responses, cohort_id=c)

    met_pairs = set(answers.loc[answers["meetings"] > 0, "match_id"]) if len(answers) else set()
    funnel = [
        ("invited", store.count(email_ledger, cohort_id=c, template="invitation", status="sent")),
        ("applied", len(apps)),
        ("valid", int((apps["status"] == "valid").sum()) if len(apps) else 0),
        ("matched", len(_participants(pairs))),
        ("active", len(_participants(pairs[pairs["match_id"].isin(met_pairs)])) if len(pairs) else 0),
        ("completed", len(_participants(pairs[pairs["status"] == "completed"])) if len(pairs) else 0),
        ("evaluated", len(evals)),
    ]
    matched = _participants(pairs)
    groups: dict[str, list[dict[str, Any]]] = {}
    if len(apps):
        merged = apps.merge(roster[["employee_id", *GROUPINGS]], on="employee_id", how="left")
        for grouping in GROUPINGS:
            rows = []
            for value, group in sorted(merged.groupby(grouping), key=lambda kv: str(kv[0])):
                rows.append({grouping: value, "applied": len(group),
                             "matched": int(group["employee_id"].isin(matched).sum())})
            groups[grouping] = rows

    by_role = {"all": _outcomes(evals)}
    for role in ("mentor", "mentee"):
        by_role[role] = _outcomes(evals[evals["role"] == role] if len(evals) else evals)

    meetings = None
    if len(answers):
        per_pair_period = answers.groupby(["match_id", "period"])["meetings"].max()
        meetings = float(per_pair_period.median())

    # Mentor effectiveness: each mentor's mean "goals met" as rated by their mentees.
    effectiveness: list[float] = []
    if len(evals) and len(pairs):
        mentee_goals = evals[evals["role"] == "mentee"].set_index("employee_id")["goals_met"]
        rated = pairs.assign(goals=pairs["mentee_id"].map(mentee_goals)).dropna(subset=["goals"])
        effectiveness = [float(v) for v in rated.groupby("mentor_id")["goals"].mean()]

    def round_outcome(round_name: str) -> dict[str, Any]:
        chosen = pairs[pairs["round"] == round_name] if len(pairs) else pairs
        mentees = set(chosen["mentee_id"]) if len(chosen) else set()
        outcome = _outcomes(evals[evals["employee_id"].isin(mentees) & (evals["role"] == "mentee")] if len(evals) else evals)
        return {"pairs": len(chosen), "completed": int((chosen["status"] == "completed").sum()) if len(chosen) else 0,
                **{f"mentee_{k}": v for k, v in outcome.items()}}

    return {
        "careers": careers(config, roster, matched),
        "funnel": funnel,
        "groups": groups,
        "pairs_total": len(pairs),
        "mean_match_score": float(pairs["score"].mean()) if len(pairs) else None,
        "score_histogram": histogram(list(pairs["score"]) if len(pairs) else [], bins=10, low=0.0, high=1.0),
        "rematch": {"initial": round_outcome("initial"), "midpoint": round_outcome("midpoint"),
                    "ended": int((pairs["status"] == "ended").sum()) if len(pairs) else 0},
        "outcomes": by_role,
        "median_meetings": meetings,
        "mentor_effectiveness": effectiveness,
        "health": pulse_figures(config, store),
        "comparison": comparison(store),
    }


def careers(config, roster: pd.DataFrame, participants: set[str]) -> dict[str, dict[str, int]] | None:
    """Retention and promotion since kickoff, participants against eligible non-participants,
    when a close-out roster export (``sources.closeout_roster_csv``) carries ``employment_status``
    and ``last_promotion_date``."""
    if not config.sources.closeout_roster_csv or roster.empty:
        return None
    path = config.resolve(config.sources.closeout_roster_csv)
    if not path.exists():
        return None
    rows, _ = ingest.parse_outcome_roster(path)
    outcome = pd.DataFrame(rows).set_index("employee_id") if rows else pd.DataFrame()
    kickoff = config.at(config.calendar.kickoff).date()
    eligible = roster[roster["eligible"].astype(bool)]
    groups = {"participants": eligible[eligible["employee_id"].isin(participants)],
              "non-participants": eligible[~eligible["employee_id"].isin(participants)]}
    result = {}
    for name, group in groups.items():
        known = outcome.reindex(group["employee_id"]).dropna(subset=["still_employed"]) if len(outcome) else outcome
        promoted = known["last_promotion_date"].map(lambda d: d is not None and not pd.isna(d) and d >= kickoff) \
            if len(known) else pd.Series(dtype=bool)
        result[name] = {"people": len(known), "retained": int(known["still_employed"].astype(bool).sum()) if len(known) else 0,
                        "promoted": int(promoted.sum())}
    return result


def comparison(store: Store) -> list[dict[str, Any]]:
    """Headline numbers of every cohort in the store, oldest first (cohort-over-cohort)."""
    rows = []
    for cohort in sorted(store.rows(cohorts), key=lambda r: r["created_at"]):
        c = cohort["cohort_id"]
        evals = store.frame(evaluations, cohort_id=c)
        pairs = [m for m in store.rows(matches, cohort_id=c) if m["status"] in PAIRED]
        rows.append({"cohort": c, "name": cohort["name"], "program_type": cohort["program_type"],
                     "applied": store.count(applications, cohort_id=c), "pairs": len(pairs), **_outcomes(evals)})
    return rows


# -- suppression -------------------------------------------------------------------------------


def count(n: int) -> str:
    return str(n) if n >= MIN_CELL else f"<{MIN_CELL}"


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole >= MIN_CELL and part >= MIN_CELL else "suppressed"


def mean(value: float | None, n: int, fmt: str = "{:.2f}") -> str:
    return fmt.format(value) if value is not None and n >= MIN_CELL else "suppressed"


def publishable(f: dict[str, Any]) -> dict[str, Any]:
    """The suppressed view of :func:`figures`: what HTML, PDF and CSV may show."""
    top = max((n for _, n in f["funnel"]), default=0) or 1
    funnel = [{"stage": s, "count": count(n), "width": bar_width(n, top) if n >= MIN_CELL else 0}
              for s, n in f["funnel"]]
    groups = {
        grouping: [{"group": str(r[grouping]), "applied": count(r["applied"]), "matched": count(r["matched"]),
                    "match_rate": rate(r["matched"], r["applied"])} for r in rows]
        for grouping, rows in f["groups"].items()
    }
    outcomes = {
        role: {"respondents": count(o["n"]), "goals_met": mean(o["goals_met_rate"], o["n"], "{:.0%}"),
               "satisfaction": mean(o["satisfaction"], o["n"]), "nps": mean(o["nps"], o["n"], "{:+d}")}
        for role, o in f["outcomes"].items()
    }
    eff = f["mentor_effectiveness"]
    effectiveness = None
    if len(eff) >= MIN_CELL:
        bands = [("below 2", lambda v: v < 2), ("2 to 3", lambda v: 2 <= v < 3), ("3 to 4", lambda v: 3 <= v < 4),
                 ("4 and above", lambda v: v >= 4)]
        effectiveness = {"mentors": count(len(eff)),
                         "bands": [{"band": b, "mentors": count(sum(1 for v in eff if test(v)))} for b, test in bands],
                         "needs_support": rate(sum(1 for v in eff if v < 3), len(eff))}
    health = [{"period": h["period"], "asked": count(h["asked"]), "response_rate": rate(h["answered"], h["asked"]),
               **{s: count(h[s]) for s in STATES},
               "bars": h["bars"] if h["assessed"] >= MIN_CELL else {s: 0 for s in h["bars"]}} for h in f["health"]]
    rematch = {k: v if not isinstance(v, dict) else {
        "pairs": count(v["pairs"]), "completed": count(v["completed"]),
        "mentee_goals_met": mean(v["mentee_goals_met_rate"], v["mentee_n"], "{:.0%}"),
        "mentee_satisfaction": mean(v["mentee_satisfaction"], v["mentee_n"])} for k, v in f["rematch"].items()}
    rematch["ended"] = count(f["rematch"]["ended"])
    comparison_rows = [{"cohort": r["cohort"], "name": r["name"], "program_type": r["program_type"],
                        "applied": count(r["applied"]), "pairs": count(r["pairs"]),
                        "goals_met": mean(r["goals_met_rate"], r["n"], "{:.0%}"),
                        "satisfaction": mean(r["satisfaction"], r["n"]), "nps": mean(r["nps"], r["n"], "{:+d}")}
                       for r in f["comparison"]]
    careers_view = None
    if f["careers"]:
        careers_view = [{"group": g, "people": count(c["people"]), "retention": rate(c["retained"], c["people"]),
                         "promotion": rate(c["promoted"], c["people"])} for g, c in f["careers"].items()]
    return {
        "careers": careers_view,
        "funnel": funnel, "groups": groups, "outcomes": outcomes, "effectiveness": effectiveness, "health": health,
        "rematch": rematch, "comparison": comparison_rows,
        "pairs_total": count(f["pairs_total"]),
        "mean_match_score": mean(f["mean_match_score"], f["pairs_total"], "{:.3f}"),
        "median_meetings": mean(f["median_meetings"], f["pairs_total"], "{:.1f}"),
        "score_histogram": f["score_histogram"] if f["pairs_total"] >= MIN_CELL else [],
    }
