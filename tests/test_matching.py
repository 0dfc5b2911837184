"""The matching engine: hard rules on random instances, optimality against the Hungarian method,
the pruning tolerance, explanations, fairness options and audit, committee answers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_fixtures import random_instance
from mentorflow.cohorts.config import MatchingRules
from mentorflow.contract.parsing import parse_ids, parse_skills
from mentorflow.matching import COMPONENTS, MatchInput, committee, fairness, personality, propose, scoring
from mentorflow.matching.certificate import certify
from mentorflow.matching.solver import candidates_from_matrix, solve
from mentorflow.roster.eligibility import reporting_chain
from scipy.optimize import linear_sum_assignment

PRUNING_TOLERANCE = 0.004  # top-k pruning (k = 15) loses at most 0.4% of the optimum's total score (docs/matching.md)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def assert_hard_rules(inp: MatchInput, pairs: pd.DataFrame) -> None:
    people = inp.people.set_index("employee_id")
    apps = inp.applications.set_index("employee_id")
    chains = reporting_chain(inp.people)
    kind = inp.program_type
    for p in pairs.itertuples():
        a, b = p.mentor_id, p.mentee_id
        assert a != b
        assert not people.at[a, "on_pip"] and not people.at[b, "on_pip"]
        assert a not in chains[b] and b not in chains[a], "reporting line"
        assert (a, b) not in inp.previous_pairs and (b, a) not in inp.previous_pairs, "former pair"
        assert (a, b) not in inp.forbidden_pairs and (b, a) not in inp.forbidden_pairs, "committee forbid"
        assert b not in parse_ids(apps.at[a, "avoid_partners"]) and a not in parse_ids(apps.at[b, "avoid_partners"])
        gap = people.at[a, "level"] - people.at[b, "level"]
        offered, wanted = parse_skills(apps.at[a, "skills_offered"]), parse_skills(apps.at[b, "skills_wanted"])
        if kind in ("traditional", "group"):
            assert apps.at[a, "role"] in ("mentor", "both") and apps.at[b, "role"] in ("mentee", "both")
            assert gap >= inp.rules.min_level_gap
        elif kind == "reverse":
            assert gap < 0 and set(offered) & set(wanted), "reverse: junior mentor holding a wanted skill"
        else:
            back_offered, back_wanted = parse_skills(apps.at[b, "skills_offered"]), parse_skills(apps.at[a, "skills_wanted"])
            assert set(offered) & set(wanted) and set(back_offered) & set(back_wanted), "symbiotic: each teaches"
        assert p.score > inp.rules.min_score
    if kind == "symbiotic":
        everyone = list(pairs["mentor_id"]) + list(pairs["mentee_id"])
        assert len(everyone) == len(set(everyone)), "symbiotic: each person in at most one pair"
    else:
        assert pairs["mentee_id"].is_unique
        cap = inp.rules.group_size if kind == "group" else inp.rules.max_mentees_per_mentor
        capacity = {e: min(int(c), cap) for e, c in zip(inp.applications["employee_id"], inp.applications["capacity"])}
        for mentor, load in pairs.groupby("mentor_id").size().items():
            assert load <= capacity[mentor]


@settings(max_examples=30, **SETTINGS)
@given(seed=st.integers(0, 10_000), n=st.integers(6, 40),
       kind=st.sampled_from(["traditional", "reverse", "symbiotic", "group"]),
       fair=st.sampled_from(["none", "cover", "maxmin"]), top_k=st.sampled_from([2, 15]))
def test_every_hard_rule_holds_on_random_instances(seed, n, kind, fair, top_k):
    inp = random_instance(seed, n, kind, rules=MatchingRules(fairness=fair, top_k=top_k, group_size=3))
    result = propose(inp)
    assert_hard_rules(inp, result.pairs)
    # nobody is both placed and reported unplaced in the same role ('both' applicants have two roles)
    placed = {(p, "mentor") for p in result.pairs["mentor_id"]} | {(p, "mentee") for p in result.pairs["mentee_id"]}
    placed |= {(p, "partner") for p in set(result.pairs["mentor_id"]) | set(result.pairs["mentee_id"])}
    assert placed.isdisjoint(zip(result.unmatched["employee_id"], result.unmatched["role"]))
    # and every mentee-side applicant is either placed as a mentee or told why not
    mentees = set(inp.applications.loc[inp.applications["role"].isin(["mentee", "both"]), "employee_id"])
    if kind != "symbiotic":
        told = set(result.unmatched.loc[result.unmatched["role"] == "mentee", "employee_id"])
        assert mentees <= set(result.pairs["mentee_id"]) | told | {e for _, e in inp.fixed_pairs}
    assert result.unmatched["reason"].str.len().gt(0).all()


@settings(max_examples=25, **SETTINGS)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 25), cols=st.integers(1, 12))
def test_solver_objective_equals_the_hungarian_optimum_of_the_capacity_expanded_matrix(seed, rows, cols):
    rng = np.random.default_rng(seed)
    score = rng.random((rows, cols))
    capacity = rng.integers(1, 4, cols)
    solution = solve(candidates_from_matrix(score, capacity))
    expanded = np.repeat(score, capacity, axis=1)
    r, c = linear_sum_assignment(expanded, maximize=True)
    assert solution.objective == pytest.approx(expanded[r, c].sum(), abs=1e-7)
    chosen = candidates_from_matrix(score, capacity)
    assert (np.bincount(chosen.cols[solution.chosen], minlength=cols) <= capacity).all()
    assert np.bincount(chosen.rows[solution.chosen], minlength=rows).max() <= 1


def _full_matrix(inp: MatchInput) -> tuple[np.ndarray, np.ndarray]:
    pop = scoring.build_population(inp.people, inp.applications, inp.program_type, inp.rules)
    avoid = {e: parse_ids(a) for e, a in zip(inp.applications["employee_id"], inp.applications["avoid_partners"])}
    relations = scoring.relation_pairs(pop, avoid, inp.people, forbid_reporting_line=True,
                                       previous=inp.previous_pairs, forbidden=inp.forbidden_pairs)
    rows, cols = np.flatnonzero(pop.is_mentee), np.flatnonzero(pop.is_mentor)
    blocks = list(scoring.scored_blocks(pop, relations, rows, cols, program_type=inp.program_type, rules=inp.rules,
                                        weights=inp.weights or scoring_weights()))
    return np.vstack([b.total for b in blocks]), pop.capacity[cols]


def scoring_weights():
    from mentorflow.cohorts.config import Weights

    return Weights()


def _optimum(matrix: np.ndarray, capacity: np.ndarray) -> float:
    twin = np.repeat(np.where(np.isfinite(matrix), matrix, 0.0), capacity, axis=1)
    r, c = linear_sum_assignment(twin, maximize=True)
    return float(twin[r, c].sum())


@settings(max_examples=10, **SETTINGS)
@given(seed=st.integers(0, 10_000), n=st.integers(10, 60))
def test_engine_without_pruning_reaches_the_optimum_of_the_unconstrained_twin(seed, n):
    inp = random_instance(seed, n, "traditional", rules=MatchingRules(top_k=500, min_level_gap=0), relations=False,
                          pip=False)
    result = propose(inp)
    matrix, capacity = _full_matrix(inp)
    assert result.stats["objective"] == pytest.approx(_optimum(matrix, capacity), abs=1e-3)


@pytest.mark.slow
def test_top_k_pruning_loses_at_most_the_stated_tolerance_and_the_dual_bound_covers_the_loss():
    from mentorflow.demo.synthetic import generate_applications, generate_roster

    roster = generate_roster(1500, 21)
    roster["on_pip"] = roster["on_pip"].eq("true")
    apps = generate_applications(roster, 21).replace("", None)
    # the stated k (unset, a plain round takes 30)
    inp = MatchInput("traditional", MatchingRules(top_k=15), roster, apps)
    result = propose(inp, certify=True)
    matrix, capacity = _full_matrix(inp)
    optimum = _optimum(matrix, capacity)
    assert result.stats["objective"] >= (1 - PRUNING_TOLERANCE) * optimum
    assert result.stats["certificate"]["upper_bound"] >= optimum - 1e-4


@settings(max_examples=20, **SETTINGS)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4))
def test_dual_gap_bound_is_an_upper_bound_on_what_pruning_lost(seed, k):
    rng = np.random.default_rng(seed)
    score = rng.random((30, 12))
    forbidden = rng.random(score.shape) < 0.2
    capacity = rng.integers(1, 3, 12)
    problem = candidates_from_matrix(score, capacity, forbidden=forbidden, k=k)
    solution = solve(problem)
    masked = np.where(forbidden, -np.inf, score)
    chosen = np.flatnonzero(solution.chosen)
    cert = certify(problem, (problem.rows[chosen], problem.cols[chosen], problem.score[chosen], np.zeros(len(chosen), bool)),
                   fairness="none", blocks=lambda: [(0, masked)])
    assert _optimum(masked, capacity) - solution.objective <= cert.lost_at_most + 1e-6


def test_explanations_name_real_score_components():
    inp = random_instance(5, 60, "traditional", relations=False)
    result = propose(inp)
    apps = inp.applications.set_index("employee_id")
    people = inp.people.set_index("employee_id")
    assert len(result.pairs) > 5
    seen = set()
    for p in result.pairs.itertuples():
        for reason in p.explanation.split("; "):
            if m := re.fullmatch(r"mentor offers (.+) at (\d), mentee wants it at (\d)( \(also covers .+\))?", reason):
                skill, have, want = m.group(1), int(m.group(2)), int(m.group(3))
                assert parse_skills(apps.at[p.mentor_id, "skills_offered"])[skill] == have
                assert parse_skills(apps.at[p.mentee_id, "skills_wanted"])[skill] == want
                assert p.skills > 0
                seen.add("skills")
            elif m := re.fullmatch(r"goals meet what the mentor can teach: (.+)", reason):
                # quoted as written in the mentee's goals or wanted skills and in the mentor's teachable text
                mentee_text = f"{apps.at[p.mentee_id, 'goals']} {apps.at[p.mentee_id, 'skills_wanted']}".lower()
                mentor_text = " ".join([apps.at[p.mentor_id, "skills_offered"], apps.at[p.mentor_id, "motivation"],
                                        people.at[p.mentor_id, "job_title"]]).lower()
                for term in re.findall(r"'([^']+)'", m.group(1)):
                    assert term.lower() in mentee_text and term.lower() in mentor_text
                assert p.goals > 0
                seen.add("goals")
            elif reason.startswith("same timezone"):
                assert _offset(people.at[p.mentor_id, "timezone"]) == _offset(people.at[p.mentee_id, "timezone"])
                seen.add("availability")
            elif reason.startswith("working hours overlap"):
                assert p.availability > 0
                seen.add("availability")
            elif reason.startswith("different "):
                assert people.at[p.mentor_id, "department"] != people.at[p.mentee_id, "department"] or (
                    people.at[p.mentor_id, "location"] != people.at[p.mentee_id, "location"])
                assert p.diversity > 0
                seen.add("diversity")
            elif reason.startswith(("similar personalities", "complementary personalities", "personalities fit",
                                    "the mentee asked", "the mentor asked", "each asked", "an experienced",
                                    "a mentor with")):
                assert p.personality > 0  # the words against the answers: tests/test_personality.py
                seen.add("personality")
            elif m := re.fullmatch(r"(mentee|mentor) ranked this partner as choice #(\d+)", reason):
                chooser, chosen = (p.mentee_id, p.mentor_id) if m.group(1) == "mentee" else (p.mentor_id, p.mentee_id)
                assert parse_ids(apps.at[chooser, "preferred_partners"]).index(chosen) + 1 == int(m.group(2))
                seen.add("preferences")
            else:
                pytest.fail(f"reason names no score component: {reason!r}")
    assert {"skills", "personality"} <= seen


def _offset(zone: str):
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime.now(dt.timezone.utc).astimezone(ZoneInfo(zone)).utcoffset()


def _tiny(people_rows, app_rows, kind="traditional", **kw) -> MatchInput:
    people = pd.DataFrame(people_rows, columns=["employee_id", "level", "manager_id", "department", "location",
                                                "timezone", "on_pip"])
    apps = pd.DataFrame(app_rows, columns=["employee_id", "role", "skills_offered", "skills_wanted", "capacity"])
    apps["goals"], apps["motivation"], apps["avoid_partners"], apps["preferred_partners"] = "", "", "", ""
    return MatchInput(kind, MatchingRules(), people, apps, **kw)


def test_unmatched_people_get_the_binding_reason():
    people = [("M1", 5, None, "Eng", "Berlin", "UTC", False), ("A", 1, "M1", "Eng", "Berlin", "UTC", False),
              ("B", 5, None, "Eng", "Berlin", "UTC", False), ("C", 1, None, "Eng", "Berlin", "UTC", False),
              ("D", 1, None, "Eng", "Berlin", "UTC", False)]
    apps = [("M1", "mentor", "sql:5", "", 1), ("A", "mentee", "", "sql:3", None), ("B", "mentee", "", "sql:3", None),
            ("C", "mentee", "", "sql:3", None), ("D", "mentee", "", "sql:2", None)]
    result = propose(_tiny(people, apps))
    reasons = dict(zip(result.unmatched["employee_id"], result.unmatched["reason"]))
    assert len(result.pairs) == 1 and result.pairs.iloc[0]["mentor_id"] == "M1"
    assert "reporting line" in reasons["A"]  # M1 is A's manager: the only mentor is excluded
    assert reasons["B"] == "no eligible mentor is at least 1 level(s) more senior"
    loser = ({"C", "D"} - set(result.pairs["mentee_id"])).pop()
    assert reasons[loser].startswith("capacity exhausted")

    reverse_people = [("J", 1, None, "Eng", "Berlin", "UTC", False), ("S", 5, None, "Eng", "Berlin", "UTC", False)]
    reverse_apps = [("J", "mentor", "python:4", "", 1), ("S", "mentee", "", "negotiation:3", None)]
    result = propose(_tiny(reverse_people, reverse_apps, "reverse"))
    assert result.pairs.empty
    assert dict(zip(result.unmatched["employee_id"], result.unmatched["reason"]))["S"] == \
        "no eligible mentor offers negotiation"


def test_committee_locks_are_honoured_and_forbids_and_broken_locks_are_not():
    inp = random_instance(11, 40, "traditional", relations=False, pip=False)
    first = propose(inp)
    pair = first.pairs.iloc[0]
    people = inp.people.set_index("employee_id")
    mentors = [e for e, r in zip(inp.applications["employee_id"], inp.applications["role"]) if r == "mentor"]
    mentees = [e for e, r in zip(inp.applications["employee_id"], inp.applications["role"]) if r == "mentee"]
    unusual = next((m, e) for m in mentors for e in mentees
                   if people.at[m, "level"] > people.at[e, "level"]
                   and not ((first.pairs["mentor_id"] == m) & (first.pairs["mentee_id"] == e)).any())
    both = [e for e, r in zip(inp.applications["employee_id"], inp.applications["role"]) if r == "both"]
    junior = (both[0], both[1])  # same level: breaks the traditional level rule
    inp.forbidden_pairs = {(pair.mentor_id, pair.mentee_id)}
    inp.locked_pairs = [unusual, junior]
    second = propose(inp)
    made = set(zip(second.pairs["mentor_id"], second.pairs["mentee_id"]))
    assert unusual in made
    assert (pair.mentor_id, pair.mentee_id) not in made
    assert junior not in made
    assert second.notes == [f"lock {junior[0]}:{junior[1]} not applied: it breaks the level rule"]
    row = second.pairs[(second.pairs["mentor_id"] == unusual[0]) & (second.pairs["mentee_id"] == unusual[1])].iloc[0]
    assert row["explanation"].startswith("locked by the matching committee")


def test_maxmin_raises_the_lowest_score_without_matching_fewer():
    # the best total (1.0 + 0.02) leaves one mentee with 0.02; 0.4 + 0.45 lifts the lowest to 0.4
    problem = candidates_from_matrix(np.array([[1.0, 0.4], [0.45, 0.02]]), np.array([1, 1]))
    plain, fair = solve(problem), solve(problem, fairness="maxmin")
    assert problem.score[plain.chosen].min() == pytest.approx(0.02)
    assert problem.score[fair.chosen].min() == pytest.approx(0.4)
    assert fair.chosen.sum() == plain.chosen.sum() == 2


def test_cover_matches_more_mentees_than_the_plain_score_maximum():
    # one mentee can take mentor 0 or 1; the other only mentor 0, at a low score
    score = np.array([[0.9, 0.2], [0.3, 0.0]])
    problem = candidates_from_matrix(score, np.array([1, 1]))
    plain, cover = solve(problem), solve(problem, fairness="cover")
    assert plain.chosen.sum() == 1 and cover.chosen.sum() == 2


def test_fairness_audit_suppresses_small_groups_and_flags_disparities():
    ids = [f"E{i}" for i in range(23)]
    departments = ["A"] * 10 + ["B"] * 10 + ["C"] * 3
    people = pd.DataFrame({"employee_id": ids, "department": departments, "level": 2, "location": "X"})
    matched = ids[:10] + ids[10:12] + ids[20:21]
    pairs = pd.DataFrame({"mentor_id": [f"M{i}" for i in range(len(matched))], "mentee_id": matched,
                          "score": 0.6})
    audit = fairness.audit(people, ids, pairs)
    rows = {(r.grouping, r.group): r for r in audit.rows}
    assert rows[("department", "C")].people == "<5" and rows[("department", "C")].match_rate == "suppressed"
    assert rows[("department", "B")].match_rate == "20%" and "match rate 20%" in rows[("department", "B")].flag
    assert rows[("department", "A")].match_rate == "100%"
    assert any(f.startswith("department B:") for f in audit.flags)
    assert not any("department C" in f for f in audit.flags)


def test_demographics_are_audited_only_for_people_who_consented():
    ids = [f"E{i}" for i in range(12)]
    people = pd.DataFrame({"employee_id": ids, "department": "A", "level": 1, "location": "X",
                           "gender": ["f"] * 6 + ["m"] * 6, "demographics_consent": [True] * 6 + [False] * 6})
    audit = fairness.audit(people, ids, pd.DataFrame({"mentor_id": ["M"], "mentee_id": ["E0"], "score": [0.5]}))
    genders = [r for r in audit.rows if r.grouping == "gender"]
    assert [(r.group, r.people) for r in genders] == [("f", "6")]


def test_committee_answer_parsing():
    assert committee.decision(None) == committee.APPROVE  # marked success without a response
    assert committee.decision({"chosen_options": ["Re-solve"], "params_input": {}}) == committee.RESOLVE
    with pytest.raises(ValueError, match="'Maybe' is not one of"):
        committee.decision({"chosen_options": ["Maybe"]})
    locks, forbids, problems = committee.requested_changes(
        {"chosen_options": ["Re-solve"], "params_input": {"locks": "E1:E2; E3E4 ;E5:E6", "forbids": " E7 : E8 "}})
    assert locks == [("E1", "E2"), ("E5", "E6")] and forbids == [("E7", "E8")]
    assert problems == ["locks, item 2 'E3E4': expected mentor_id:mentee_id"]


def test_components_are_bounded_and_weights_normalised():
    inp = random_instance(3, 30, "symbiotic", relations=False)
    pop = scoring.build_population(inp.people, inp.applications, "symbiotic", inp.rules)
    everyone = np.arange(len(pop.ids))
    parts = scoring.components(pop, everyone, everyone, "similarity", True)
    for name in COMPONENTS:
        assert parts[name].min() >= -1e-6 and parts[name].max() <= 1 + 1e-6, name
    np.testing.assert_allclose(parts["skills"], parts["skills"].T, atol=1e-6)  # symbiotic: both directions
    complement = scoring.components(pop, everyone, everyone, "complement", True)["personality"]
    # only the calibrated trait fit turns around; the asked-for traits and experience stay as they are
    fit = personality.trait_fit(pop.traits, everyone, everyone, ("similar",) * 5)
    np.testing.assert_allclose(personality.trait_fit(pop.traits, everyone, everyone, ("complement",) * 5), 1 - fit,
                               atol=1e-5)
    np.testing.assert_allclose(complement - parts["personality"], personality.FIT_SHARE * (1 - 2 * fit), atol=1e-5)


def test_the_reason_given_for_someone_on_a_pip_never_says_why():
    """Whoever reads an unmatched list (the committee, the what-if's unmatched.csv) learns only that the
    person is not eligible: a performance-improvement plan is confidential (confidentiality issue, item 2)."""
    from matching_fixtures import random_instance
    from mentorflow.matching import propose

    inp = random_instance(3, 60)
    on_pip = set(inp.people.loc[inp.people["on_pip"], "employee_id"])
    result = propose(inp)
    reasons = dict(zip(result.unmatched["employee_id"], result.unmatched["reason"]))
    assert on_pip and on_pip <= set(reasons)
    assert "not eligible under the cohort's eligibility rules" in {reasons[p] for p in on_pip}
    assert not any("performance" in r or "PIP" in r for r in reasons.values())


@pytest.mark.parametrize("seed", [0, 1])
def test_availability_looked_up_per_answer_is_the_formula_pair_by_pair(seed):
    """Availability depends on hours and UTC offset only: the lookup table of distinct answers gives the very
    floats the formula gives over the block (missing hours included), and so does the fallback without a table."""
    inp = random_instance(seed, 120)
    inp.applications.loc[inp.applications.index[::7], "hours_per_month"] = None
    pop = scoring.build_population(inp.people, inp.applications, inp.program_type, inp.rules)
    assert np.isnan(pop.hours).any() and pop.availability_table is not None
    assert len(pop.availability_table.table) < len(pop.ids)  # people share answers: a real lookup
    everyone = np.arange(len(pop.ids))
    r, c = everyone[::2], everyone[1::3]
    formula = scoring.availability(pop.hours[r][:, None], pop.hours[c][None, :], pop.tz_offset[r][:, None],
                                   pop.tz_offset[c][None, :])
    looked_up = scoring.components(pop, r, c, None, False)["availability"]
    assert looked_up.dtype == formula.dtype == np.float32 and looked_up.tobytes() == formula.tobytes()
    pop.__dict__["availability_table"] = None  # as with more distinct answers than a table holds
    assert scoring.components(pop, r, c, None, False)["availability"].tobytes() == formula.tobytes()
