"""Partnership activity for the HR report: counts only, from the partnership pages' tables, suppressed.

What the pages hold is the partners' own (notes, agreement texts, goal titles); HR gets four kinds of
counts and never a word of it, nor who:

- spaces (pairs and circles that ran) and how many of them are *agreed* (every member confirmed);
- log entries per month by mode (meeting, call, written); an exchange several members of one space logged
  for the same day and mode counts once;
- goal milestones set and reached (goals of the cohort, archived ones included);
- the most-used resources: per resource, the members who marked it done, for resources done by at least
  MIN_CELL members (fewer are not listed: the list says "most used", and a shorter one tells no count),
  with how many members marked any resource done.

Rows the ``workspace`` gate holds (:mod:`mentorflow.quality.workspace_suites`) are left out. Every count
is a cell of the report's one disclosure problem (:func:`cells`) with the relations a reader knows (a
month's modes add up to the month, the months to the year's total; agreed spaces are among the spaces,
the spaces among the pairs; reached milestones among those set; the resources are listed largest first),
so primary and complementary suppression and the audit are the report's (:mod:`mentorflow.reports.disclosure`).
:func:`tally` decides from plain rows; :func:`load` is the one loader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import yaml

from mentorflow import settings
from mentorflow.contract.disclosure import MIN_CELL
from mentorflow.contract.workspace import GATE, LOG_MODES, members_by_space, record_key
from mentorflow.reports.disclosure import Problem, Publication
from mentorflow.store import Store, agreements, goals, matches, meeting_log, milestones, quarantine, resource_feedback

HOLDING = ("open", "rejected")  # quarantine rows that still hold their record (mentorflow.quality.quarantine)
MODE_LABELS = {"meeting": "meetings", "call": "calls", "written": "written exchanges"}
TOP = 10  # resources listed at most
ALL_MONTHS = "all months"


@dataclass(frozen=True)
class Sources:
    """The rows activity is decided from (plain dicts; free text is never read)."""

    members: dict[str, set[str]]  # space id -> member ids
    agreements: list[dict[str, Any]]
    log: list[dict[str, Any]]
    goals: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    feedback: list[dict[str, Any]]


def load(store: Store, cohort: str) -> Sources:
    held = {r["record_key"] for r in store.rows(quarantine, cohort_id=cohort, gate=GATE) if r["status"] in HOLDING}

    def kept(table, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if record_key(table.name, r) not in held]

    cohort_goals = store.rows(goals, cohort_id=cohort)
    ids = {g["goal_id"] for g in cohort_goals}
    return Sources(members=members_by_space(store.rows(matches, cohort_id=cohort)),
                   agreements=kept(agreements, store.rows(agreements, cohort_id=cohort)),
                   log=kept(meeting_log, store.rows(meeting_log, cohort_id=cohort)),
                   goals=cohort_goals,
                   milestones=kept(milestones, [m for m in store.rows(milestones) if m["goal_id"] in ids]),
                   feedback=kept(resource_feedback, store.rows(resource_feedback, cohort_id=cohort)))


def library_titles() -> dict[str, str]:
    """Resource titles by id from ``include/resources/library.yaml`` (empty when there is no such file, or it
    cannot be read: the report then shows ids)."""
    path = settings.include_dir() / "resources" / "library.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    if isinstance(data, Mapping):
        data = data.get("resources", data.get("items", [dict(v, id=k) for k, v in data.items()
                                                         if isinstance(v, Mapping)]))
    return {str(r["id"]): str(r["title"]) for r in data or [] if isinstance(r, Mapping) and r.get("id") and r.get("title")}


# -- decide -------------------------------------------------------------------------------------------------


def tally(src: Sources, titles: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The raw counts (see the module's list)."""
    confirmed: dict[str, set[str]] = {}
    for a in src.agreements:
        if a.get("confirmed_at") is not None:
            confirmed.setdefault(a["space_id"], set()).add(a["employee_id"])
    agreed = sum(1 for space, members in src.members.items() if members and members <= confirmed.get(space, set()))
    exchanges = {(e["space_id"], pd.Timestamp(e["held_on"]).date(), e["mode"]) for e in src.log
                 if e["space_id"] in src.members and e["mode"] in LOG_MODES}
    months: dict[str, dict[str, int]] = {}
    for _, day, mode in exchanges:
        row = months.setdefault(day.strftime("%Y-%m"), dict.fromkeys(LOG_MODES, 0))
        row[mode] += 1
    done: dict[str, set[str]] = {}
    for f in src.feedback:
        if f.get("done"):
            done.setdefault(f["resource_id"], set()).add(f["employee_id"])
    popular = sorted(((r, len(people)) for r, people in done.items() if len(people) >= MIN_CELL),
                     key=lambda rn: (-rn[1], rn[0]))[:TOP]
    titles = titles or {}
    return {"spaces": len(src.members), "agreed": agreed,
            "meetings": [{"month": m, **months[m]} for m in sorted(months)],
            "goals": len(src.goals), "milestones": len(src.milestones),
            "reached": sum(1 for m in src.milestones if m.get("reached_at") is not None),
            "resource_users": len(set().union(*done.values())) if done else 0,
            "resources": [{"resource_id": r, "title": titles.get(r, r), "members": n} for r, n in popular]}


