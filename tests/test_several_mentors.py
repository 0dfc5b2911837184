"""Several mentors per mentee (``matching.rules.mentors_per_mentee``): up to N mentors, each covering a
wanted skill none of the mentee's other mentors covers; N = 1 is exactly the one-mentor model."""

from __future__ import annotations

import email
import email.policy
import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sqlalchemy as sa
from conftest import ready_store, run_to_kickoff, write_cohort
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_fixtures import random_instance
from mentorflow import settings as mf_settings
from mentorflow.cohorts.config import MatchingRules
from mentorflow.cohorts.loader import load_cohort
from mentorflow.contract.parsing import parse_skills
from mentorflow.demo.synthetic import write_population
from mentorflow.errors import CohortConfigError
from mentorflow.matching import MatchInput, propose
from mentorflow.matching.several import each_adds_a_skill
from mentorflow.matching.solver import MatchingProblem, solve
from mentorflow.quality.pair_suites import several_mentors_problems
from mentorflow.store import applications, matches, people

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": True}


def covers_by_mentee(inp: MatchInput, pairs: pd.DataFrame) -> dict[str, list[set[str]]]:
    """Each mentee's mentors' covered wanted skills, read from the applications (not the matcher), each name as
    the skill vocabulary's canonical skill (a synonym is the same skill)."""
    from mentorflow.matching.vocabulary import current

    vocab = current()
    apps = inp.applications.set_index("employee_id")

    def skills(text: str) -> set[str]:
        return {vocab.canonical(name) for name in parse_skills(text)}

    out: dict[str, list[set[str]]] = {}
    for p in pairs.itertuples():
        wanted = skills(apps.at[p.mentee_id, "skills_wanted"])
        out.setdefault(p.mentee_id, []).append(wanted & skills(apps.at[p.mentor_id, "skills_offered"]))
    return out


def small(mentors: dict[str, str], wanted: str, preferred: str = "") -> MatchInput:
    """One mentee E (level 1) wanting ``wanted``; mentors (level 4) offering their skills, capacity 1."""
    ids = ["E", *mentors]
    n = len(ids)
    people = pd.DataFrame({
        "employee_id": ids, "full_name": ids, "level": [1] + [4] * (n - 1), "manager_id": [None] * n,
        "department": ["Eng"] * n, "location": ["Berlin"] * n, "timezone": ["UTC"] * n, "on_pip": [False] * n,
        "job_title": ["x"] * n})
    apps = pd.DataFrame({
        "employee_id": ids, "role": ["mentee"] + ["mentor"] * (n - 1), "skills_offered": ["", *mentors.values()],
        "skills_wanted": [wanted] + [""] * (n - 1), "goals": ["grow"] * n, "motivation": ["learn"] * n,
        **{f"tipi_{k}": [4] * n for k in range(1, 11)}, "capacity": [1] * n, "hours_per_month": [4.0] * n,
        "preferred_partners": [preferred] + [""] * (n - 1), "avoid_partners": [""] * n})
    return MatchInput("traditional", MatchingRules(mentors_per_mentee=2), people, apps)


# -- the cohort setting -------------------------------------------------------------------------------


def test_mentors_per_mentee_is_bounded_and_refused_where_each_person_pairs_once(cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir, matching={"rules": {"mentors_per_mentee": 3}}))
    assert config.matching.rules.mentors_per_mentee == 3
    assert load_cohort(write_cohort(cohorts_dir, "plain")).matching.rules.mentors_per_mentee == 1
    with pytest.raises(CohortConfigError, match="mentors_per_mentee"):
        load_cohort(write_cohort(cohorts_dir, "four", matching={"rules": {"mentors_per_mentee": 4}}))
    for kind in ("symbiotic", "group"):
        with pytest.raises(CohortConfigError, match=f"a {kind} program pairs each person once"):
            load_cohort(write_cohort(cohorts_dir, f"x-{kind}", program_type=kind,
                                     matching={"rules": {"mentors_per_mentee": 2}}))
        # and the matcher refuses it too when called directly
        inp = random_instance(1, 12, kind, rules=MatchingRules(mentors_per_mentee=2))
        with pytest.raises(ValueError, match=f"a {kind} program pairs each person once"):
            propose(inp)


# -- the rule in the model --------------------------------------------------------------------------------


def test_a_second_mentor_must_add_a_skill_the_first_does_not_cover():
    # M1 and M2 score best (E ranks them first and second) but M2's sql adds nothing to M1's sql and python;
    # M3 brings negotiation, which neither covers
    inp = small({"M1": "sql:4;python:4", "M2": "sql:4", "M3": "negotiation:4"}, "sql:3;python:3;negotiation:3",
                preferred="M1;M2")
    result = propose(inp)
    assert sorted(result.pairs["mentor_id"]) == ["M1", "M3"]
    why = dict(zip(result.pairs["mentor_id"], result.pairs["explanation"]))
    assert why["M1"].startswith("the mentee's mentor for python and sql (each of their 2 mentors covers")
    assert why["M3"].startswith("the mentee's mentor for negotiation")
    # with one mentor per mentee it is the plain model: the best one
    inp.rules = MatchingRules()
    assert list(propose(inp).pairs["mentor_id"]) == ["M1"]


