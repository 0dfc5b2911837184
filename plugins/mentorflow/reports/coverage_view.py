"""Coverage as the reports print it: the counts of :mod:`mentorflow.reports.coverage` as cells of a disclosure
problem (:mod:`mentorflow.reports.disclosure`) and the view of them a report renders.

Outcome by department, level and location, with their row and column totals, tied to the rest of the report
(the funnel's valid applications, the fairness rows' applied and matched), so a group under MIN_CELL is
suppressed together with whatever would let a reader subtract it out of the totals; wait times only over
published groups of at least MIN_CELL people. The committee's table is a problem of its own with public totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mentorflow.reports.coverage import (
    COLUMN_LABELS,
    LABELS,
    PROPOSAL,
    PROPOSAL_LABELS,
    WAITS,
    label,
    proposal_outcomes,
    tally,
)
from mentorflow.reports.disclosure import Problem, Publication, publish


def _total_key(p: Problem, within: str | None) -> str:
    return within if within is not None and within in p.values else "coverage.applicants"


def cells(p: Problem, fig: Mapping[str, Any], *, within: str | None = None, matched: str | None = None,
          groups: Mapping[str, list[Mapping[str, Any]]] | None = None, public_totals: bool = False) -> None:
    """The coverage counts as cells of ``p``: outcome totals add up to the applicants (``within``: a cell already
    holding that count, e.g. the funnel's valid applications), each group's outcomes to its applicants, the
    groups' counts to the totals. With the report's other cells: ``matched`` (people in any approved pair)
    holds at least the one-to-one applicants, and ``groups`` (the fairness rows: applied, matched by group) at
    least a group's applicants and one-to-one applicants; guessed equalities are kept when they hold."""
    total = _total_key(p, within)
    if total not in p.values:
        p.cell(total, fig["applicants"], public=public_totals)
    outcome_keys = [p.cell(f"coverage.{c}", n, parent=total, public=public_totals) for c, n in fig["total"].items()]
    p.total(total, outcome_keys)
    if matched is not None and matched in p.values:
        p.at_most("coverage.one_to_one", matched)
        p.equal("coverage.one_to_one", matched)
    for grouping, rows in fig["groups"].items():
        theirs = {label(r[grouping]): i for i, r in enumerate((groups or {}).get(grouping, []))}
        row_keys = []
        for i, r in enumerate(rows):
            base = f"coverage.{grouping}.{i}"
            found = [theirs[m] for m in r.get("members", [r["group"]]) if m in theirs]
            applied = _group_sum(p, grouping, "applied", found) if found else total  # the group's applications
            row_keys.append(p.cell(f"{base}.applicants", r["applicants"], parent=applied))
            p.at_most(row_keys[-1], total)
            parts = [p.cell(f"{base}.{c}", r[c], parent=row_keys[-1]) for c in fig["columns"]]
            p.total(row_keys[-1], parts)
            if found:
                for mine, what in ((row_keys[-1], "applied"), (f"{base}.one_to_one", "matched")):
                    other = _group_sum(p, grouping, what, found)
                    p.at_most(mine, other)
                    p.equal(mine, other)
        if rows:
            p.total(total, row_keys)
            for c, members in fig["columns"].items():
                p.total(_column_total(p, c, members), [f"coverage.{grouping}.{i}.{c}" for i in range(len(rows))])
    if "waits" in fig:
        _wait_cells(p, fig["waits"], total)


def _group_sum(p: Problem, grouping: str, what: str, rows: list[int]) -> str:
    """A fairness row's cell, or (never printed) the sum of several rows' cells for a merged row."""
    if len(rows) == 1:
        return f"{grouping}.{rows[0]}.{what}"
    key = f"coverage.{grouping}.sum{'.'.join(map(str, rows))}.{what}"
    if key not in p.values:
        p.cell(key, sum(p.values[f"{grouping}.{j}.{what}"] for j in rows), hidden=True)
        p.total(key, [f"{grouping}.{j}.{what}" for j in rows])
    return key


def _column_total(p: Problem, column: str, members: list[str]) -> str:
    """The cell a group column adds up to: the outcome's own total, or (never printed) the sum of its outcomes'."""
    if list(members) == [column]:
        return f"coverage.{column}"
    key = f"coverage.{column}"
    if key not in p.values:
        p.cell(key, sum(p.values[f"coverage.{c}"] for c in members), hidden=True)
        p.total(key, [f"coverage.{c}" for c in members])
    return key


def _wait_cells(p: Problem, w: Mapping[str, Mapping[str, Any]], total: str) -> None:
    placed, waiting = (p.cell(f"coverage.wait.{k}", w[k]["n"]) for k in ("placed", "waiting"))
    p.total(p.cell("coverage.wait.all", w["all"]["n"]), [placed, waiting])
    # usually: the still-waiting are the waitlist outcome, the placed got a one-to-one partner
    p.equal(waiting, "coverage.waitlist")
    p.at_most(waiting, "coverage.waitlist")
    p.at_most(placed, "coverage.one_to_one")
    p.at_most("coverage.wait.all", total)


def view(pub: Publication, fig: Mapping[str, Any], within: str | None = None) -> dict[str, Any]:
    """What a report prints: every count as the disclosure rules publish it, shares of published counts, wait
    times over published groups of at least MIN_CELL people."""
    total = _total_key(pub.problem, within)
    out: dict[str, Any] = {
        "applicants": pub.count(total),
        "outcomes": [{"class": c, "outcome": LABELS.get(c, PROPOSAL_LABELS.get(c, c)), "people": pub.count(f"coverage.{c}"),
                      "share": pub.rate(f"coverage.{c}", total)} for c in fig["total"]],
        "columns": [{"class": c, "label": COLUMN_LABELS.get(c, PROPOSAL_LABELS.get(c, c))} for c in fig["columns"]],
        "groups": {grouping: [{"group": r["group"], "members": ", ".join(r.get("members", [])),
                               "applicants": pub.count(f"coverage.{grouping}.{i}.applicants"),
                               **{c: pub.count(f"coverage.{grouping}.{i}.{c}") for c in fig["columns"]}}
                              for i, r in enumerate(rows)] for grouping, rows in fig["groups"].items()},
    }
    if "waits" in fig:
        out["waits"] = [{"who": WAITS[k], "people": pub.count(f"coverage.wait.{k}"),
                         "median_days": pub.mean(w["median"], f"coverage.wait.{k}", "{:g}"),
                         "max_days": pub.mean(w["max"], f"coverage.wait.{k}", "{:g}")}
                        for k, w in fig["waits"].items()]
    return out


def table_rows(v: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The printed coverage as CSV-like tables: overall, by group (one row per grouping and group), waits."""
    classes = [c["class"] for c in v["columns"]]
    by_group = [{"grouping": g, "group": r["group"], "includes": r["members"], "applicants": r["applicants"],
                 **{c: r[c] for c in classes}} for g, rows in v["groups"].items() for r in rows]
    tables = {"coverage": [{"outcome": o["outcome"], "people": o["people"], "share": o["share"]} for o in v["outcomes"]],
              "coverage-by-group": by_group}
    if "waits" in v:
        tables["coverage-waits"] = [dict(w) for w in v["waits"]]
    return tables


# -- the committee's view of a proposal -------------------------------------------------------------------


def committee_view(apps: Iterable[Mapping[str, Any]], roster: Iterable[Mapping[str, Any]],
                   proposal: Iterable[Mapping[str, Any]], held: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any] | None:
    """The committee report's coverage of a proposal, by department, level and location, under the disclosure
    rules (the totals are public: the report names every pair and everyone left); None without applicants."""
    applicants = [a["employee_id"] for a in apps if a.get("status", "valid") == "valid"]
    if not applicants:
        return None
    outcomes = proposal_outcomes(applicants, proposal, held)
    fig = tally(outcomes, {p["employee_id"]: p for p in roster}, PROPOSAL, {c: (c,) for c in PROPOSAL},
                applied=[a["employee_id"] for a in apps])
    p = Problem()
    cells(p, fig, public_totals=True)
    return view(publish(p), fig)


def committee_line(v: Mapping[str, Any] | None) -> str | None:
    """The coverage sentence of the committee's approval text (None without applicants)."""
    if v is None:
        return None
    count = {o["class"]: o["people"] for o in v["outcomes"]}
    return (f"Coverage: {count['one_to_one']} of {v['applicants']} applicants have a one-to-one partner with this "
            f"proposal; {count['alternatives']} will be offered alternatives instead (a mentoring circle, written "
            "mentoring or a waitlist place, as this cohort offers them). By department, level and location in the "
            "full report.")
