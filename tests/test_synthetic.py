import pandas as pd
import pytest
from mentorflow.contract.columns import MENTOR_ROLES
from mentorflow.contract.parsing import parse_skills
from mentorflow.demo.synthetic import (
    APPLICATION_COLUMNS,
    ROSTER_COLUMNS,
    generate_applications,
    generate_roster,
    write_population,
)
from mentorflow.quality.reader import read_csv
from mentorflow.roster.eligibility import management_cycles


def test_same_seed_same_people_other_seed_other_people():
    assert generate_roster(60, seed=5).equals(generate_roster(60, seed=5))
    assert not generate_roster(60, seed=5)["full_name"].equals(generate_roster(60, seed=6)["full_name"])


@pytest.mark.parametrize("size", [50, 2_000])
def test_roster_follows_the_data_contract(size):
    roster = generate_roster(size, seed=1)
    assert list(roster.columns) == ROSTER_COLUMNS
    assert len(roster) == size
    assert roster["employee_id"].is_unique and roster["email"].str.lower().is_unique
    tops = roster[roster["manager_id"] == ""]
    assert len(tops) == 1  # a single-rooted tree
    level = dict(zip(roster["employee_id"], roster["level"]))
    assert all(level[m] > level[e] for e, m in zip(roster["employee_id"], roster["manager_id"]) if m)
    assert management_cycles(roster.replace({"": None})) == []
    assert roster["department"].nunique() >= 5 and roster["timezone"].nunique() >= 5


def test_a_few_people_are_on_a_pip_and_some_answers_are_incomplete():
    roster = generate_roster(3_000, seed=2)
    assert 0 < (roster["on_pip"] == "true").sum() < 0.05 * len(roster)
    apps = generate_applications(roster, seed=2)
    assert list(apps.columns) == APPLICATION_COLUMNS
    blank_goals = (apps["goals"] == "").sum()
    assert 0 < blank_goals < 0.1 * len(apps)
    assert set(apps["role"]) == {"mentor", "mentee", "both"}
    mentors = apps[apps["role"] == "mentor"]
    offered = mentors["skills_offered"].map(parse_skills)
    assert all(1 <= lvl <= 5 for skills in offered for lvl in skills.values())


def test_program_types_shape_the_roles():
    roster = generate_roster(400, seed=3)
    assert set(generate_applications(roster, 3, program_type="symbiotic")["role"]) == {"both"}
    reverse = generate_applications(roster, 3, program_type="reverse").merge(roster[["employee_id", "level"]])
    assert reverse.loc[reverse["role"] == "mentor", "level"].max() <= 2


@pytest.mark.slow
def test_one_hundred_thousand_people_round_trip_through_the_importer(tmp_path):
    roster_path, apps_path = write_population(tmp_path, 100_000, seed=4)
    roster, header = read_csv(roster_path)
    assert header == ROSTER_COLUMNS and len(roster) == 100_000
    assert not roster["_bad_encoding"].any() and roster["_shape"].isna().all()
    apps, app_header = read_csv(apps_path)
    assert app_header == APPLICATION_COLUMNS and len(apps) == len(pd.read_csv(apps_path))


def test_skills_are_written_as_people_write_them_never_one_skill_twice():
    """Most skills by their canonical name, some as synonyms or related skills of the vocabulary, a few unknown to
    it (drawn from a stream of their own, so the rest of the draw is what it was), never one skill twice in a list."""
    from mentorflow.demo.synthetic import SKILLS, UNKNOWN_SKILLS
    from mentorflow.matching.vocabulary import current

    vocab = current()
    apps = generate_applications(generate_roster(2_000, seed=8), seed=8)
    written = [name for column in ("skills_wanted", "skills_offered") for text in apps[column]
               for name in parse_skills(text)]
    canonical = [vocab.canonical(name) for name in written]
    assert sum(name in SKILLS for name in written) > 0.6 * len(written)
    synonyms = {name for name in written if vocab.is_known(name) and name not in vocab.skills}
    related = {c for c in canonical if c in vocab.skills and c not in SKILLS}
    unknown = set(vocab.unknown(written))
    assert len(synonyms) >= 20 and len(related) >= 20
    assert unknown and unknown <= set(UNKNOWN_SKILLS)
    for text in [*apps["skills_offered"], *apps["skills_wanted"]]:  # never one skill twice in a list, however written
        names = [vocab.canonical(n) for n in parse_skills(text)]
        assert len(names) == len(set(names))
    for text in apps["skills_offered"]:  # the mentors' levels stay in the top three, however a skill is written
        assert all(3 <= level <= 5 for level in parse_skills(text).values())


@pytest.mark.parametrize("seed", [3, 11])
def test_mentors_offer_circles_and_written_budgets_and_most_agree_to_group_contact_in_realistic_shares(seed):
    """About a quarter of mentors lead a circle, about 30% answer 2-8 written questions a month, about 80% of
    applicants agree to share their contact in a group; mentees offer neither; the same seed, the same answers."""
    roster = generate_roster(2000, seed)
    apps = generate_applications(roster, seed)
    mentors = apps[apps["role"].isin(MENTOR_ROLES)]
    mentees = apps[~apps["role"].isin(MENTOR_ROLES)]
    assert len(mentors) > 200 and len(mentees) > 200
    assert 0.20 <= (mentors["circle_volunteer"] == "yes").mean() <= 0.30
    budgets = pd.to_numeric(mentors["async_budget"].replace("", None))
    assert 0.25 <= budgets.notna().mean() <= 0.35
    assert budgets.dropna().between(2, 8).all() and set(budgets.dropna()) == set(range(2, 9))
    assert 0.75 <= (apps["group_consent"] == "yes").mean() <= 0.85
    assert set(mentees["circle_volunteer"]) == {""} and set(mentees["async_budget"]) == {""}
    again = generate_applications(generate_roster(2000, seed), seed)
    columns = ["circle_volunteer", "async_budget", "group_consent"]
    assert again[columns].equals(apps[columns])
