"""Goal alignment against what a mentor can teach, and explanations that quote only words both people wrote
(docs/matching.md, 'Goals against what a mentor can teach')."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matching_fixtures import random_instance
from mentorflow.cohorts.config import MatchingRules, Weights
from mentorflow.contract import disclosure
from mentorflow.contract.parsing import parse_skills
from mentorflow.demo.synthetic import generate_applications, generate_roster
from mentorflow.matching import MatchInput, explain, propose, scoring
from mentorflow.matching.text import FILLER_WORDS, Analyzer, stem

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": True}
GOALS_ONLY = Weights(skills=0, goals=1, personality=0, preferences=0, availability=0, diversity=0)


# -- what each side's text is ----------------------------------------------------------------------


def _cell(frame: pd.DataFrame, who: str, column: str) -> str:
    value = frame.at[who, column] if column in frame.columns else ""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def wants_text(inp: MatchInput, who: str) -> str:
    """What a person wants to learn, as written: goals and wanted skill names."""
    apps = inp.applications.set_index("employee_id")
    return "\n".join([_cell(apps, who, "goals"), *parse_skills(_cell(apps, who, "skills_wanted"))])


def teaches_text(inp: MatchInput, who: str) -> str:
    """What a person can teach, as written: offered skill names, job title, motivation, prior experience."""
    apps, people = inp.applications.set_index("employee_id"), inp.people.set_index("employee_id")
    return "\n".join([*parse_skills(_cell(apps, who, "skills_offered")), _cell(people, who, "job_title"),
                      _cell(apps, who, "motivation"), _cell(apps, who, "prior_experience")])


def everything_written(inp: MatchInput, who: str) -> str:
    """Every answer of a person and their job title: what no quote may go beyond."""
    apps = inp.applications.set_index("employee_id")
    return "\n".join([wants_text(inp, who), teaches_text(inp, who), _cell(apps, who, "preferred_traits")])


def quoted(explanation: str) -> list[str]:
    """Every quoted phrase of every reason of a pair."""
    return [q for reason in explanation.split("; ") if "ranked this partner" not in reason
            for q in re.findall(r"'([^']+)'", reason)]


def phantom_rate(inp: MatchInput, pairs: pd.DataFrame) -> tuple[int, float, float]:
    """(quoted phrases, share that are phantoms, share that are filler words) over a proposal's explanations.

    A phantom is a quote that is not, ignoring case, in the texts of both people of the pair (everything
    each wrote, and their job title); a filler quote is made of :data:`FILLER_WORDS` only."""
    filler_stems = {stem(w) for w in FILLER_WORDS}
    total = phantoms = filler = 0
    for p in pairs.itertuples():
        a, b = everything_written(inp, p.mentor_id).lower(), everything_written(inp, p.mentee_id).lower()
        for q in quoted(p.explanation):
            total += 1
            phantoms += not (q.lower() in a and q.lower() in b)
            filler += all(stem(w) in filler_stems for w in q.lower().split())
    return total, phantoms / max(total, 1), filler / max(total, 1)


def generated(kind: str, n: int, seed: int) -> MatchInput:
    roster = generate_roster(n, seed)
    roster["on_pip"] = roster["on_pip"].eq("true")
    apps = generate_applications(roster, seed, program_type=kind)
    return MatchInput(kind, MatchingRules(group_size=4), roster, apps)


# -- the analyzer -----------------------------------------------------------------------------------


def test_phrases_never_span_a_field_a_removed_word_or_punctuation():
    analyze = Analyzer(["public speaking"])
    terms = analyze(("lead bigger projects", "Learn from someone. Public speaking, budgets; build a plan"))
    assert "project" in terms and "public speak" in terms and "budget" in terms
    # 'projects' ends one field and 'learn' starts the next; 'a' is removed; '.', ',' and ';' end phrases
    assert not [t for t in terms if t.startswith("project ") or t.endswith(" budget") or t == "build plan"]
    assert "speak budget" not in terms
    # filler words are gone, stop words too; numbers and contractions are never terms
    assert not {"want", "learn", "someon", "day", "year", "2027", "don't"} & set(
        analyze(("I want to learn, every day, this year (2027), don't I",)))


def test_a_filler_word_inside_a_skill_name_is_kept_in_the_phrase_only():
    analyze = Analyzer(["machine learning", "statistical learning"])
    assert analyze(("learn machine learning",)) == ["machin", "machin learn"]
    assert analyze(("learning",)) == [] and analyze(("statistical learning",)) == ["statistical", "statistical learn"]
    assert set(analyze.surfaces(("learn machine learning",))) == {"machin", "machin learn"}


@pytest.mark.parametrize("words", [("leadership", "leading", "leader", "leads"),
                                   ("negotiation", "negotiating", "negotiate", "negotiations"),
                                   ("presentation", "presenting", "presenter"),
                                   ("management", "managing", "manager", "manage"),
                                   ("planning", "planned", "plans"), ("strategies", "strategy")])
def test_the_stemmer_meets_inflections_of_one_word(words):
    assert len({stem(w) for w in words}) == 1


def test_the_stemmer_keeps_different_words_apart():
    assert len({stem(w) for w in ("career", "care", "engineer", "engine", "sql", "python")}) == 6


# -- what is compared -------------------------------------------------------------------------------


def _person(pid: str, level: int, title: str) -> dict:
    return {"employee_id": pid, "full_name": pid, "level": level, "manager_id": None, "department": "D",
            "location": "L", "timezone": "Europe/London", "on_pip": False, "job_title": title}


def _application(pid: str, role: str, *, goals: str = "", motivation: str = "", prior: str = "",
                 offered: str = "", wanted: str = "") -> dict:
    return {"employee_id": pid, "role": role, "goals": goals, "motivation": motivation, "prior_experience": prior,
            "skills_offered": offered, "skills_wanted": wanted, **{f"tipi_{i}": 4 for i in range(1, 11)},
            "capacity": 1 if role != "mentee" else None, "hours_per_month": 4.0, "preferred_partners": "",
            "avoid_partners": ""}


def test_goals_meet_what_the_mentor_can_teach_not_the_mentors_own_goals():
    """A mentor whose own goals repeat the mentee's, but who teaches something else, is no goals match;
    the one whose job and motivation say they can teach it is."""
    people = pd.DataFrame([_person("A", 2, "Analyst"), _person("TWIN", 5, "Sales Director"),
                           _person("TEACHER", 5, "Head of Analytics")])
    apps = pd.DataFrame([
        _application("A", "mentee", goals="Write SQL for dashboards", wanted="sql:3"),
        _application("TWIN", "mentor", goals="Write SQL for dashboards", motivation="I close enterprise deals",
                     offered="negotiation:5"),
        _application("TEACHER", "mentor", goals="Speak at a conference", offered="python:5",
                     motivation="I build SQL dashboards every week", prior="taught a SQL course"),
    ])
    pop = scoring.build_population(people, apps, "traditional", MatchingRules())
    goals = scoring.components(pop, np.array([0]), np.array([1, 2]), "similarity", symmetric=False)["goals"][0]
    assert goals[0] == 0 and goals[1] > 0.3


def test_symbiotic_goals_average_both_directions():
    people = pd.DataFrame([_person("P", 3, "Data Engineer"), _person("Q", 3, "Account Manager")])
    apps = pd.DataFrame([
        _application("P", "both", goals="negotiation with clients", offered="sql:5", wanted="negotiation:3"),
        _application("Q", "both", goals="reporting in sql", offered="negotiation:5", wanted="sql:2",
                     motivation="I negotiate with clients daily"),
    ])
    pop = scoring.build_population(people, apps, "symbiotic", MatchingRules())
    one_way = pop.goals.similarity(np.array([0]), np.array([1]), symmetric=False)[0, 0]
    other_way = pop.goals.similarity(np.array([1]), np.array([0]), symmetric=False)[0, 0]
    both = pop.goals.similarity(np.array([0]), np.array([1]), symmetric=True)[0, 0]
    assert one_way > 0 and other_way > 0 and one_way != other_way
    assert both == pytest.approx((one_way + other_way) / 2)


def test_the_kickoff_stage_recognises_the_goals_reason_it_filters_by_consent():
    assert disclosure.GOALS_REASON == explain.GOALS_REASON  # what participants read is filtered by this prefix


# -- a cohort a person can check by hand -------------------------------------------------------------


def hand_cohort() -> MatchInput:
    """Three mentors and three mentees whose goals each name what exactly one mentor can teach."""
    people = pd.DataFrame([_person("M1", 5, "Data Science Lead"), _person("M2", 5, "Head of Sales"),
                           _person("M3", 5, "Engineering Manager"), _person("A1", 2, "Analyst"),
                           _person("A2", 2, "Account Executive"), _person("A3", 2, "Senior Engineer")])
    apps = pd.DataFrame([
        _application("M1", "mentor", offered="sql:5;python:4", goals="Get better at negotiation",
                     motivation="I can help with SQL query tuning and building dashboards.", prior="ran data clinics"),
        _application("M2", "mentor", offered="negotiation:5", goals="Learn SQL",
                     motivation="Happy to share how I prepare for difficult negotiations with big clients."),
        _application("M3", "mentor", offered="people management:4;hiring:4", goals="Build dashboards",
                     motivation="I have led teams through reorganisations and can coach new managers on hiring."),
        _application("A1", "mentee", wanted="sql:3", goals="I want to learn SQL so I can build my own dashboards."),
        _application("A2", "mentee", wanted="negotiation:3", goals="Become a confident negotiator with clients."),
        _application("A3", "mentee", wanted="people management:3",
                     goals="Step up into people management: hiring and leading a team."),
    ])
    return MatchInput("traditional", MatchingRules(max_mentees_per_mentor=1), people, apps, weights=GOALS_ONLY)


def test_a_hand_checked_cohort_pairs_each_mentee_with_the_mentor_who_teaches_their_goal():
    """By hand: A1 wants SQL and dashboards, which only M1 teaches (M2 only *wants* SQL); A2 wants to
    negotiate with clients, which M2 does; A3 wants people management and hiring, M3's skills. The one
    word a mentee shares with another mentor's teachable text is A3's 'leading' with M1's job title 'Data
    Science Lead' (one stem, a little goals score); every other wrong pair scores 0 on goals. Quotes:
    'build' (A1) is not quoted, M1 wrote 'building'; 'team' (A3) is not, M3 wrote 'teams'; 'negotiation'
    is A2's skill name and M2's; 'SQL' counts twice on both sides (goal text and skill name), so it leads."""
    result = propose(hand_cohort())
    pairs = result.pairs.set_index("mentee_id")
    assert pairs["mentor_id"].to_dict() == {"A1": "M1", "A2": "M2", "A3": "M3"}
    reasons = {mentee: [r for r in text.split("; ") if r.startswith(explain.GOALS_REASON)]
               for mentee, text in pairs["explanation"].items()}
    assert reasons == {
        "A1": ["goals meet what the mentor can teach: 'SQL' and 'dashboards'"],
        "A2": ["goals meet what the mentor can teach: 'negotiation' and 'clients'"],
        "A3": ["goals meet what the mentor can teach: 'hiring' and 'people management'"],
    }
    pop = scoring.build_population(hand_cohort().people, hand_cohort().applications, "traditional", MatchingRules())
    goals = pop.goals.similarity(np.array([3, 4, 5]), np.array([0, 1, 2]), symmetric=False)
    wrong = ~np.eye(3, dtype=bool)
    wrong[2, 0] = False
    assert (np.diag(goals) > 0.2).all() and goals[wrong].max() == 0 and 0 < goals[2, 0] < goals[2, 2] / 5


# -- every quote is in both people's texts --------------------------------------------------------

WORDS = ["SQL", "sql", "dashboards", "dashboard", "leading", "Leadership", "leader", "lead", "public", "speaking",
         "Public Speaking", "machine", "learning", "negotiation", "negotiating", "budgeting", "Python", "python",
         "projects", "project", "team", "teams", "team's", "want", "learn", "year", "day", "help", "improve", "a",
         "the", "build", "building", "plan", "planning", "clients", "C++", "go-to", "don't", "data", "analysis",
         "2027", "I", "my", "mentoring", "Mentor", "coach", "coaching", "stakeholder", "management"]
SEPARATORS = [" ", " ", " ", "  ", ". ", ", ", "; ", "!\n", " (", ") ", " - ", "/", ":"]
texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=10).map(
    lambda parts: "".join(w + s for w, s in parts).strip())


@settings(max_examples=25, **SETTINGS)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 30),
       kind=st.sampled_from(["traditional", "reverse", "symbiotic", "group"]), data=st.data())
def test_every_quoted_phrase_is_written_in_both_peoples_texts(seed, n, kind, data):
    inp = random_instance(seed, n, kind, rules=MatchingRules(group_size=3), relations=False, pip=False)
    inp.weights = Weights(goals=2.0)
    for column in ("goals", "motivation", "prior_experience"):
        inp.applications[column] = [data.draw(texts, label=f"{column} {i}") for i in range(n)]
    inp.people["job_title"] = [data.draw(texts, label=f"job_title {i}") for i in range(n)]
    result = propose(inp)
    for p in result.pairs.itertuples():
        directions = [(p.mentee_id, p.mentor_id)] + ([(p.mentor_id, p.mentee_id)] if kind == "symbiotic" else [])
        for phrase in quoted(p.explanation):
            assert any(phrase.lower() in wants_text(inp, wanter).lower()
                       and phrase.lower() in teaches_text(inp, teacher).lower() for wanter, teacher in directions), (
                phrase, p.explanation)


@pytest.mark.parametrize("kind", ["traditional", "reverse", "group", "symbiotic"])
def test_generated_cohorts_quote_no_phantom_and_no_filler(kind):
    quotes = phantoms = filler = 0.0
    for seed in (1, 2):
        total, phantom_share, filler_share = phantom_rate(inp := generated(kind, 80 if kind == "symbiotic" else 200,
                                                                          seed), propose(inp).pairs)
        quotes, phantoms, filler = quotes + total, phantoms + phantom_share * total, filler + filler_share * total
    assert quotes >= 10  # the goals reason is said, with quotes
    assert phantoms == 0 and filler == 0


# -- the weighting without scikit-learn ------------------------------------------------------------


def test_tfidf_weights_and_stop_words_are_scikit_learns():
    """matching.text computes TfidfVectorizer(sublinear_tf=True)'s weights itself (importing scikit-learn costs
    seconds per process): same vocabulary, same weights, same stop words, on a synthetic round's documents."""
    sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
    from mentorflow.matching import text
    from mentorflow.matching.tfidf import tfidf
    from mentorflow.matching.stop_words import ENGLISH_STOP_WORDS

    assert ENGLISH_STOP_WORDS == sklearn_text.ENGLISH_STOP_WORDS
    roster = generate_roster(300, seed=4)
    apps = generate_applications(roster, seed=4)
    titles = roster.set_index("employee_id").loc[apps["employee_id"], "job_title"].tolist()
    wanted = [list(parse_skills(t)) for t in apps["skills_wanted"].fillna("")]
    offered = [list(parse_skills(t)) for t in apps["skills_offered"].fillna("")]
    goals = text.goal_texts(apps["goals"].fillna("").tolist(), wanted, offered, titles, apps["motivation"].tolist(),
                            apps["prior_experience"].tolist(), np.array([bool(w) for w in wanted]),
                            np.array([bool(o) for o in offered]))
    docs = goals.wants_fields + goals.teaches_fields
    reference = sklearn_text.TfidfVectorizer(analyzer=goals.analyzer, sublinear_tf=True)
    expected = reference.fit_transform(docs).astype(np.float32).tocsr()
    mine, features = tfidf([goals.analyzer(d) for d in docs])
    assert list(features) == list(reference.get_feature_names_out())
    assert (mine != expected).nnz == 0 or np.abs((mine - expected).toarray()).max() < 1e-7
    assert np.array_equal(mine.indptr, expected.indptr) and np.array_equal(mine.indices, expected.indices)
    assert tfidf([[], []])[1].size == 0  # no word anywhere: an empty vocabulary, as before (no error)
