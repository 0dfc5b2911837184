"""The skill vocabulary: the shipped file, free text mapped to canonical skills, and what matching makes of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from mentorflow.cohorts.config import MatchingRules, Weights
from mentorflow.contract import skills
from mentorflow.contract.parsing import parse_skills
from mentorflow.errors import ImportFileError
from mentorflow.matching import MatchInput, explain, propose, scoring
from mentorflow.matching import vocabulary as matching_vocabulary
from mentorflow.matching.vocabulary import RELATED_CREDIT


@pytest.fixture(scope="module")
def vocab() -> skills.Vocabulary:
    return matching_vocabulary.current()


# -- the file ------------------------------------------------------------------------------------------


def test_the_shipped_vocabulary_has_a_few_hundred_skills_in_groups(vocab):
    assert len(vocab.skills) >= 200
    groups = vocab.groups
    assert len(groups) >= 10 and all(len(names) >= 5 for names in groups.values())
    assert {"communication", "leadership", "data and analytics", "software engineering", "product", "finance",
            "people and hr"} <= set(groups)
    assert vocab.group_of("public speaking") == "communication" and vocab.group_of("not a skill") is None
    assert sum(1 for s in vocab.skills.values() if s.synonyms) >= 200
    assert sum(1 for s in vocab.skills.values() if s.related) == len(vocab.skills)  # every skill has a neighbour


def test_no_name_or_synonym_belongs_to_two_skills(vocab):
    from mentorflow import settings as mf_settings

    data = yaml.safe_load((mf_settings.include_dir() / skills.VOCABULARY_FILE).read_text(encoding="utf-8"))
    written = [(item["name"], word) for items in data["groups"].values() for item in items
               for word in (item["name"], *item.get("synonyms", []))]
    owners: dict[str, str] = {}
    for name, word in written:
        assert owners.setdefault(skills.normalise(word), name) == name, f"{word!r} is claimed twice"
    for name, word in written:  # and every word comes back to its own skill
        assert vocab.canonical(word) == name


def test_the_fast_yaml_parser_reads_the_shipped_file_as_the_pure_python_one_does():
    from mentorflow import settings as mf_settings

    text = (mf_settings.include_dir() / skills.VOCABULARY_FILE).read_text(encoding="utf-8")
    assert yaml.load(text, Loader=skills.YAML_LOADER) == yaml.load(text, Loader=yaml.SafeLoader)


def test_relations_are_symmetric_and_point_at_skills_of_the_vocabulary(vocab):
    for skill in vocab.skills.values():
        for other in skill.related:
            assert other in vocab.skills and skill.name in vocab.related(other)
    assert "storytelling" in vocab.related("public speaking")


def test_every_skill_of_the_generator_is_a_canonical_skill(vocab):
    from mentorflow.demo.synthetic import SKILLS

    assert all(vocab.canonical(s) == s for s in SKILLS)


@pytest.mark.parametrize(("bad", "says"), [
    ({"groups": {"a": [{"name": "x", "synonyms": ["y"]}, {"name": "z", "synonyms": ["Y"]}]}}, "already names 'x'"),
    ({"groups": {"a": [{"name": "x", "related": ["nothing"]}]}}, "not a skill of the vocabulary"),
    ({"groups": {"a": [{"name": "x"}, {"name": "x"}]}}, "listed twice"),
    ({"groups": {"a": [{"name": "Public Speaking"}]}}, "lower case"),
    ({"skills": []}, "expected 'groups:'"),
])
def test_a_bad_vocabulary_stops_with_what_is_wrong(bad, says):
    with pytest.raises(ImportFileError, match=says):
        skills.parse(bad)


# -- mapping free text --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Presentation skills", "presenting", "Public Speaking", "  public   speaking ",
                                   "PRESENTATIONS", "public-speaking"])
def test_synonyms_case_spacing_punctuation_and_plurals_map_to_one_skill(vocab, typed):
    assert vocab.canonical(typed) == "public speaking"
    assert vocab.is_known(typed)


@pytest.mark.parametrize(("typed", "canonical"), [
    ("Negotiations", "negotiation"), ("negotiation skills", "negotiation"), ("Front-End Development", "frontend development"),
    ("front end", "frontend development"), ("A/B tests", "a/b testing"), ("C#", "c#"), (".NET", "c#"),
    ("Node.js", "node.js"), ("nodejs", "node.js"), ("Excel", "spreadsheets"), ("GDPR", "data privacy"),
    ("Leadership Skills", "leadership"), ("stakeholder-management", "stakeholder management"),
    ("Compensation & Benefits", "compensation and benefits"), ("OKRs", "goal setting"),
])
def test_free_text_maps_to_the_canonical_skill(vocab, typed, canonical):
    assert vocab.canonical(typed) == canonical


def test_unknown_skills_are_kept_as_their_normalised_text_and_listed(vocab):
    assert vocab.canonical("  Kubernetes   OPERATORS ") == "kubernetes operators"
    assert not vocab.is_known("Kubernetes operators")
    assert vocab.unknown(["Beekeeping", "presenting", "beekeeping ", "SQL", "Underwater  Welding"]) == [
        "beekeeping", "underwater welding"]


VOCAB = matching_vocabulary.current()
_NAMES = st.sampled_from(sorted({w for s in VOCAB.skills.values() for w in (s.name, *s.synonyms)}))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), _NAMES))
def test_mapping_is_idempotent(text):
    once = VOCAB.canonical(text)
    assert VOCAB.canonical(once) == once
    assert skills.normalise(skills.normalise(text)) == skills.normalise(text)


@settings(max_examples=200, deadline=None)
@given(_NAMES, st.lists(st.sampled_from(["upper", "title", "pad", "dash", "plural"]), max_size=3, unique=True))
def test_a_name_typed_differently_is_still_the_same_skill(word, changes):
    last = skills.normalise(word).split()[-1]
    if "plural" in changes and (len(last) < 3 or not last[-1].isalpha() or last.endswith(("s", "y", "x", "ch", "sh", "i", "u"))):
        # "analysiss" or "strategys" is not how anyone types a plural, and "-is"/"-us" endings are kept ("analysis")
        changes = [c for c in changes if c != "plural"]
    typed = word
    for change in sorted(changes, key=["upper", "title", "dash", "plural", "pad"].index):
        typed = {"upper": typed.upper(), "title": typed.title(), "pad": f"  {typed.replace(' ', '  ')} ",
                 "dash": typed.replace(" ", "-"), "plural": typed.rstrip() + "s"}[change]
    assert VOCAB.canonical(typed) == VOCAB.canonical(word)


# -- scoring ------------------------------------------------------------------------------------------


def _cohort(app_rows, kind="traditional") -> MatchInput:
    """One mentee (level 1) and mentors (level 5), everything but skills alike."""
    people = pd.DataFrame([(e, 1 if role == "mentee" else 5, None, "Eng", "Berlin", "UTC", False)
                           for e, role, *_ in app_rows],
                          columns=["employee_id", "level", "manager_id", "department", "location", "timezone", "on_pip"])
    if kind == "reverse":
        people["level"] = [5 if role == "mentee" else 1 for _, role, *_ in app_rows]
    apps = pd.DataFrame(app_rows, columns=["employee_id", "role", "skills_offered", "skills_wanted", "capacity"])
    apps["goals"], apps["motivation"], apps["avoid_partners"], apps["preferred_partners"] = "", "", "", ""
    return MatchInput(kind, MatchingRules(), people, apps)


def test_exact_and_synonym_earn_full_credit_and_a_related_skill_partial_credit():
    inp = _cohort([("ME", "mentee", "", "Public Speaking:4", None), ("SAME", "mentor", "public speaking:4", "", 1),
                   ("SYN", "mentor", "Presenting:4", "", 1), ("REL", "mentor", "storytelling:4", "", 1),
                   ("REL2", "mentor", "storytelling:2", "", 1), ("NONE", "mentor", "sql:5", "", 1)])
    pop = scoring.build_population(inp.people, inp.applications, "traditional", inp.rules)
    cover = dict(zip(pop.ids, scoring.skill_cover(pop, np.array([0]), np.arange(len(pop.ids)))[0].tolist()))
    assert cover["SAME"] == cover["SYN"] == 1.0
    assert 0 < RELATED_CREDIT < 1
    assert cover["REL"] == pytest.approx(RELATED_CREDIT)
    assert cover["REL2"] == pytest.approx(RELATED_CREDIT * 2 / 4)  # related, and only half the wanted level
    assert cover["NONE"] == 0.0
    assert "public speaking" in pop.skill_names and "presenting" not in pop.skill_names


def test_explanations_say_each_persons_own_words_and_whether_the_credit_is_related():
    inp = _cohort([("ME", "mentee", "", "public speaking:3;sql:2", None), ("SYN", "mentor", "Presenting:4;sql:3", "", 1),
                   ("REL", "mentor", "storytelling:4", "", 1), ("BOTH", "mentor", "presentation skills:5", "", 1)])
    inp.applications.loc[3, "skills_offered"] = "presentation skills:5"
    inp.applications.loc[0, "skills_wanted"] = "presenting:3;sql:2"
    pop = scoring.build_population(inp.people, inp.applications, "traditional", inp.rules)
    who = ("mentor", "mentee")
    said = {e: [text for *_, text, _ in explain._skills(pop, 0, i, who)] for i, e in enumerate(pop.ids)}
    assert said["SYN"] == ["mentor offers presenting (same as public speaking) at 4, mentee wants it at 3",
                           "mentor offers sql at 3, mentee wants it at 2"]
    assert said["REL"] == ["mentor offers storytelling at 4, related to public speaking (mentee wants it at 3)"]
    assert said["BOTH"] == ["mentor offers presentation skills at 5, mentee wants presenting at 3 (both public speaking)"]
    weights = scoring.weight_vector(Weights())
    parts = np.array([RELATED_CREDIT * 1.0, 0, 0, 0, 0, 0], dtype=np.float32)
    reasons = explain.pair_reasons(pop, 0, 2, parts, weights, "traditional")
    assert reasons[0] == "mentor offers storytelling at 4, related to public speaking (mentee wants it at 3)"
    assert "also covers" not in reasons[0]


def test_a_synonym_now_pairs_people_who_never_met_before():
    """Reverse mentoring needs the junior mentor to offer a skill the mentee wants: written as "presenting" and
    "Presentation skills" the two are the same skill, so they pair (before the vocabulary they did not)."""
    inp = _cohort([("SENIOR", "mentee", "", "Presentation skills:3", None), ("JUNIOR", "mentor", "presenting:4", "", 1)],
                  kind="reverse")
    result = propose(inp)
    assert list(zip(result.pairs["mentor_id"], result.pairs["mentee_id"])) == [("JUNIOR", "SENIOR")]
    assert result.pairs.iloc[0]["skills"] == pytest.approx(1.0)
    assert result.pairs.iloc[0]["explanation"].startswith(
        "mentor offers presenting at 4, mentee wants presentation skills at 3 (both public speaking)")


def test_a_related_skill_alone_is_not_a_skill_the_mentee_wants():
    """The hard rules ask for a wanted skill (or a synonym of it): related credit only adds to the score."""
    inp = _cohort([("SENIOR", "mentee", "", "public speaking:3", None), ("JUNIOR", "mentor", "storytelling:4", "", 1)],
                  kind="reverse")
    result = propose(inp)
    assert result.pairs.empty
    assert result.unmatched.set_index("employee_id").loc["SENIOR", "reason"] == "no eligible mentor offers public speaking"


def test_unknown_skills_still_meet_the_same_words():
    inp = _cohort([("SENIOR", "mentee", "", "Underwater Welding:3", None), ("JUNIOR", "mentor", "underwater  welding:3", "", 1)],
                  kind="reverse")
    result = propose(inp)
    assert len(result.pairs) == 1
    assert result.pairs.iloc[0]["explanation"].startswith("mentor offers underwater welding at 3, mentee wants it at 3")


# -- reports -------------------------------------------------------------------------------------------


def _applications() -> pd.DataFrame:
    rows = ([(f"A{i}", "mentee", "", "negotiating:3" if i == 0 else "Negotiation:3", "valid") for i in range(6)]
            + [(f"B{i}", "mentee", "", "sql:2;beekeeping:1", "valid") for i in range(2)]
            + [(f"C{i}", "mentee", "", "Presentation skills:3", "valid") for i in range(7)]
            + [(f"M{i}", "mentor", "presenting:4;Python:4", "", "valid") for i in range(5)]
            + [("Q0", "mentee", "", "tax:2", "quarantined"), ("M9", "mentor", "Beekeeping:4;Cobol:3", "", "valid")])
    return pd.DataFrame(rows, columns=["employee_id", "role", "skills_offered", "skills_wanted", "status"])


def test_hr_supply_and_demand_lists_the_wanted_skills_no_volunteer_offers_with_small_counts_suppressed():
    from mentorflow.reports import skill_supply
    from mentorflow.reports.disclosure import Problem, publish

    figures = skill_supply.skill_figures(_applications())
    assert [(g["skill"], g["wanted"]) for g in figures["unoffered"]] == [("negotiation", 6), ("sql", 2)]
    problem = Problem()
    problem.cell("funnel.valid", 21)
    skill_supply.cells(problem, figures)
    view = skill_supply.view(publish(problem), figures)
    assert [(u["skill"], u["group"], u["wanted"]) for u in view["unoffered"]] == [
        ("negotiation", "sales", "6"), ("sql", "data and analytics", "suppressed")]
    groups = {g["group"]: (g["wanted"], g["offered"]) for g in view["groups"]}
    assert groups["communication"] == ("7", "5")  # "presentation skills" wanted, "presenting" offered: one skill
    assert groups["sales"] == ("6", "0")
    assert groups["data and analytics"] == ("suppressed", "0")  # two people: a small group
    assert groups["software engineering"] == ("0", "5")
    # the quarantined application's "tax" and the unknown "beekeeping" are not HR's list
    assert all(u["skill"] not in ("tax", "beekeeping") for u in view["unoffered"])


def test_the_hr_report_view_carries_the_skills_section():
    from mentorflow.reports import skill_supply
    from mentorflow.reports.hr_figures import publishable

    raw = {
        "funnel": [("invited", 60), ("applied", 30), ("valid", 21)], "pairs_total": 0, "mean_match_score": None,
        "careers": None, "median_meetings": None, "score_histogram": [], "groups": {},
        "outcomes": {"all": {"n": 0, "goals_met_rate": None, "satisfaction": None, "nps": None}},
        "mentor_effectiveness": [], "health": [], "comparison": [],
        "rematch": {r: {"pairs": 0, "completed": 0, "mentee_n": 0, "mentee_goals_met_rate": None,
                        "mentee_satisfaction": None, "mentee_nps": None} for r in ("initial", "midpoint")} | {"ended": 0},
        "skills": skill_supply.skill_figures(_applications()),
    }
    view = publishable(raw)
    assert [(u["skill"], u["wanted"]) for u in view["skills"]["unoffered"]] == [("negotiation", "6"), ("sql", "suppressed")]


def test_unknown_skills_are_counted_per_application_for_ops_without_names_of_people():
    from mentorflow.reports.skill_supply import unknown_skill_uses

    uses = unknown_skill_uses(_applications())
    assert uses == [{"skill": "beekeeping", "applications": 3}, {"skill": "cobol", "applications": 1}]
    assert all(set(u) == {"skill", "applications"} for u in uses)


def test_the_match_report_shows_ops_the_unknown_skills_and_how_to_add_them():
    from types import SimpleNamespace

    from mentorflow.reports.render import environment
    from mentorflow.reports.skill_supply import unknown_skill_uses

    cohort = SimpleNamespace(name="Spring", program_type=SimpleNamespace(value="traditional"))
    audit = SimpleNamespace(flags=[], rows=[], overall_rate=0.5, overall_score=0.5)
    html = environment().get_template("matches.html").render(
        cohort=cohort, generated="now", round="initial", pairs=[], unmatched=[], histogram=[], audit=audit, min_cell=5,
        certificate="no pruning certificate was recorded for this round", affinity=None,
        unknown_skills=unknown_skill_uses(_applications()))
    section = html[html.index('<section id="unknown-skills">'):]
    assert "<td>beekeeping</td><td>3</td>" in section and "<td>cobol</td><td>1</td>" in section
    assert "include/skills/vocabulary.yaml" in section
    assert "A0" not in section and "M9" not in section  # no one's id, let alone name


def test_kickoff_suggestions_do_not_offer_a_topic_asked_for_in_other_words():
    from mentorflow.outcomes.discovery import suggest, wanted_skills

    wanted = wanted_skills("Presenting:3;negotiations:2")
    assert wanted == {"public speaking", "negotiation"}
    past = [({"negotiation"}, {"public speaking", "conflict resolution"})] * 2
    assert suggest(wanted, past) == ["conflict resolution"]
    assert suggest(set(parse_skills("Presenting:3;negotiation:2")), past) == ["conflict resolution", "public speaking"]
