"""Human-readable reports: data quality, proposed matches, and the HR close-out report.

Reports are self-contained HTML (charts are inline SVG, no network) rendered from
``include/templates/reports/``. HR-facing numbers are aggregated and any group
smaller than :data:`MIN_CELL` people is suppressed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow import paths
from mentorflow.emailing.render import environment
from mentorflow.store import Store, applications, email_ledger, evaluations, matches, pair_health, people, unmatched

MIN_CELL = 5


def _write(config, name: str, template: str, context: dict[str, Any], store: Store, kind: str) -> Path:
    out = paths.reports_dir(config.cohort) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    html = environment().get_template(f"reports/{template}").render(
        cohort=config, generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), **context)
    out.write_text(html, encoding="utf-8")
    store.record_report(config.cohort, kind, str(out))
    return out


def write_match_report(config, store: Store, round_name: str) -> Path:
    everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
    pairs = [m for m in store.rows(matches, cohort_id=config.cohort, round=round_name) if m["status"] in ("proposed", "approved", "active")]
    for pair in pairs:
        pair["mentor"], pair["mentee"] = everyone[pair["mentor_id"]], everyone[pair["mentee_id"]]
    left = store.rows(unmatched, cohort_id=config.cohort, round=round_name)
    for row in left:
        row["person"] = everyone.get(row["employee_id"], {"full_name": row["employee_id"], "department": ""})
    scores = [p["score"] for p in pairs]
    return _write(config, f"matches-{round_name}.html", "matches.html",
                  {"round": round_name, "pairs": sorted(pairs, key=lambda p: -p["score"]), "unmatched": left,
                   "histogram": _histogram(scores, bins=10, low=0.0, high=1.0)}, store, f"matches-{round_name}")


def _histogram(values: list[float], *, bins: int, low: float, high: float) -> list[dict[str, Any]]:
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - low) / (high - low) * bins)))] += 1
    top = max(counts) or 1
    width = (high - low) / bins
    return [{"label": f"{low + i * width:.1f}", "count": c, "height": round(100 * c / top)} for i, c in enumerate(counts)]


def suppress(count: int) -> str:
    return str(count) if count >= MIN_CELL else f"<{MIN_CELL}"


def hr_figures(config, store: Store) -> dict[str, Any]:
    """Every number in the HR report, computed from the program store (suppression applied later)."""
    from mentorflow.quality.quarantine import without_held

    cohort = config.cohort
    roster = store.frame(people, cohort_id=cohort)
    apps = store.frame(applications, cohort_id=cohort)
    pairs = store.frame(matches, cohort_id=cohort)
    # answers the close-out gate holds (open or rejected in the quarantine) are left out
    evals = without_held(store, cohort, "closeout", store.frame(evaluations, cohort_id=cohort), "employee_id")
    health = store.frame(pair_health, cohort_id=cohort)
    invited = store.count(email_ledger, cohort_id=cohort, template="invitation", status="sent")
    participants = set(pairs["mentor_id"]) | set(pairs["mentee_id"]) if len(pairs) else set()
    completed = pairs[pairs["status"] == "completed"] if len(pairs) else pairs
    funnel = [
        ("invited", invited),
        ("applied", len(apps)),
        ("valid", int((apps["status"] == "valid").sum()) if len(apps) else 0),
        ("matched", len(participants)),
        ("active at close", len(set(completed["mentor_id"]) | set(completed["mentee_id"])) if len(completed) else 0),
        ("evaluated", len(evals)),
    ]
    by_department = []
    if len(apps):
        merged = apps.merge(roster[["employee_id", "department"]], on="employee_id", how="left")
        for dept, group in sorted(merged.groupby("department"), key=lambda kv: str(kv[0])):
            matched = group["employee_id"].isin(participants).sum()
            by_department.append({"department": dept, "applied": len(group), "matched": int(matched)})
    satisfaction = evals["satisfaction"].mean() if len(evals) else None
    nps = None
    if len(evals):
        promoters, detractors = (evals["recommend"] >= 9).mean(), (evals["recommend"] <= 6).mean()
        nps = round(100 * (promoters - detractors))
    health_over_time = []
    if len(health):
        for period, group in sorted(health.groupby("period"), key=lambda kv: int(str(kv[0]).split("-")[1])):
            counts = group["state"].value_counts()
            health_over_time.append({"period": period, **{s: int(counts.get(s, 0)) for s in ("On track", "Needs check-in", "At risk")}})
    return {
        "funnel": funnel,
        "by_department": by_department,
        "pairs_total": len(pairs),
        "pairs_rematched": int((pairs["round"] == "midpoint").sum()) if len(pairs) else 0,
        "mean_match_score": round(float(pairs["score"].mean()), 3) if len(pairs) else None,
        "evaluations": len(evals),
        "goals_met_rate": round(float((evals["goals_met"] >= 4).mean()), 3) if len(evals) else None,
        "satisfaction": round(float(satisfaction), 2) if satisfaction is not None else None,
        "nps": nps,
        "health_over_time": health_over_time,
    }


def write_hr_report(config, store: Store) -> tuple[Path, Path]:
    figures = hr_figures(config, store)
    top = max((n for _, n in figures["funnel"]), default=1) or 1
    funnel = [{"stage": s, "count": suppress(n), "width": round(100 * n / top) if n >= MIN_CELL else 0}
              for s, n in figures["funnel"]]
    departments = [
        {"department": d["department"], "applied": suppress(d["applied"]), "matched": suppress(d["matched"]),
         "rate": f"{100 * d['matched'] / d['applied']:.0f}%" if d["applied"] >= MIN_CELL and d["matched"] >= MIN_CELL else "suppressed"}
        for d in figures["by_department"]
    ]
    small_evals = figures["evaluations"] < MIN_CELL
    html = _write(config, "hr-report.html", "hr_report.html",
                  {"f": figures, "funnel": funnel, "departments": departments, "small_evals": small_evals,
                   "min_cell": MIN_CELL}, store, "hr-report")
    csv_path = html.with_name("hr-report-departments.csv")
    pd.DataFrame(departments, columns=["department", "applied", "matched", "rate"]).to_csv(csv_path, index=False)
    store.record_report(config.cohort, "hr-report-csv", str(csv_path))
    return html, csv_path