def figures(store: Store, cohort: str) -> dict[str, Any]:
    """Load and decide."""
    return tally(load(store, cohort), library_titles())


# -- the disclosure problem and the printed view ------------------------------------------------------------


def cells(p: Problem, fig: Mapping[str, Any]) -> None:
    """The activity counts as cells of the report's problem ``p``, with the relations between them and to the
    report's pairs (``pairs_total``) and people matched (``funnel.matched``) when the problem has them."""
    spaces = p.cell("activity.spaces", fig["spaces"])
    p.at_most(p.cell("activity.agreed", fig["agreed"], parent=spaces), spaces)
    if "pairs_total" in p.values:
        p.at_most(spaces, "pairs_total")  # a space is one pair, or a circle of several
    months = []
    for i, row in enumerate(fig["meetings"]):
        total = p.cell(f"activity.month.{i}.all", sum(row[m] for m in LOG_MODES))
        p.total(total, [p.cell(f"activity.month.{i}.{m}", row[m], parent=total) for m in LOG_MODES])
        months.append(total)
    everything = p.cell("activity.meetings", sum(p.values[k] for k in months))
    p.total(everything, months)
    for m in LOG_MODES:
        mode = p.cell(f"activity.mode.{m}", sum(r[m] for r in fig["meetings"]), parent=everything)
        p.total(mode, [f"activity.month.{i}.{m}" for i in range(len(fig["meetings"]))])
    p.total(everything, [f"activity.mode.{m}" for m in LOG_MODES])
    p.cell("activity.goals", fig["goals"])
    stones = p.cell("activity.milestones", fig["milestones"])
    p.at_most(p.cell("activity.reached", fig["reached"], parent=stones), stones)
    users = p.cell("activity.resource_users", fig["resource_users"])
    if "funnel.matched" in p.values:
        p.at_most(users, "funnel.matched")
    previous = None
    for i, r in enumerate(fig["resources"]):
        key = p.cell(f"activity.resource.{i}", r["members"], parent=users)
        p.at_most(key, users)
        if previous:
            p.at_most(key, previous)  # listed largest first
        previous = key


def view(pub: Publication, fig: Mapping[str, Any]) -> dict[str, Any]:
    """What the report prints: every count as the disclosure rules publish it, shares of published counts."""
    rows = [{"month": r["month"], **{m: pub.count(f"activity.month.{i}.{m}") for m in LOG_MODES},
             "all": pub.count(f"activity.month.{i}.all")} for i, r in enumerate(fig["meetings"])]
    rows.append({"month": ALL_MONTHS, **{m: pub.count(f"activity.mode.{m}") for m in LOG_MODES},
                 "all": pub.count("activity.meetings")})
    return {"spaces": pub.count("activity.spaces"), "agreed": pub.count("activity.agreed"),
            "agreed_share": pub.rate("activity.agreed", "activity.spaces"),
            "modes": [{"mode": m, "label": MODE_LABELS[m]} for m in LOG_MODES], "meetings": rows,
            "goals": pub.count("activity.goals"), "milestones": pub.count("activity.milestones"),
            "reached": pub.count("activity.reached"), "reached_share": pub.rate("activity.reached", "activity.milestones"),
            "resource_users": pub.count("activity.resource_users"),
            "resources": [{"resource": r["title"], "members": pub.count(f"activity.resource.{i}")}
                          for i, r in enumerate(fig["resources"])]}


def table_rows(v: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The printed activity as CSV-like tables: headline counts, log entries by month and mode, resources."""
    return {
        "activity": [
            {"figure": "pairs and circles with a page", "count": v["spaces"], "share": ""},
            {"figure": "with an agreement every member confirmed", "count": v["agreed"], "share": v["agreed_share"]},
            {"figure": "goals set", "count": v["goals"], "share": ""},
            {"figure": "milestones set", "count": v["milestones"], "share": ""},
            {"figure": "milestones reached", "count": v["reached"], "share": v["reached_share"]},
            {"figure": "members who marked a resource done", "count": v["resource_users"], "share": ""},
        ],
        "activity-meetings": [{"month": r["month"], **{MODE_LABELS[m]: r[m] for m in LOG_MODES}, "all": r["all"]}
                              for r in v["meetings"]],
        "activity-resources": [dict(r) for r in v["resources"]],
    }
