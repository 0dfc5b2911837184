from conftest import run_of
from mentorflow.outcomes.discovery import MIN_REPORTS, described, resources, suggest

PAST = [
    ({"negotiation"}, {"negotiation", "conflict resolution"}),
    ({"negotiation", "sql"}, {"conflict resolution", "sql"}),
    ({"negotiation"}, {"public speaking"}),
    ({"python"}, {"python", "sql", "data analysis"}),
    ({"python"}, {"data analysis"}),
]


def test_suggests_what_similar_mentees_found_valuable_but_this_one_did_not_ask_for():
    assert suggest({"negotiation"}, PAST) == ["conflict resolution"]
    assert suggest({"python"}, PAST) == ["data analysis"]


def test_topics_already_wanted_and_topics_from_a_single_person_are_not_suggested():
    # 'sql' was reported by two mentees, but only one of them shares a want with this mentee
    assert suggest({"negotiation", "conflict resolution"}, PAST) == []
    assert "public speaking" not in suggest({"negotiation"}, PAST)  # reported once: below MIN_REPORTS
    assert MIN_REPORTS >= 2


def test_no_overlap_no_suggestion():
    assert suggest({"budgeting"}, PAST) == []


def test_every_catalogue_skill_has_a_starting_point():
    from mentorflow.demo.synthetic import SKILLS

    assert set(SKILLS) <= set(resources())
    assert described(["negotiation", "unknown topic"])[0].startswith("negotiation: ")
    assert described(["unknown topic"]) == []


def test_free_text_of_past_participants_is_never_suggested_to_others():
    """Two past mentees wrote the same words into their evaluation: the words are not a topic of the
    vocabulary, so they reach nobody's email; a vocabulary topic reported as often still does."""
    from mentorflow.outcomes.discovery import topics

    lure = "visit http://evil.example/login for your bonus"
    past = [({"negotiation"}, topics(f"{lure};conflict resolution")),
            ({"negotiation"}, topics(f"{lure};Conflict Resolution"))]
    assert suggest({"negotiation"}, past) == ["conflict resolution"]
    raw = [({"negotiation"}, {lure, "conflict resolution"})] * 2  # even if a caller skips topics()
    assert suggest({"negotiation"}, raw) == ["conflict resolution"]
    assert described([lure]) == []


def test_kickoff_of_the_next_cohort_carries_what_the_last_one_learned(cohorts_dir):
    """Two cohorts through the pipeline functions: the second cohort's mentees are told about topics
    the first cohort's similar mentees found valuable, and only topics they did not ask for."""
    import datetime as dt
    import email
    import email.policy

    from conftest import ready_store, write_cohort
    from mentorflow import settings
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.contract.parsing import parse_skills
    from mentorflow.demo import simulate
    from mentorflow.demo.synthetic import write_population
    from mentorflow.stages import closeout, intake, kickoff, match, validate
    from mentorflow.stages import open as open_stage
    from mentorflow.store import applications, matches

    write_population(cohorts_dir / "data", 160, seed=21)
    first = load_cohort(write_cohort(cohorts_dir, "first-cohort", committee={"review_mode": "auto"}))
    second = load_cohort(write_cohort(cohorts_dir, "second-cohort", previous_cohorts=["first-cohort"]))
    store = ready_store(first)
    today = dt.date(2026, 1, 5)
    for config in (first, second):
        open_stage.import_roster(run_of(config, store, today))
        intake.import_applications(run_of(config, store))
        validate.validate_applications(run_of(config, store))
        match.propose_matches(run_of(config, store))
        match.approve_matches(run_of(config, store))
        if config is first:
            kickoff.send_kickoff(run_of(config, store))
            closeout.complete_pairs(run_of(config, store))
            simulate.evaluations_for(store, config.cohort, seed=1, response_rate=1.0)
    kickoff.send_kickoff(run_of(second, store))

    wanted = {a["employee_id"]: set(parse_skills(a["skills_wanted"])) for a in store.rows(applications, cohort_id="second-cohort")}
    mentees = {m["mentee_id"] for m in store.rows(matches, cohort_id="second-cohort")}
    suggested = 0
    for path in (settings.outbox_dir("second-cohort") / "kickoff").rglob("*.eml"):
        person = path.stem
        text = email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
        section = text.split("RESOURCES FOR YOUR GOALS")[1].split("\n\n")[0]
        if person not in mentees:
            continue
        topics = [line[2:].split(":")[0] for line in section.strip().splitlines()
                  if line.startswith("- ") and "program team" not in line]
        assert not set(topics) & wanted[person]  # never what the mentee already asked for
        suggested += bool(topics)
    assert suggested > 0


def test_each_suggested_topic_says_which_shared_wants_led_to_it():
    """The explanation of "people who wanted X often found Y useful": X are the wants shared with the past
    mentees who reported Y, most shared first; the topics are exactly those of suggest()."""
    from mentorflow.outcomes.discovery import explained

    past = PAST + [({"sql"}, {"conflict resolution"}), ({"negotiation", "sql"}, {"conflict resolution"})]
    assert explained({"negotiation", "sql"}, past) == [("conflict resolution", ("negotiation", "sql"))]
    assert [t for t, _ in explained({"python"}, PAST)] == suggest({"python"}, PAST) == ["data analysis"]
    assert explained({"python"}, PAST)[0][1] == ("python",)
