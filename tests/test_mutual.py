"""Symbiotic means mutual: each partner teaches the other a skill the other wants and does not already
hold at that level, and the two skills differ (a same-skill swap is not an exchange)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_fixtures import random_instance
from mentorflow.cohorts.config import MatchingRules
from mentorflow.contract.parsing import parse_skills
from mentorflow.matching import MatchInput, mutual, propose

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": True}
EXCHANGE = re.compile(r"each teaches the other: ([^;]+) one way, ([^;]+) the other")


def cohort(skills: dict[str, tuple[str, str]]) -> MatchInput:
    """A symbiotic cohort of peers: person -> (skills offered, skills wanted); nothing else differs."""
    ids = list(skills)
    n = len(ids)
    people = pd.DataFrame({
        "employee_id": ids, "full_name": ids, "level": [3] * n, "manager_id": [None] * n,
        "department": ["Eng"] * n, "location": ["Berlin"] * n, "timezone": ["UTC"] * n, "on_pip": [False] * n,
        "job_title": ["x"] * n})
    apps = pd.DataFrame({
        "employee_id": ids, "role": ["both"] * n, "skills_offered": [skills[i][0] for i in ids],
        "skills_wanted": [skills[i][1] for i in ids], "goals": ["grow"] * n, "motivation": ["learn"] * n,
        **{f"tipi_{k}": [4] * n for k in range(1, 11)}, "capacity": [1] * n, "hours_per_month": [4.0] * n,
        "preferred_partners": [""] * n, "avoid_partners": [""] * n})
    return MatchInput("symbiotic", MatchingRules(), people, apps)


def teaches(offered: dict[str, int], wanted: dict[str, int], held: dict[str, int]) -> set[str]:
    """The skills a teacher offering ``offered`` teaches a learner who wants ``wanted`` and offers ``held``
    (written out from the rule, independently of the matcher's matrices)."""
    return {s for s, level in wanted.items() if s in offered and held.get(s, 0) < level}


def test_a_same_skill_swap_is_not_proposed_and_the_reason_says_why():
    # both want sql at 4 and offer it at 2: the old rule (each offers something the other wants) let it pass
    result = propose(cohort({"A": ("sql:2", "sql:4"), "B": ("sql:2", "sql:4")}))
    assert result.pairs.empty
    assert set(result.unmatched["employee_id"]) == {"A", "B"}
    assert result.unmatched["reason"].str.contains("swapping the same skill is not an exchange").all()


def test_a_skill_the_learner_already_holds_at_the_wanted_level_is_not_taught():
    # B wants sql at 3 but offers it at 4 itself: A's sql teaches B nothing, so A gives B nothing
    result = propose(cohort({"A": ("sql:5", "python:3"), "B": ("python:4;sql:4", "sql:3")}))
    assert result.pairs.empty


def test_a_real_exchange_is_proposed_and_explained_with_its_two_skills():
    result = propose(cohort({"A": ("python:4;sql:2", "negotiation:3;sql:4"), "B": ("negotiation:4;sql:2", "python:2;sql:4")}))
    assert len(result.pairs) == 1
    pair = result.pairs.iloc[0]
    forth, back = EXCHANGE.search(pair["explanation"]).groups()
    # first what the pair's mentor_id column teaches the mentee_id column: python (A to B) or negotiation
    # (B to A); never sql, which both want and neither holds at the wanted level
    assert {forth, back} == {"python", "negotiation"}
    assert (forth, back) == (("python", "negotiation") if pair["mentor_id"] == "A" else ("negotiation", "python"))


def test_exchange_mask_agrees_with_the_rule_written_out_on_random_matrices():
    rng = np.random.default_rng(7)
    wanted = rng.integers(0, 4, (40, 4)) * (rng.random((40, 4)) < 0.5)
    offered = rng.integers(0, 6, (40, 4)) * (rng.random((40, 4)) < 0.5)
    everyone = np.arange(40)
    mask = mutual.exchange_mask(wanted.astype(np.float32), offered.astype(np.float32), everyone, everyone)
    for a in range(40):
        for b in range(40):
            forth = {s for s in range(4) if offered[a, s] and wanted[b, s] and offered[b, s] < wanted[b, s]}
            back = {t for t in range(4) if offered[b, t] and wanted[a, t] and offered[a, t] < wanted[a, t]}
            expected = any(s != t for s in forth for t in back)
            assert mask[a, b] == expected, (a, b, forth, back)
            pick = mutual.exchange(wanted, offered, a, b)
            assert (pick is not None) == expected
            if pick:
                assert pick[0] in forth and pick[1] in back and pick[0] != pick[1]


@settings(max_examples=25, **SETTINGS)
@given(seed=st.integers(0, 10_000), n=st.integers(6, 40), fair=st.sampled_from(["none", "cover"]))
def test_every_proposed_symbiotic_pair_teaches_two_different_skills_not_already_held(seed, n, fair):
    inp = random_instance(seed, n, "symbiotic", rules=MatchingRules(fairness=fair))
    apps = inp.applications.set_index("employee_id")
    result = propose(inp)
    for p in result.pairs.itertuples():
        a_off, a_want = parse_skills(apps.at[p.mentee_id, "skills_offered"]), parse_skills(apps.at[p.mentee_id, "skills_wanted"])
        b_off, b_want = parse_skills(apps.at[p.mentor_id, "skills_offered"]), parse_skills(apps.at[p.mentor_id, "skills_wanted"])
        forth, back = teaches(b_off, a_want, a_off), teaches(a_off, b_want, b_off)  # mentor_id teaches first
        assert any(s != t for s in forth for t in back), (p.mentor_id, p.mentee_id, forth, back)
        said = EXCHANGE.search(p.explanation)
        if said:  # the skills reason, when among the three strongest, names the exchange's two skills
            assert said.group(1) != said.group(2)
            assert said.group(1) in forth and said.group(2) in back


@settings(max_examples=15, **SETTINGS)
@given(seed=st.integers(0, 10_000), n=st.integers(6, 40), kind=st.sampled_from(["symbiotic", "reverse"]))
def test_the_matches_gate_agrees_with_the_matchers_skills_rule(seed, n, kind):
    """The gate passes every pair the matcher proposes and holds every pair the rule forbids (a lock or a
    hand-edited proposal would otherwise reach kickoff)."""
    from mentorflow.quality.pair_suites import skills_rule_problems

    inp = random_instance(seed, n, kind)
    apps = inp.applications
    proposed = propose(inp).pairs
    assert skills_rule_problems(proposed, apps, kind).isna().all()
    ids = list(apps["employee_id"])
    everyone = pd.DataFrame([(a, b) for a in ids for b in ids if a != b], columns=["mentor_id", "mentee_id"])
    held = skills_rule_problems(everyone, apps, kind).notna()
    by_id = apps.set_index("employee_id")
    for (mentor, mentee), is_held in zip(zip(everyone["mentor_id"], everyone["mentee_id"]), held):
        m_off, m_want = parse_skills(by_id.at[mentor, "skills_offered"]), parse_skills(by_id.at[mentor, "skills_wanted"])
        e_off, e_want = parse_skills(by_id.at[mentee, "skills_offered"]), parse_skills(by_id.at[mentee, "skills_wanted"])
        if kind == "symbiotic":
            forth, back = teaches(m_off, e_want, e_off), teaches(e_off, m_want, m_off)
            breaks = not any(s != t for s in forth for t in back)
        else:
            breaks = not set(m_off) & set(e_want)
        assert is_held == breaks, (mentor, mentee)


def test_the_matches_gate_holds_a_same_skill_swap():
    from mentorflow.quality.pair_suites import skills_rule_problems

    inp = cohort({"A": ("sql:2", "sql:4"), "B": ("sql:2", "sql:4")})
    swap = pd.DataFrame([{"mentor_id": "A", "mentee_id": "B"}])
    assert skills_rule_problems(swap, inp.applications, "symbiotic").tolist() == [
        "the partners would swap the same skill, which is not an exchange"]
