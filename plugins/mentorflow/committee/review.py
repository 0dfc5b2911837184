"""What the committee's review page shows of a round: the report the committee already gets (pairs, the unmatched
with their reasons, fairness audit, coverage, pruning certificate: :func:`mentorflow.reports.matches.
match_report_context`), plus what the page adds: employee ids, each partner's own answers and the role in which
each unmatched person is left without a partner.

load: :func:`load_review` · decide: :func:`answers_shown`, :func:`unmatched_role` (plain data in, plain data out).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.parsing import parse_ids, parse_skills
from mentorflow.reports import coverage
from mentorflow.reports import matches as match_reports
from mentorflow.store import Store, applications, matches, people, unmatched

ROUNDS = ("initial", "midpoint")  # the rounds a committee approves
LIVE = ("proposed", "approved", "active")
# a partner's own answers the committee reads, in this order; never shown: the partners they asked to avoid,
# the private affinity network and the personality items
ANSWERS = (("goals", "Goals"), ("skills_wanted", "Wants to learn"), ("skills_offered", "Can teach"),
           ("preferred_traits", "Prefers a partner who is"), ("preferred_partners", "Would like to be paired with"),
           ("hours_per_month", "Hours a month"), ("capacity", "Mentees at most"))
ROLE_WORDS = {"mentee": "as mentee", "mentor": "as mentor", "both": "as mentee or mentor", "partner": "as partner"}


def answers_shown(app: Mapping[str, Any] | None, names: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, text) of a person's answers the committee may read; skills as 'name (level/5)', wished partners
    by name and id. Empty answers are left out; ``avoid_partners`` never appears."""
    if not app:
        return []
    shown = []
    for column, label in ANSWERS:
        value = app.get(column)
        if value is None or str(value).strip() in ("", "nan", "None"):
            continue
        if column in ("skills_wanted", "skills_offered"):
            text = ", ".join(f"{name} ({level}/5)" for name, level in parse_skills(str(value)).items())
        elif column == "preferred_traits":
            text = ", ".join(parse_ids(str(value)))  # the same ';' list as ids
        elif column == "preferred_partners":
            text = ", ".join(f"{names.get(pid, pid)} ({pid})" for pid in parse_ids(str(value)))
        elif column == "capacity" and app.get("role") == "mentee":
            continue
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        if text:
            shown.append((label, text))
    return shown


def unmatched_role(employee_id: str, applied_as: str | None, pairs: Iterable[Mapping[str, Any]],
                   symbiotic: bool) -> tuple[str, list[str]]:
    """The role in which someone is left without a partner, in words, and the ids of those they already mentor.

    Someone who mentors in a live pair (of this round, or an earlier one that continues) lacks only a mentor: "as
    mentee", whatever they applied as; someone who is mentored lacks only mentees. Otherwise the role they applied
    for ("both": "as mentee or mentor"). Symbiotic cohorts have partners only."""
    if symbiotic:
        return ROLE_WORDS["partner"], []
    pairs = list(pairs)
    mentoring = sorted({p["mentee_id"] for p in pairs if p["mentor_id"] == employee_id})
    if mentoring:
        return ROLE_WORDS["mentee"], mentoring
    if any(p["mentee_id"] == employee_id for p in pairs):
        return ROLE_WORDS["mentor"], []
    return ROLE_WORDS.get(applied_as or "", ROLE_WORDS["mentee"]), []


def rounds_with_proposal(store: Store, cohort: str) -> list[str]:
    """The committee rounds of the cohort that have pairs or an unmatched list, in :data:`ROUNDS` order."""
    found = set()
    with store.engine.connect() as conn:
        for table in (matches, unmatched):
            stmt = sa.select(table.c.round).where(table.c.cohort_id == cohort, table.c.round.in_(ROUNDS)).distinct()
            found |= {r for (r,) in conn.execute(stmt)}
    return [r for r in ROUNDS if r in found]


def load_review(config: CohortConfig, store: Store, round_name: str) -> dict[str, Any]:
    """Everything the review page shows of one round (the committee report's context, with ids and answers)."""
    cohort = config.cohort
    pairs = [m for m in store.rows(matches, cohort_id=cohort, round=round_name) if m["status"] in LIVE]
    left = store.rows(unmatched, cohort_id=cohort, round=round_name)
    apps = store.rows(applications, cohort_id=cohort)
    roster = store.frame(people, cohort_id=cohort)
    held = coverage.held_pairs(store, cohort)
    context = match_reports.match_report_context(
        config, round_name, pairs, left, roster, {a["employee_id"]: a["role"] for a in apps}, apps,
        certificate=match_reports.stored_certificate(store, cohort, round_name), held=held)
    return decorate(config, context, apps, roster.to_dict("records"), held)


def decorate(config: CohortConfig, context: dict[str, Any], apps: list[dict], roster: list[dict],
             held: list[dict]) -> dict[str, Any]:
    """The report's context with what the console adds (decide: no I/O)."""
    by_app = {a["employee_id"]: a for a in apps}
    names = {p["employee_id"]: p["full_name"] for p in roster}
    symbiotic = config.program_type.value == "symbiotic"
    for pair in context["pairs"]:
        pair["mentor_answers"] = answers_shown(by_app.get(pair["mentor_id"]), names)
        pair["mentee_answers"] = answers_shown(by_app.get(pair["mentee_id"]), names)
        pair["components"] = json.loads(pair.get("components_json") or "{}")
    live = {(p["mentor_id"], p["mentee_id"]): p for p in [*held, *context["pairs"]]}.values()
    for row in context["unmatched"]:
        role, mentoring = unmatched_role(row["employee_id"], (by_app.get(row["employee_id"]) or {}).get("role"),
                                         live, symbiotic)
        row["role"], row["mentoring"] = role, [f"{names.get(m, m)} ({m})" for m in mentoring]
        row["answers"] = answers_shown(by_app.get(row["employee_id"]), names)
    context["unmatched"] = sorted(context["unmatched"], key=lambda r: (r["role"], r["employee_id"]))
    context["symbiotic"] = symbiotic
    return context
