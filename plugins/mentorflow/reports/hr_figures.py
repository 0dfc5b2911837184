"""The numbers of the HR close-out report, raw and as HR may see them.

Kept apart from the file writers so the disclosure rules can be read and tested on their own:
:func:`publishable` is the only view HTML, PDF and CSV ever get. It publishes what
:mod:`mentorflow.reports.disclosure` decides over the report's cells
(:mod:`mentorflow.reports.hr_cells`): no group under :data:`~mentorflow.reports.render.MIN_CELL`
people, shown or recoverable from the other numbers of this report or of earlier cohorts' reports, no
rate whose parts are suppressed, no mean over fewer, and no free-text comment.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow.contract import parsing as ingest
from mentorflow.reports import activity, affinity_counts, coverage, coverage_view, skill_supply
from mentorflow.reports.disclosure import SUPPRESSED, Publication, coarsened, publish
from mentorflow.reports.hr_cells import BANDS, ROUNDS, cells, respondents
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
    reports,
)

GROUPINGS = ("department", "level", "location")
COMPARED = ("applied", "pairs", "goals_met", "satisfaction", "nps")
NOT_REPORTED = "no report yet"
PAIRED = ("approved", "active", "ended", "completed")


def _participants(pairs: pd.DataFrame) -> set[str]:
    return set(pairs["mentor_id"]) | set(pairs["mentee_id"]) if len(pairs) else set()


def _outcomes(evals: pd.DataFrame) -> dict[str, Any]:
    if evals.empty:
        return {"n": 0, "goals_met_rate": None, "satisfaction": None, "nps": None}
    promoters, detractors = (evals["recommend"] >= 9).mean(), (evals["recommend"] <= 6).mean()
    return {"n": len(evals), "goals_met_rate": float((evals["goals_met"] >= 4).mean()),
            "satisfaction": float(evals["satisfaction"].mean()), "nps": round(100 * float(promoters - detractors))}


def figures(config, store: Store, evals: pd.DataFrame, moment: dt.datetime | None = None) -> dict[str, Any]:
    """Every raw number of the report for one cohort, straight from the program store.

    Funnel: invited = invitation sent; applied = an application on file; valid = passed the
    quality gate; matched = in any approved pair (a one-to-one pair, a circle seat or written mentoring: the
    coverage section splits them); active = in a pair whose pulse answers
    report at least one meeting; completed = in a pair still running at close-out;
    evaluated = answered the close-out evaluation. ``evals``: the evaluations that passed the close-out
    gate (:func:`mentorflow.quality.stage_gates.check_closeout`). ``moment``: the report's, for how long the
    still-waitlisted waited (default: the close-out report's date).
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
        "cohort": c,
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
        "comparison": comparison(store, c),
        "affinity": affinity_counts.raw(config.matching.affinity, apps.to_dict("records") if len(apps) else [],
                                        pairs.to_dict("records") if len(pairs) else []),
        "skills": skill_supply.skill_figures(apps),  # demand and supply per skill group, unoffered skills
        "coverage": coverage.figures(store, c, moment or coverage.report_moment(config)),  # what every applicant got
        "activity": activity.figures(store, c),  # the partnership pages, counts only
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


def comparison(store: Store, current: str) -> list[dict[str, Any]]:
    """Every cohort in the store, oldest first (cohort-over-cohort): this cohort's headline numbers, and
    for every other cohort what its own HR report published (None when it has none yet)."""
    rows = []
    for cohort in sorted(store.rows(cohorts), key=lambda r: r["created_at"]):
        c = cohort["cohort_id"]
        row = {"cohort": c, "name": cohort["name"], "program_type": cohort["program_type"]}
        if c == current:
            pairs = [m for m in store.rows(matches, cohort_id=c) if m["status"] in PAIRED]
            row |= {"current": True, "applied": store.count(applications, cohort_id=c), "pairs": len(pairs),
                    **_outcomes(store.frame(evaluations, cohort_id=c))}
        else:
            row["published"] = published_row(store, c)
        rows.append(row)
    return rows


def published_row(store: Store, cohort: str) -> dict[str, str] | None:
    """The cohort's own row of the cohort-over-cohort CSV its latest HR report exported, as HR received it."""
    written = sorted(store.rows(reports, cohort_id=cohort, kind="hr-report-comparison-csv"), key=lambda r: r["id"])
    if not written or not Path(written[-1]["path"]).exists():
        return None
    with Path(written[-1]["path"]).open(encoding="utf-8", newline="") as handle:
        return next(({k: row.get(k, "") for k in COMPARED} for row in csv.DictReader(handle)
                     if row.get("cohort") == cohort), None)


# -- what HR may see --------------------------------------------------------------------------------


def publishable(f: dict[str, Any]) -> dict[str, Any]:
    """The view of :func:`figures` that HTML, PDF and CSV render: every count the disclosure rules
    (:mod:`mentorflow.reports.disclosure`) publish, the rest as "suppressed"."""
    pub = publish(cells(f))
    view: dict[str, Any] = {"funnel": _funnel_view(pub, f["funnel"])}
    view["groups"] = {grouping: [
        {"group": str(r[grouping]), "applied": pub.count(f"{grouping}.{i}.applied"),
         "matched": pub.count(f"{grouping}.{i}.matched"),
         "match_rate": pub.rate(f"{grouping}.{i}.matched", f"{grouping}.{i}.applied")} for i, r in enumerate(rows)]
        for grouping, rows in f["groups"].items()}
    view["outcomes"] = {role: {"respondents": pub.count(respondents(role)),
                               "goals_met": pub.rate(f"outcomes.{role}.goals", respondents(role)),
                               "satisfaction": pub.mean(o["satisfaction"], respondents(role)),
                               "nps": pub.mean(o["nps"], respondents(role), "{:+d}")}
                        for role, o in f["outcomes"].items()}
    view["effectiveness"] = None
    if pub.published("eff.mentors") and pub.value("eff.mentors") >= MIN_CELL:
        view["effectiveness"] = {"mentors": pub.count("eff.mentors"), "needs_support": pub.rate("eff.below3", "eff.mentors"),
                                 "bands": [{"band": b, "mentors": pub.count(f"eff.band{i}")}
                                           for i, (b, _, _) in enumerate(BANDS)]}
    view["health"] = [_health_view(pub, i, h) for i, h in enumerate(f["health"])]
    view["rematch"] = {rnd: {"pairs": pub.count(f"rematch.{rnd}.pairs"), "completed": pub.count(f"rematch.{rnd}.completed"),
                             "mentee_goals_met": pub.rate(f"rematch.{rnd}.goals", f"rematch.{rnd}.mentee_n"),
                             "mentee_satisfaction": pub.mean(f["rematch"][rnd]["mentee_satisfaction"], f"rematch.{rnd}.mentee_n")}
                       for rnd in ROUNDS}
    view["rematch"]["ended"] = pub.count("rematch.ended")
    view["comparison"] = [_comparison_view(pub, r) for r in f["comparison"]]
    view["careers"] = None
    if f["careers"]:
        view["careers"] = [{"group": g, "people": pub.count(f"careers.{g}.people"),
                            "retention": pub.rate(f"careers.{g}.retained", f"careers.{g}.people"),
                            "promotion": pub.rate(f"careers.{g}.promoted", f"careers.{g}.people")} for g in f["careers"]]
    view["pairs_total"] = pub.count("pairs_total")
    view["mean_match_score"] = pub.mean(f["mean_match_score"], "pairs_total", "{:.3f}")
    view["median_meetings"] = pub.mean(f["median_meetings"], "pairs_total", "{:.1f}")
    view["score_histogram"] = _histogram_view(pub, f["score_histogram"])
    view["learning_pairs"] = pub.count("learning.pairs") if "learning.pairs" in pub.problem.values else None
    view["affinity"] = affinity_counts.view(pub, f.get("affinity"))
    view["skills"] = skill_supply.view(pub, f["skills"]) if f.get("skills") else None
    view["coverage"] = coverage_view.view(pub, f["coverage"], "funnel.valid") if f.get("coverage") else None
    view["activity"] = activity.view(pub, f["activity"]) if f.get("activity") else None
    return view


def _funnel_view(pub: Publication, funnel: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Each stage's count and bar (% of the fullest stage; no bar when either is suppressed)."""
    top = max(funnel, key=lambda sn: sn[1], default=("", 0))[0]
    scale = pub.value(f"funnel.{top}") if top else None
    return [{"stage": s, "count": pub.count(f"funnel.{s}"),
             "width": bar_width(n, scale) if scale and pub.published(f"funnel.{s}") else 0} for s, n in funnel]


def _health_view(pub: Publication, i: int, h: dict[str, Any]) -> dict[str, Any]:
    """One period's row; its stacked bar shows the published states and, together in grey, the suppressed ones
    (no bar when the period's pairs are suppressed)."""
    row = {"period": h["period"], "asked": pub.count(f"health.{i}.asked"),
           "response_rate": pub.rate(f"health.{i}.answered", f"health.{i}.asked"), "pairs": pub.count(f"health.{i}.assessed"),
           **{s: pub.count(f"health.{i}.{s}") for s in STATES}, "bars": {}}
    pairs = pub.value(f"health.{i}.assessed")
    if pairs:
        hidden = sum(h[s] for s in STATES if not pub.published(f"health.{i}.{s}"))
        row["bars"] = {s: bar_width(h[s], pairs) for s in STATES if pub.published(f"health.{i}.{s}")}
        if hidden:
            row["bars"]["suppressed"] = bar_width(hidden, pairs)
    return row


def _comparison_view(pub: Publication, r: dict[str, Any]) -> dict[str, Any]:
    """This cohort's row has the same cells as the rest of the report; an earlier cohort's row repeats what
    that cohort's own report published (so one report never publishes what the other suppressed), and a
    cohort without an HR report yet shows no numbers."""
    row = {"cohort": r["cohort"], "name": r["name"], "program_type": r["program_type"]}
    if r.get("current"):
        return {**row, "applied": pub.count("funnel.applied"), "pairs": pub.count("pairs_total"),
                "goals_met": pub.rate("outcomes.all.goals", respondents("all")),
                "satisfaction": pub.mean(r["satisfaction"], respondents("all")),
                "nps": pub.mean(r["nps"], respondents("all"), "{:+d}")}
    earlier = r.get("published")
    return {**row, **{k: (NOT_REPORTED if earlier is None else earlier.get(k) if _is_number(earlier.get(k)) else SUPPRESSED)
                      for k in COMPARED}}


def _is_number(text: Any) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+(\.\d+)?%?", str(text or "")))


def _histogram_view(pub: Publication, bins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The match score histogram, shown when the pairs are published, with small bins merged into their
    neighbours (every bar counts 0 or at least MIN_CELL pairs)."""
    if not bins or not pub.published("pairs_total"):
        return []
    edges = [b["label"] for b in bins] + [f"{2 * float(bins[-1]['label']) - float(bins[-2]['label']):.1f}"
                                         if len(bins) > 1 else "1.0"]
    bars = coarsened([b["count"] for b in bins], edges)
    top = max((n for _, n in bars), default=0)
    return [{"label": label, "height": bar_width(n, top)} for label, n in bars]