def test_a_mentor_who_offers_no_wanted_skill_is_not_a_candidate_with_several_mentors():
    result = propose(small({"M1": "sql:4", "M2": "budgeting:4"}, "sql:3"))
    assert list(result.pairs["mentor_id"]) == ["M1"]
    assert "no eligible mentee wants a skill this mentor offers" in set(result.unmatched["reason"])


def test_locks_honour_the_rule_too():
    inp = small({"M1": "sql:4;python:4", "M2": "sql:4", "M3": "negotiation:4"}, "sql:3;python:3;negotiation:3")
    inp.locked_pairs = [("M1", "E"), ("M2", "E")]
    result = propose(inp)
    assert "M2" not in set(result.pairs["mentor_id"]) and "M1" in set(result.pairs["mentor_id"])
    assert any("lock M2:E not applied" in n and "each mentor must add a skill" in n for n in result.notes)
    inp.locked_pairs = [("M2", "E"), ("M3", "E")]
    assert sorted(propose(inp).pairs["mentor_id"]) == ["M2", "M3"]


@settings(max_examples=30, **SETTINGS)
@given(seed=st.integers(0, 10_000))
def test_the_model_reaches_the_brute_force_optimum_of_the_rule(seed):
    """On small random problems the MIP's optimum equals the best subset of edges found by enumeration
    that keeps capacities, N per mentee and the own-skill rule: it forbids exactly what the rule forbids."""
    rng = np.random.default_rng(seed)
    n_rows, n_cols, n_skills, per = 3, 4, 3, int(rng.integers(2, 4))
    edges = [(r, c) for r in range(n_rows) for c in range(n_cols) if rng.random() < 0.8]
    covers = np.array([[rng.random() < 0.45 for _ in range(n_skills)] for _ in edges], dtype=bool)
    covers[~covers.any(axis=1), int(rng.integers(0, n_skills))] = True  # every candidate covers a skill (the mask)
    score = rng.random(len(edges)).round(3)
    capacity = rng.integers(1, 3, n_cols)
    rows, cols = np.array([e[0] for e in edges]), np.array([e[1] for e in edges])
    problem = MatchingProblem(rows=rows, cols=cols, score=score, n_rows=n_rows, n_cols=n_cols,
                              col_capacity=capacity, row_capacity=np.full(n_rows, per),
                              edge_covers=sp.csr_matrix(covers))
    solution = solve(problem)
    chosen = np.flatnonzero(solution.chosen)

    def feasible(subset) -> bool:
        if any(np.sum(rows[list(subset)] == r) > per for r in range(n_rows)):
            return False
        if any(np.sum(cols[list(subset)] == c) > capacity[c] for c in range(n_cols)):
            return False
        return all(each_adds_a_skill([set(np.flatnonzero(covers[e])) for e in subset if rows[e] == r])
                   for r in range(n_rows))

    best = max(sum(score[list(s)]) for k in range(len(edges) + 1) for s in itertools.combinations(range(len(edges)), k)
               if feasible(s))
    assert feasible(tuple(chosen))
    assert solution.objective == pytest.approx(best, abs=1e-6)


@settings(max_examples=20, **SETTINGS)
@given(seed=st.integers(0, 10_000), n=st.integers(10, 40), kind=st.sampled_from(["traditional", "reverse"]),
       per=st.sampled_from([2, 3]), fair=st.sampled_from(["none", "cover"]))
def test_every_proposal_keeps_the_rule_on_random_cohorts(seed, n, kind, per, fair):
    inp = random_instance(seed, n, kind, rules=MatchingRules(mentors_per_mentee=per, fairness=fair))
    pairs = propose(inp).pairs
    assert not pairs.duplicated(["mentor_id", "mentee_id"]).any()
    for mentee, covers in covers_by_mentee(inp, pairs).items():
        assert len(covers) <= per
        assert all(covers), f"{mentee}: a mentor covers no wanted skill"
        assert each_adds_a_skill(covers), (mentee, covers)
    cap = dict(zip(inp.applications["employee_id"], inp.applications["capacity"].clip(upper=inp.rules.max_mentees_per_mentor)))
    assert all(load <= cap[m] for m, load in pairs.groupby("mentor_id").size().items())
    # the matches gate's own reading of the rule agrees
    assert several_mentors_problems(pairs, inp.applications, [], per).isna().all()


@settings(max_examples=10, **SETTINGS)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["traditional", "reverse"]))
def test_one_mentor_per_mentee_is_todays_model(seed, kind):
    default = random_instance(seed, 30, kind)
    explicit = random_instance(seed, 30, kind, rules=MatchingRules(mentors_per_mentee=1))
    pd.testing.assert_frame_equal(propose(default).pairs, propose(explicit).pairs)


