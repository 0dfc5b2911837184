"""The HR report as a disclosure problem: every count it prints or prints a rate of, and how they relate.

:func:`cells` turns the raw figures (:func:`mentorflow.reports.hr_figures.figures`) into a
:class:`~mentorflow.reports.disclosure.Problem`. *Certain* relations follow from what the numbers are
(the breakdowns of one grouping never add up to more than the funnel's total; the health states of a
period add up to the pairs assessed); *guessed* ones usually hold and are kept whenever these figures
satisfy them (the breakdowns add up to exactly the funnel's total; in a period before the midpoint the
pairs assessed are the pairs of the initial round). A reader who guesses right knows as much as one
who was told, so both constrain the suppression. Guesses are facts of how a program runs, not
coincidences of one cohort (such as "no pair ended"), which would pin cells no suppression can free.
Parents are the groups a count is part of (for the zero rule).
"""

from __future__ import annotations

from typing import Any

from mentorflow.reports import activity, affinity_counts, coverage_view, skill_supply
from mentorflow.reports.disclosure import Problem
from mentorflow.reports.pulse import STATES

BANDS = (("below 2", 0.0, 2.0), ("2 to 3", 2.0, 3.0), ("3 to 4", 3.0, 4.0), ("4 and above", 4.0, float("inf")))
ROUNDS = ("initial", "midpoint")
ROLES_KEY = {"all": "funnel.evaluated"}  # the respondents of the evaluation are the funnel's last stage


def goals(rate: float | None, n: int) -> int:
    """How many people a "goals met" share stands for."""
    return round((rate or 0.0) * n)


def respondents(role: str) -> str:
    return ROLES_KEY.get(role, f"outcomes.{role}.n")


def cells(f: dict[str, Any]) -> Problem:
    p = Problem()
    _funnel(p, dict(f["funnel"]))
    p.cell("pairs_total", f["pairs_total"])
    for grouping, rows in f["groups"].items():
        for what in ("applied", "matched"):
            parts = [p.cell(f"{grouping}.{i}.{what}", r[what],
                            parent=f"{grouping}.{i}.applied" if what == "matched" else f"funnel.{what}")
                     for i, r in enumerate(rows)]
            if f"funnel.{what}" in p.values:
                p.total(f"funnel.{what}", parts)
        for i in range(len(rows)):
            p.at_most(f"{grouping}.{i}.matched", f"{grouping}.{i}.applied")
    _rematch(p, f["rematch"])
    _health(p, f["health"])
    _outcomes(p, f["outcomes"], f["rematch"])
    _effectiveness(p, f["mentor_effectiveness"])
    for group, c in (f.get("careers") or {}).items():
        people = p.cell(f"careers.{group}.people", c["people"], parent="funnel.invited")
        for what in ("retained", "promoted"):
            p.at_most(p.cell(f"careers.{group}.{what}", c[what], parent=people), people)
    if f.get("careers") and len(f["careers"]) == 2 and "funnel.invited" in p.values:
        groups = [f"careers.{g}.people" for g in f["careers"]]
        p.total("funnel.invited", groups)
        if "funnel.matched" in p.values:
            p.equal(groups[0], "funnel.matched")
            p.at_most(groups[0], "funnel.matched")
    if f.get("affinity") is not None:  # who asked for a partner from their network, and got one
        affinity_counts.add_cells(p, f["affinity"], within="funnel.valid" if "funnel.valid" in p.values else None)
    if f.get("skills"):
        skill_supply.cells(p, f["skills"])
    if f.get("learning_pairs") is not None:
        p.at_most(p.cell("learning.pairs", f["learning_pairs"], parent="pairs_total"), "pairs_total")
    if f.get("coverage"):  # what every applicant got: the same applicants and groups as the funnel and fairness rows
        coverage_view.cells(p, f["coverage"], within="funnel.valid", matched="funnel.matched", groups=f["groups"])
    if f.get("activity"):  # the partnership pages: counts of spaces, log entries, milestones, resources
        activity.cells(p, f["activity"])
    return p


