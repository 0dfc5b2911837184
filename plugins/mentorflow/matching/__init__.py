"""Matching mentors with mentees.

:func:`propose` is the one entry point the pipeline uses. This first engine scores
candidate pairs on skill coverage, enforces the hard rules and assigns greedily
by score; the optimisation model replaces the assignment step behind the same
interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mentorflow.eligibility import reporting_chain
from mentorflow.ingest import parse_ids, parse_skills


@dataclass
class MatchInput:
    program_type: str
    rules: object  # config.MatchingRules
    people: pd.DataFrame  # eligible roster rows
    applications: pd.DataFrame  # valid applications of eligible people
    previous_pairs: set[tuple[str, str]] = field(default_factory=set)
    fixed_pairs: list[tuple[str, str]] = field(default_factory=list)  # stay as they are (midpoint)
    forbidden_pairs: set[tuple[str, str]] = field(default_factory=set)
    locked_pairs: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class MatchResult:
    pairs: pd.DataFrame  # mentor_id, mentee_id, score, explanation
    unmatched: pd.DataFrame  # employee_id, reason


def _capacity(app: pd.Series, program_type: str, rules) -> int:
    if program_type == "group":
        return rules.group_size
    cap = app.get("capacity")
    cap = int(cap) if pd.notna(cap) and cap not in ("", None) else 1
    return max(1, min(cap, rules.max_mentees_per_mentor))


def _coverage(offered: dict[str, int], wanted: dict[str, int]) -> tuple[float, list[str]]:
    if not wanted:
        return 0.0, []
    score, reasons = 0.0, []
    for skill, want in wanted.items():
        have = offered.get(skill, 0)
        if have:
            score += min(1.0, have / max(want, 1))
            if have >= want:
                reasons.append(f"offers {skill} at {have}, wanted at {want}")
    return score / len(wanted), reasons


def propose(inp: MatchInput) -> MatchResult:
    apps = inp.applications.set_index("employee_id")
    people = inp.people.set_index("employee_id")
    chains = reporting_chain(inp.people)
    mentors = [e for e, a in apps.iterrows() if a["role"] in ("mentor", "both")]
    mentees = [e for e, a in apps.iterrows() if a["role"] in ("mentee", "both")]
    offered = {e: parse_skills(apps.at[e, "skills_offered"]) for e in apps.index}
    wanted = {e: parse_skills(apps.at[e, "skills_wanted"]) for e in apps.index}
    avoid = {e: set(parse_ids(apps.at[e, "avoid_partners"])) for e in apps.index}
    capacity = {m: _capacity(apps.loc[m], inp.program_type, inp.rules) for m in mentors}

    def allowed(mentor: str, mentee: str) -> str | None:
        if mentor == mentee:
            return "self"
        if (mentor, mentee) in inp.forbidden_pairs or (mentor, mentee) in inp.previous_pairs:
            return "forbidden or former pair"
        if mentee in avoid.get(mentor, ()) or mentor in avoid.get(mentee, ()):
            return "avoid list"
        if getattr(inp.rules, "forbid_reporting_line", True) and (
            mentor in chains.get(mentee, ()) or mentee in chains.get(mentor, ())
        ):
            return "same reporting line"
        gap = people.at[mentor, "level"] - people.at[mentee, "level"]
        if inp.program_type in ("traditional", "group") and gap < inp.rules.min_level_gap:
            return "mentor not senior enough"
        if inp.program_type == "reverse" and gap >= 0:
            return "reverse mentor must be junior"
        return None

    candidates = []
    for mentee in mentees:
        for mentor in mentors:
            if allowed(mentor, mentee):
                continue
            score, reasons = _coverage(offered[mentor], wanted[mentee])
            if inp.program_type == "symbiotic":
                back, back_reasons = _coverage(offered[mentee], wanted[mentor])
                score = (score + back) / 2
                reasons = reasons + [f"(in return) {r}" for r in back_reasons]
            if score > inp.rules.min_score:
                candidates.append((score, mentor, mentee, reasons))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))

    assigned: dict[str, str] = {}
    load = {m: 0 for m in mentors}
    pairs = []
    for mentor, mentee in list(inp.fixed_pairs) + list(inp.locked_pairs):
        assigned[mentee] = mentor
        load[mentor] = load.get(mentor, 0) + 1
        if (mentor, mentee) in inp.locked_pairs:
            pairs.append((mentor, mentee, 1.0, ["locked by the matching committee"]))
    busy = set(assigned) | set(assigned.values()) if inp.program_type == "symbiotic" else set()
    for score, mentor, mentee, reasons in candidates:
        if mentee in assigned or load[mentor] >= capacity[mentor]:
            continue
        if inp.program_type == "symbiotic" and (mentor in busy or mentee in busy):
            continue
        assigned[mentee] = mentor
        load[mentor] += 1
        busy |= {mentor, mentee} if inp.program_type == "symbiotic" else set()
        pairs.append((mentor, mentee, round(score, 4), reasons[:3] or ["best available mentor"]))
    skills = {(m, e): s for s, m, e, _ in candidates}

    unmatched = []
    matched_people = set(assigned) | {m for m in mentors if load.get(m, 0)}
    for mentee in mentees:
        if mentee in assigned or (inp.program_type == "symbiotic" and mentee in matched_people):
            continue
        eligible_any = any(not allowed(m, mentee) for m in mentors)
        reason = "capacity of suitable mentors exhausted" if eligible_any else "no eligible mentor offers the wanted skills"
        unmatched.append((mentee, reason))
    return MatchResult(
        pairs=pd.DataFrame(
            [(m, e, s, "; ".join(r), skills.get((m, e), s)) for m, e, s, r in pairs],
            columns=["mentor_id", "mentee_id", "score", "explanation", "skills"],
        ),
        unmatched=pd.DataFrame(unmatched, columns=["employee_id", "reason"]),
    )