# -- the gate and the store -----------------------------------------------------------------------------


def test_the_gate_reads_more_mentors_than_allowed_and_a_mentor_who_adds_nothing():
    apps = pd.DataFrame({"employee_id": ["E", "M1", "M2", "M3"], "skills_wanted": ["sql:3;python:3", "", "", ""],
                         "skills_offered": ["", "sql:4;python:4", "sql:4", "python:2"]})
    pairs = pd.DataFrame({"mentor_id": ["M1", "M2"], "mentee_id": ["E", "E"]})
    assert list(several_mentors_problems(pairs, apps, [], 1)) == [
        "mentee E has 2 mentors, at most 1 (mentors_per_mentee)"] * 2
    problems = several_mentors_problems(pairs, apps, [], 2)
    assert problems.isna().tolist() == [True, False]
    assert "covers no wanted skill of the mentee that their other mentors do not" in problems[1]
    # a mentor who stays (midpoint) counts
    assert several_mentors_problems(pairs.iloc[:1], apps, [("M3", "E")], 1).notna().all()


def test_the_store_keeps_a_mentee_to_one_live_pair_per_mentor_slot(store):
    import datetime as dt

    def pair(mentor: str, slot: int | None) -> dict:
        row = {"cohort_id": "c", "round": "initial", "mentor_id": mentor, "mentee_id": "E", "score": 0.5,
               "explanation": "x", "status": "active", "created_at": dt.datetime(2026, 1, 5, tzinfo=dt.UTC)}
        return row if slot is None else {**row, "mentor_slot": slot}

    with store.begin() as conn:
        conn.execute(matches.insert(), [pair("M1", None)])  # slot 1 by default (rows written before slots)
        conn.execute(matches.insert(), [pair("M2", 2)])
    with pytest.raises(sa.exc.IntegrityError), store.begin() as conn:
        conn.execute(matches.insert(), [pair("M3", 1)])
    assert sorted(m["mentor_slot"] for m in store.rows(matches)) == [1, 2]


# -- through the stages ---------------------------------------------------------------------------------------


def test_a_cohort_with_two_mentors_per_mentee_runs_to_kickoff(cohorts_dir):
    _, apps_csv = write_population(cohorts_dir / "data", 120, seed=11)
    # mentors with room for second mentors: every other mentee applies, every mentor takes up to three
    apps = pd.read_csv(apps_csv, dtype=str, keep_default_na=False)
    mentee_rows = apps.index[apps["role"] == "mentee"]
    apps = apps.drop(index=mentee_rows[::2])
    apps.loc[apps["role"].isin(["mentor", "both"]), "capacity"] = "3"
    apps.to_csv(apps_csv, index=False)
    config = load_cohort(write_cohort(cohorts_dir, "two-mentors", committee={"review_mode": "auto"},
                                      matching={"rules": {"mentors_per_mentee": 2, "max_mentees_per_mentor": 3}}))
    store = ready_store(config)
    run_to_kickoff(config, store)  # the matches gate is hard: it would stop the proposal if it broke a rule
    active = pd.DataFrame(store.rows(matches, cohort_id=config.cohort, status="active"))
    per_mentee = active.groupby("mentee_id").size()
    assert per_mentee.max() == 2 and (per_mentee == 2).sum() >= 5
    assert sorted(active.groupby("mentee_id")["mentor_slot"].apply(sorted).map(tuple).unique()) in (
        [(1,), (1, 2)], [(1, 2)])
    apps = pd.DataFrame(store.rows(applications, cohort_id=config.cohort))
    inp = MatchInput("traditional", config.matching.rules, pd.DataFrame(), apps)
    for mentee, covers in covers_by_mentee(inp, active).items():
        assert each_adds_a_skill(covers), (mentee, covers)
    cap = dict(zip(apps["employee_id"], pd.to_numeric(apps["capacity"], errors="coerce").fillna(1).clip(upper=3)))
    assert all(load <= cap[m] for m, load in active.groupby("mentor_id").size().items())

    # the kickoff email of a mentee with two mentors introduces both, each with why
    mentee = per_mentee[per_mentee == 2].index[0]
    mentors = list(active.loc[active["mentee_id"] == mentee, "mentor_id"])
    names = {r["employee_id"]: r["full_name"] for r in store.rows(people, cohort_id=config.cohort)}
    outbox = mf_settings.outbox_dir(config.cohort) / "kickoff" / "kickoff"
    sent = email.message_from_bytes((outbox / f"{mentee}.eml").read_bytes(), policy=email.policy.default)
    assert sent["Subject"].startswith("Meet your mentoring partners: ")
    text = sent.get_body(("plain",)).get_content()
    assert all(names[m] in sent["Subject"] and names[m] in text for m in mentors)
    assert "YOUR PARTNER 1 OF 2" in text and "YOUR PARTNER 2 OF 2" in text
    assert text.count("the mentee's mentor for ") == 2
