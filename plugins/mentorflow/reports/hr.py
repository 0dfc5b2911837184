"""The HR close-out report files: one self-contained HTML file, a PDF with the same numbers, CSV exports.

The writers only ever see the suppressed view (:func:`mentorflow.reports.hr_figures.publishable`), so the
three files print the same numbers and the same suppressions.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from mentorflow import settings
from mentorflow.outcomes import evidence
from mentorflow.outcomes import learning as feedback
from mentorflow.reports import activity, coverage_view
from mentorflow.reports.disclosure import SUPPRESSED
from mentorflow.reports.hr_figures import GROUPINGS, figures, publishable
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
    pdf = html.with_suffix(".pdf")
    _write_pdf(config, view, pdf, learning)
    os.chmod(pdf, 0o600)
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


def coverage_sections(v: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The coverage section's tables as the PDF prints them (the same figures as the HTML section)."""
    tables = coverage_view.table_rows(v)
    return [(f"Outcomes of the {v['applicants']} people with a valid application", tables["coverage"]),
            ("How long the waitlisted waited (days)", tables.get("coverage-waits", [])),
            *[(f"Coverage by {g}", [{g: r["group"], **{k: x for k, x in r.items() if k not in ("group", "members")},
                                     "includes": r["members"]} for r in rows]) for g, rows in v["groups"].items()]]


def activity_sections(tables: dict[str, list[dict[str, Any]]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The partnership activity tables as the PDF prints them (the same figures as the HTML section)."""
    return [("Agreements, goals and resources", tables["activity"]),
            ("Log entries per month by mode", tables["activity-meetings"]),
            ("Most-used resources (members who marked one done)", tables["activity-resources"])]


def _write_pdf(config, view: dict[str, Any], path: Path, learning: dict[str, Any] | None = None) -> None:
    """A printable PDF with the same (suppressed) numbers as the HTML file, and the same learning verdict."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    plt.rcParams.update({"pdf.fonttype": 42, "font.size": 9})

    def table_page(pdf, title: str, sections: list[tuple[str, list[dict[str, Any]]]]) -> None:
        """The sections' tables one below the other, going on over as many pages as they need."""
        fig, y = None, 0.0
        for heading, rows in [(h, r) for h, r in sections if r] or [("", [])]:
            height = 0.035 * (len(rows) + 1)
            if fig is None or (y - 0.01 - height < 0.06 and y < 0.92):
                if fig is not None:
                    pdf.savefig(fig)
                    plt.close(fig)
                fig = plt.figure(figsize=(8.27, 11.69))
                fig.text(0.06, 0.96, title if y == 0.0 else f"{title} (continued)", fontsize=14, weight="bold")
                y = 0.92
            if not rows:
                continue
            fig.text(0.06, y, heading, fontsize=11, weight="bold")
            height = min(height, y - 0.06)
            ax = fig.add_axes([0.06, y - 0.01 - height, 0.88, height])
            ax.axis("off")
            columns = list(rows[0])
            tbl = ax.table(cellText=[[str(r[c]) for c in columns] for r in rows], colLabels=columns, loc="upper left",
                           cellLoc="left")
            tbl.auto_set_font_size(False)
            tbl.set_fontsize(8)
            y -= height + 0.06
        pdf.savefig(fig)
        plt.close(fig)

    tables = _tables(view)
    with PdfPages(path) as pdf:
        fig, ax = plt.subplots(figsize=(8.27, 11.69))
        fig.subplots_adjust(top=0.8, bottom=0.45, left=0.2)
        fig.text(0.06, 0.95, f"Mentoring program report: {config.name}", fontsize=14, weight="bold")
        fig.text(0.06, 0.92, f"Groups smaller than {MIN_CELL} people are suppressed, and so is every number that "
                             "would let one work them out.", fontsize=9)
        fig.text(0.06, 0.88, f"Pairs formed: {view['pairs_total']}   Mean match score: {view['mean_match_score']}   "
                             f"Median meetings per pair and period: {view['median_meetings']}", fontsize=9)
        stages = [r["stage"] for r in view["funnel"]][::-1]
        ax.barh(stages, [r["width"] for r in view["funnel"]][::-1], color="#2f80ed")
        for i, r in enumerate(view["funnel"][::-1]):
            ax.text(1, i, r["count"], va="center", color="white" if r["width"] > 10 else "black")
        ax.set_xlim(0, 100)
        ax.set_xlabel("share of invited (%)")
        ax.set_title("Funnel")
        pdf.savefig(fig)
        plt.close(fig)
        table_page(pdf, "Outcomes and health", [("Outcomes", tables["outcomes"]),
                                                 ("Retention and promotion since kickoff", tables.get("careers", [])),
                                                 ("Pair health by period", tables["health"]),
                                                 ("Partners from the same network", tables.get("affinity", [])),
                                                 ("Cohort over cohort", tables["comparison"])])
        if "skills-by-group" in tables:
            table_page(pdf, "Skills: demand and supply", [("Wanted and offered, by skill group", tables["skills-by-group"]),
                                                          ("Wanted skills no volunteer mentor offers",
                                                           tables["skills-unoffered"][:40])])
        if view.get("coverage"):
            table_page(pdf, "Coverage: what every applicant got", coverage_sections(view["coverage"]))
        if view.get("activity"):
            table_page(pdf, "Partnership activity", activity_sections(tables))
        table_page(pdf, "Fairness: match rate by group",
                   [(f"By {g}", tables[f"by-{g}"]) for g in GROUPINGS if f"by-{g}" in tables])
        if learning:
            fig = plt.figure(figsize=(8.27, 11.69))
            fig.text(0.06, 0.96, "Learning for the next cohort", fontsize=14, weight="bold")
            fig.text(0.06, 0.93, textwrap.fill(learning["verdict"], 105), fontsize=8, va="top")
            if learning["fitted"]:
                ax = fig.add_axes([0.06, 0.45, 0.88, 0.3])
                ax.axis("off")
                columns = {"component": "Component", "current": "Now", "suggested": "Suggested",
                           "pointed": "Outcomes point to (95% interval)", "slope": "Slope (95% interval)",
                           "evidence": "Evidence"}
                tbl = ax.table(cellText=[[r[c] for c in columns] for r in learning["rows"]],
                               colLabels=list(columns.values()), loc="upper left", cellLoc="left",
                               colWidths=[0.13, 0.07, 0.1, 0.3, 0.25, 0.15])
                tbl.auto_set_font_size(False)
                tbl.set_fontsize(7)
            pdf.savefig(fig)
            plt.close(fig)