def _funnel(p: Problem, funnel: dict[str, int]) -> None:
    parent = {"applied": "invited", "valid": "applied", "matched": "valid", "active": "matched",
              "completed": "matched", "evaluated": "matched"}
    for stage, n in funnel.items():
        p.cell(f"funnel.{stage}", n, parent=f"funnel.{parent[stage]}" if parent.get(stage) in funnel else None)
    for stage, up in parent.items():
        if stage in funnel and up in funnel:
            p.at_most(f"funnel.{stage}", f"funnel.{up}")
    if "evaluated" in funnel and "completed" in funnel:
        p.at_most("funnel.evaluated", "funnel.completed")


def _rematch(p: Problem, rematch: dict[str, Any]) -> None:
    for rnd in ROUNDS:
        r = rematch[rnd]
        pairs = p.cell(f"rematch.{rnd}.pairs", r["pairs"], parent="pairs_total")
        p.at_most(p.cell(f"rematch.{rnd}.completed", r["completed"], parent=pairs), pairs)
        mentees = p.cell(f"rematch.{rnd}.mentee_n", r["mentee_n"], parent=pairs)
        p.at_most(mentees, pairs)
        p.at_most(p.cell(f"rematch.{rnd}.goals", goals(r["mentee_goals_met_rate"], r["mentee_n"]), parent=mentees),
                  mentees)
    p.total("pairs_total", [f"rematch.{rnd}.pairs" for rnd in ROUNDS])
    ended = p.cell("rematch.ended", rematch["ended"], parent="pairs_total")
    p.total("rematch.initial.pairs", ["rematch.initial.completed", ended])
    p.at_most(ended, "rematch.initial.pairs")
    p.at_most(ended, "pairs_total")


def _health(p: Problem, health: list[dict[str, Any]]) -> None:
    for i, h in enumerate(health):
        asked = p.cell(f"health.{i}.asked", h["asked"], parent="funnel.matched" if "funnel.matched" in p.values
                       else None)
        p.at_most(p.cell(f"health.{i}.answered", h["answered"], parent=asked), asked)
        assessed = p.cell(f"health.{i}.assessed", h["assessed"], parent="pairs_total")
        p.total(assessed, [p.cell(f"health.{i}.{s}", h[s], parent=assessed) for s in STATES])
        if "funnel.matched" in p.values:
            p.equal(asked, "funnel.matched")
            p.at_most(asked, "funnel.matched")
        # before the midpoint a period assesses the initial pairs, after it the pairs kept and the new ones
        p.equal(assessed, "rematch.initial.pairs")
        p.total("pairs_total", [assessed, "rematch.ended"])
        p.at_most(assessed, "pairs_total")


def _outcomes(p: Problem, outcomes: dict[str, Any], rematch: dict[str, Any]) -> None:
    if "all" in outcomes and "funnel.evaluated" not in p.values:
        p.cell("funnel.evaluated", outcomes["all"]["n"])
    for role, o in outcomes.items():
        n = respondents(role) if role == "all" else p.cell(respondents(role), o["n"], parent=respondents("all"))
        p.at_most(p.cell(f"outcomes.{role}.goals", goals(o["goals_met_rate"], o["n"]), parent=n), n)
    roles = [r for r in outcomes if r != "all"]
    if "all" in outcomes and roles:
        p.total(respondents("all"), [respondents(r) for r in roles])
        p.total("outcomes.all.goals", [f"outcomes.{r}.goals" for r in roles])
    if "mentee" in outcomes:
        p.total(respondents("mentee"), [f"rematch.{rnd}.mentee_n" for rnd in ROUNDS])
        p.total("outcomes.mentee.goals", [f"rematch.{rnd}.goals" for rnd in ROUNDS])


def _effectiveness(p: Problem, effectiveness: list[float]) -> None:
    mentors = p.cell("eff.mentors", len(effectiveness), parent="pairs_total")
    p.at_most(mentors, "pairs_total")
    bands = [p.cell(f"eff.band{i}", sum(1 for v in effectiveness if lo <= v < hi), parent=mentors)
             for i, (_, lo, hi) in enumerate(BANDS)]
    p.total(mentors, bands)
    p.total(p.cell("eff.below3", sum(1 for v in effectiveness if v < 3), parent=mentors), bands[:2])
