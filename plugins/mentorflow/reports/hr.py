"""The HR close-out report files: one self-contained HTML file, the same file printed to PDF, CSV exports.

The writers only ever see the suppressed view (:func:`mentorflow.reports.hr_figures.publishable`), so the
three files print the same numbers and the same suppressions.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow import settings
from mentorflow.outcomes import evidence
from mentorflow.outcomes import learning as feedback
from mentorflow.reports import activity, coverage_view
from mentorflow.reports.disclosure import SUPPRESSED
from mentorflow.reports.hr_figures import figures, publishable
from mentorflow.reports.pdf import html_to_pdf
from mentorflow.reports.render import MIN_CELL, write_csv, write_report
from mentorflow.store import Store


def write(config, store: Store, evals: pd.DataFrame, suggestion: feedback.Suggestion | None = None,
          moment: dt.datetime | None = None) -> dict[str, Path]:
    """HTML, PDF and CSV files of the report from the gated evaluations; returns their paths by kind.
    ``suggestion``: the learning step's verdict on the weights (computed here when not given); ``moment``: the
    run's, for how long the still-waitlisted waited (default: the close-out report's date)."""
    if suggestion is None:
        suggestion = feedback.suggest_weights(feedback.pair_outcomes(store, config.cohort),
                                              config.matching.weights.model_dump())
    view = publishable({**figures(config, store, evals, moment), "learning_pairs": suggestion.pairs})
    weights_file = feedback.write_suggestion(suggestion, config.cohort,
                                             settings.reports_dir(config.cohort) / "suggested-weights.yaml")
    store.record_report(config.cohort, "suggested-weights", str(weights_file))
    learning = learning_section(suggestion, view["learning_pairs"], weights_file.name)
    html = write_report(config, "hr-report.html", "hr_report.html",
                        {"v": view, "learning": learning, "min_cell": MIN_CELL}, store, "hr-report")
    out = {"html": html, "weights": weights_file}
    for name, rows in _tables(view).items():
        path = html.with_name(f"hr-report-{name}.csv")
        write_csv(path, rows, list(rows[0]) if rows else ["empty"])
        store.record_report(config.cohort, f"hr-report-{name}-csv", str(path))
        out[name] = path
    pdf = html_to_pdf(html, html.with_suffix(".pdf"))  # the same HTML printed: one source for screen and paper
    store.record_report(config.cohort, "hr-report-pdf", str(pdf))
    out["pdf"] = pdf
    return out


def learning_section(suggestion: feedback.Suggestion, pairs_shown: str | None, file_name: str) -> dict[str, Any]:
    """The learning section: the verdict with its evidence, and per component the weight now, the weight
    suggested and the bootstrap intervals behind it; a suggestion is never shown without its evidence."""
    def interval(low_high: tuple[float, float]) -> str:
        return f"{low_high[0]:.2f} to {low_high[1]:.2f}"

    rows = []
    for c in suggestion.current:
        e = suggestion.evidence.get(c)
        rows.append({"component": c, "current": f"{suggestion.current[c]:.3f}",
                     "suggested": f"{suggestion.suggested[c]:.3f}",
                     "pointed": f"{e.weight:.2f} ({interval(e.weight_ci)})" if e else "not fitted",
                     "slope": f"{e.slope:.3f} ({interval(e.slope_ci)})" if e else "not fitted",
                     "evidence": {"more": "more weight", "less": "less weight"}.get(e.direction, "unclear")
                     if e else "did not vary"})
    return {"verdict": _verdict(suggestion, pairs_shown), "reliable": suggestion.reliable, "file": file_name,
            "min_pairs": feedback.MIN_PAIRS, "alpha": f"{feedback.ALPHA:.0%}", "permutations": evidence.PERMUTATIONS,
            "bootstraps": evidence.BOOTSTRAPS, "fitted": bool(suggestion.evidence), "rows": rows}


def _verdict(suggestion: feedback.Suggestion, pairs_shown: str | None) -> str:
    """The learning verdict for HR: its count of pairs only where the disclosure rules publish it."""
    if pairs_shown is None or pairs_shown != SUPPRESSED:
        return suggestion.verdict
    return re.sub(rf"\b{suggestion.pairs} pairs\b", "a suppressed number of pairs", suggestion.verdict)


def _tables(view: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    tables = {"funnel": [{"stage": r["stage"], "people": r["count"]} for r in view["funnel"]],
              "outcomes": [{"group": role, **o} for role, o in view["outcomes"].items()],
              "health": [{k: v for k, v in h.items() if k != "bars"} for h in view["health"]],
              "comparison": view["comparison"]}
    if view["careers"]:
        tables["careers"] = view["careers"]
    if view.get("affinity"):
        tables["affinity"] = [view["affinity"]]
    if view.get("skills"):
        tables["skills-by-group"] = view["skills"]["groups"]
        tables["skills-unoffered"] = view["skills"]["unoffered"]
    if view.get("coverage"):
        tables.update(coverage_view.table_rows(view["coverage"]))
    if view.get("activity"):
        tables.update(activity.table_rows(view["activity"]))
    for grouping, rows in view["groups"].items():
        tables[f"by-{grouping}"] = [{grouping: r["group"], **{k: v for k, v in r.items() if k != "group"}} for r in rows]
    return tables
