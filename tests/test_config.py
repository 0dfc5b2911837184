import datetime as dt

import pytest
from conftest import write_cohort
from mentorflow.cohorts import calendar
from mentorflow.cohorts.loader import load_cohort, load_cohorts, parse_cohort
from mentorflow.errors import CohortConfigError


def test_valid_cohort_loads_with_derived_pulse_dates(cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir))
    assert config.cohort == "test-cohort"
    assert config.program_type.value == "traditional"
    # kickoff 09:30, every 15 minutes, strictly before close-out at 10:40
    assert [d.strftime("%H:%M") for d in calendar.pulse_dates(config)] == ["09:45", "10:00", "10:15", "10:30"]
    assert calendar.pulse_dates(config)[0].tzinfo is not None


def test_monthly_cadence_keeps_the_day_and_clamps_short_months(cohorts_dir):
    path = write_cohort(cohorts_dir, calendar={"kickoff": "2026-01-31T09:00:00", "midpoint": "2026-04-01T09:00:00",
                                               "close_out": "2026-05-15T09:00:00", "pulse_cadence": "monthly"})
    dates = [d.date() for d in calendar.pulse_dates(load_cohort(path))]
    assert dates == [dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30)]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone: 'Mars/Olympus' is not an IANA timezone"),
        ({"program_type": "buddy"}, "program_type: Input should be 'traditional', 'reverse', 'symbiotic' or 'group'"),
        ({"calendar": {"application_close": "2026-01-05T08:00:00"}}, "calendar: application_close (2026-01-05T08:00:00) must be after application_open"),
        ({"calendar": {"pulse_cadence": "fortnightly"}}, "calendar.pulse_cadence: must be 'monthly', 'weekly' or 'every N minutes|hours|days'"),
        ({"matching": {"weights": {"skills": -1}}}, "matching.weights.skills: Input should be greater than or equal to 0"),
        ({"sender": {"from_email": "not-an-address"}}, "sender.from_email: 'not-an-address' is not an email address"),
        ({"colour": "blue"}, "colour: is not a known setting (check the spelling)"),
    ],
)
def test_broken_fields_are_named_with_the_problem(cohorts_dir, override, expected):
    path = write_cohort(cohorts_dir, **override)
    with pytest.raises(CohortConfigError) as caught:
        load_cohort(path)
    assert str(path) in str(caught.value)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_missing_required_field_is_reported(cohorts_dir):
    path = write_cohort(cohorts_dir)
    path.write_text(path.read_text().replace("name: Test Cohort\n", ""))
    with pytest.raises(CohortConfigError) as caught:
        load_cohort(path)
    assert "name: is required but missing" in caught.value.problems


def test_yaml_syntax_error_names_line_and_column():
    with pytest.raises(CohortConfigError) as caught:
        parse_cohort("cohort: x\nname: [unclosed\n", "cohorts/x.yaml")
    assert "cohorts/x.yaml" in str(caught.value)
    assert "line 3" in caught.value.problems[0] or "line 2" in caught.value.problems[0]


def test_file_name_must_match_cohort_id(cohorts_dir):
    path = write_cohort(cohorts_dir, "spring-2027")
    moved = path.with_name("autumn-2027.yaml")
    path.rename(moved)
    with pytest.raises(CohortConfigError, match="must equal the file name 'autumn-2027'"):
        load_cohort(moved)


def test_a_broken_file_does_not_hide_the_good_ones(cohorts_dir):
    write_cohort(cohorts_dir, "alpha")
    write_cohort(cohorts_dir, "beta", timezone="Nowhere/Land")
    write_cohort(cohorts_dir, "gamma")
    (cohorts_dir / "delta.yaml").write_text("- just\n- a list\n")
    good, bad = load_cohorts(cohorts_dir)
    assert [c.cohort for c in good] == ["alpha", "gamma"]
    assert sorted(e.path.name for e in bad) == ["beta.yaml", "delta.yaml"]
    assert any("mapping" in p for e in bad for p in e.problems)


def test_relative_source_paths_resolve_next_to_the_yaml(cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir))
    assert config.resolve(config.sources.roster_csv) == cohorts_dir / "data" / "roster.csv"
