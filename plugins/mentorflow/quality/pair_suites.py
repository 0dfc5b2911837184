"""The suites of the gates on partnerships: the proposed matches, pulse answers and close-out
evaluations (computed columns and the expectations over them; nothing here touches the store)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract.columns import (
    CLOSEOUT,
    MENTEE_ROLES,
    PULSE,
    Table,
)
from mentorflow.contract.parsing import parse_ids, parse_skills
from mentorflow.matching.capacity import mentor_capacity
from mentorflow.matching.mutual import exchange_problem
from mentorflow.matching.placement import placement_problem
from mentorflow.matching.several import own_skills
from mentorflow.matching.vocabulary import current as skill_vocabulary
from mentorflow.quality.expectations import Spec
from mentorflow.quality.reader import ROW
from mentorflow.quality.results import Batch
from mentorflow.quality.spec_helpers import (
    between,
    null_spec,
)
from mentorflow.roster.eligibility import reporting_chain

# -- matches (match stage) --------------------------------------------------------------------


def allowed_load(apps: pd.DataFrame, config: CohortConfig) -> pd.Series:
    """How many mentees each mentor may have, by employee_id: the rule the proposal must respect (what
    the mentor offered, at most the program's cap; ``group_size`` too is only a cap)."""
    capacity = mentor_capacity(apps["capacity"], config.program_type.value, config.matching.rules)
    return pd.Series(capacity.to_numpy(), index=apps["employee_id"])


def several_mentors_problems(pairs: pd.DataFrame, apps: pd.DataFrame, fixed_pairs, per_mentee: int) -> pd.Series:
    """Per proposed pair, what breaks the several-mentors rule (None: nothing): the mentee has more than
    ``per_mentee`` mentors (counting pairs that stay, at the midpoint), or, with several, this mentor covers
    no wanted skill that the mentee's other mentors do not (:mod:`mentorflow.matching.several`)."""
    out = pd.Series([None] * len(pairs), index=pairs.index, dtype="object")
    fixed = pd.DataFrame(list(fixed_pairs), columns=["mentor_id", "mentee_id"], dtype="object")
    mentors = pd.concat([pairs[["mentor_id", "mentee_id"]], fixed], ignore_index=True)
    count = mentors.groupby("mentee_id")["mentor_id"].size()
    several = count[count > 1].index
    if not len(several):
        return out
    vocab = skill_vocabulary()  # the matcher's skills: a synonym is the same skill

    def canonical(text: str) -> set[str]:
        return {vocab.canonical(name) for name in parse_skills(text)}

    wanted = dict(zip(apps["employee_id"], apps["skills_wanted"].fillna("").map(canonical)))
    offered = dict(zip(apps["employee_id"], apps["skills_offered"].fillna("").map(canonical)))
    for mentee, group in mentors[mentors["mentee_id"].isin(several)].groupby("mentee_id"):
        if len(group) > per_mentee:
            problem = f"mentee {mentee} has {len(group)} mentors, at most {per_mentee} (mentors_per_mentee)"
            lacking = set(group["mentor_id"])
        else:
            covers = [offered.get(m, set()) & wanted.get(mentee, set()) for m in group["mentor_id"]]
            lacking = {m for m, own in zip(group["mentor_id"], own_skills(covers)) if not own}
            problem = "this mentor covers no wanted skill of the mentee that their other mentors do not"
        hit = (pairs["mentee_id"] == mentee) & pairs["mentor_id"].isin(lacking)
        out[hit] = problem
    return out


def skills_rule_problems(pairs: pd.DataFrame, apps: pd.DataFrame, program_type: str) -> pd.Series:
    """Per proposed pair, what breaks the program's skills rule (None: nothing), with skill names mapped to
    the vocabulary as the matcher maps them: in a reverse program the mentor offers a skill the mentee wants;
    in a symbiotic one the partners make a real exchange (:mod:`mentorflow.matching.mutual`)."""
    out = pd.Series([None] * len(pairs), index=pairs.index, dtype="object")
    if program_type not in ("reverse", "symbiotic") or not len(pairs) or not {
            "skills_wanted", "skills_offered"} <= set(apps.columns):  # a proposal built without the answers
        return out
    vocab = skill_vocabulary()

    def levels(text: str) -> dict[str, int]:
        mapped: dict[str, int] = {}
        for name, level in parse_skills(text).items():
            skill = vocab.canonical(name)
            mapped[skill] = max(level, mapped.get(skill, 0))
        return mapped

    wanted = dict(zip(apps["employee_id"], apps["skills_wanted"].fillna("").map(levels)))
    offered = dict(zip(apps["employee_id"], apps["skills_offered"].fillna("").map(levels)))
    for i, mentor, mentee in zip(pairs.index, pairs["mentor_id"], pairs["mentee_id"]):
        if program_type == "symbiotic":
            out[i] = exchange_problem(wanted.get(mentor, {}), offered.get(mentor, {}), wanted.get(mentee, {}),
                                      offered.get(mentee, {}))
        elif not set(offered.get(mentor, {})) & set(wanted.get(mentee, {})):
            out[i] = "the mentor offers none of the skills the mentee wants (reverse mentoring)"
    return out


def forbidden_problems(pairs: pd.DataFrame, inp, config: CohortConfig) -> pd.Series:
    """Per pair (``mentor_id``, ``mentee_id``), the hard relationship or placement rule it breaks (None:
    none): a self pair, a committee forbid, a former pair, an avoid list, a reporting line, the cohort's
    placement rules. ``inp`` is the matcher's ``MatchInput``."""
    rules, apps = config.matching.rules, inp.applications
    committee = {tuple(p) for p in config.matching.forbids}
    avoid = {row.employee_id: set(parse_ids(row.avoid_partners)) for row in apps.itertuples()}
    # over the whole roster the store has (ineligible and held rows too): a chain walked over the
    # eligible people only stops at the first ineligible manager and misses everyone above
    roster = inp.roster if inp.roster is not None else inp.people
    chains = reporting_chain(roster) if rules.forbid_reporting_line else {}
    person = roster.drop_duplicates("employee_id").set_index("employee_id")
    level = pd.to_numeric(person["level"], errors="coerce").to_dict() if "level" in person else {}
    department = person["department"].fillna("").astype(str).to_dict() if "department" in person else {}

    def why_forbidden(mentor: str, mentee: str) -> str | None:
        if mentor == mentee:
            return "a person paired with themselves"
        if (mentor, mentee) in committee:
            return "the committee forbids this pair"
        if (mentor, mentee) in inp.previous_pairs or (mentor, mentee) in inp.forbidden_pairs:
            return "a former pair (repeat pairs are forbidden)"
        if mentee in avoid.get(mentor, ()) or mentor in avoid.get(mentee, ()):
            return "one partner asked to avoid the other"
        if mentor in chains.get(mentee, ()) or mentee in chains.get(mentor, ()):
            return "the partners are in the same reporting line"
        return placement_problem(rules, (level.get(mentor, 0), level.get(mentee, 0)),
                                 (department.get(mentor, ""), department.get(mentee, "")))

    return pd.Series([why_forbidden(m, e) for m, e in zip(pairs["mentor_id"], pairs["mentee_id"])],
                     index=pairs.index, dtype="object")


def matches_batches(pairs: pd.DataFrame, unmatched: pd.DataFrame, inp, config: CohortConfig, *,
                    to_place: set[str] | None = None) -> list[Batch]:
    """The proposal's pairs (capacity, forbidden pairs) and the mentees it had to place (coverage).

    ``inp`` is the matcher's ``MatchInput``; ``to_place`` limits coverage to some mentees (the midpoint
    re-matches only the freed ones)."""
    rules = config.matching.rules
    apps, fixed_pairs = inp.applications, inp.fixed_pairs
    pairs = pairs.reset_index(drop=True).copy()
    pairs[ROW] = np.arange(len(pairs))
    pairs["pair"] = pairs["mentor_id"] + " → " + pairs["mentee_id"]
    mentors_all = pd.concat([pairs["mentor_id"], pd.Series([m for m, _ in fixed_pairs], dtype="object")])
    pairs["load"] = pairs["mentor_id"].map(mentors_all.value_counts()).astype("int64")
    pairs["allowed"] = pairs["mentor_id"].map(allowed_load(apps, config)).fillna(1).astype("int64")
    pairs["forbidden"] = forbidden_problems(pairs, inp, config)
    pairs["several"] = several_mentors_problems(pairs, apps, fixed_pairs, rules.mentors_per_mentee)
    pairs["skills_rule"] = skills_rule_problems(pairs, apps, config.program_type.value)
    pair_specs = [
        Spec("matches.capacity", "ExpectColumnPairValuesAToBeGreaterThanB",
             {"column_A": "allowed", "column_B": "load", "or_equal": True},
             lambda r: f"mentor {r['mentor_id']} has {r['load']} mentees, capacity {r['allowed']}"),
        null_spec("matches.no_forbidden_pair", "forbidden", lambda r, c: f"{r['pair']}: {r[c]}"),
        null_spec("matches.mentors_per_mentee", "several", lambda r, c: f"{r['pair']}: {r[c]}"),
        null_spec("matches.skills_rule", "skills_rule", lambda r, c: f"{r['pair']}: {r[c]}"),
    ]
    symbiotic = config.program_type.value == "symbiotic"
    wanting = apps["role"].isin(MENTEE_ROLES) & (apps["employee_id"].isin(to_place) if to_place is not None
                                                       else True)
    mentees = apps.loc[wanting, ["employee_id"]].reset_index(drop=True)
    placed = set(pairs["mentee_id"]) | (set(pairs["mentor_id"]) if symbiotic else set())
    placed |= {m for _, m in fixed_pairs}
    reasons = unmatched.dropna(subset=["reason"])
    placed |= set(reasons.loc[reasons["reason"].str.strip() != "", "employee_id"])
    mentees[ROW] = np.arange(len(mentees))
    mentees["placed"] = mentees["employee_id"].isin(placed)
    mentee_specs = [Spec("matches.every_mentee_placed", "ExpectColumnValuesToBeInSet",
                         {"column": "placed", "value_set": [True]},
                         lambda r: f"mentee {r['employee_id']} is neither matched nor given a reason")]
    return [Batch("pairs", pairs, pair_specs, "pair"), Batch("mentees", mentees, mentee_specs, "employee_id")]


# -- pulse and close-out answers --------------------------------------------------------------



def _range_specs(check: str, table: Table) -> list[Spec]:
    """One between-expectation per column of ``table`` with a range, all reported under ``check``."""
    return [Spec(check, "ExpectColumnValuesToBeBetween", between(c.name, c.range),
                 lambda r, c=c: f"{c.name} is {r[c.name]}, must be {c.range}") for c in table.ranged]

def pulse_batch(responses: pd.DataFrame, pairs: pd.DataFrame) -> Batch:
    out = responses.reset_index(drop=True).copy()
    out[ROW] = np.arange(len(out))
    out["key"] = out["period"] + "/" + out["match_id"].astype(str) + "/" + out["respondent_id"]
    members = {(m, p) for m, a, b in zip(pairs["match_id"], pairs["mentor_id"], pairs["mentee_id"]) for p in (a, b)}
    out["in_pair"] = [(m, p) in members for m, p in zip(out["match_id"], out["respondent_id"])]
    specs = _range_specs("pulse.value_ranges", PULSE)
    specs += [
        Spec("pulse.respondent_in_pair", "ExpectColumnValuesToBeInSet", {"column": "in_pair", "value_set": [True]},
             lambda r: f"{r['respondent_id']} is not a partner of pair {r['match_id']}"),
        # a mentor with two mentees answers once per pair: unique per period, pair and person (the key)
        Spec("pulse.one_per_person", "ExpectColumnValuesToBeUnique", {"column": "key"},
             lambda r: f"{r['respondent_id']} answered more than once about pair {r['match_id']} for {r['period']}"),
    ]
    return Batch("responses", out, specs, "key")


def closeout_batch(evaluations: pd.DataFrame, pairs: pd.DataFrame) -> Batch:
    out = evaluations.reset_index(drop=True).copy()
    out[ROW] = np.arange(len(out))
    out["took_part"] = out["employee_id"].isin(set(pairs["mentor_id"]) | set(pairs["mentee_id"]))
    specs = _range_specs("closeout.value_ranges", CLOSEOUT)
    specs += [
        Spec("closeout.participant", "ExpectColumnValuesToBeInSet", {"column": "took_part", "value_set": [True]},
             lambda r: f"{r['employee_id']} was in no pair of this cohort"),
        Spec("closeout.one_per_person", "ExpectColumnValuesToBeUnique", {"column": "employee_id"},
             lambda r: f"{r['employee_id']} sent more than one evaluation"),
    ]
    return Batch("evaluations", out, specs, "employee_id")
