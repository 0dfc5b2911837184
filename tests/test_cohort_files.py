"""One cohort file must never affect another cohort.

A library of broken cohort files, each next to one good cohort: parsing the DAG folder keeps the good
cohort's DAGs and shows the broken file as its own paused ``…__invalid_config`` DAG, quickly, whatever
the broken calendar says; ``mentorflow cohort validate`` rejects each file with a message that names
the field, never with a traceback. The bounds themselves are documented in README's cohort file section.
"""

from __future__ import annotations

import pytest
from conftest import write_cohort
from mentorflow.cli.main import main

GOOD = "good-cohort"
BROKEN = "bad-cohort"


def _replace(old: str, new: str):
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


def _append(extra: str):
    return lambda text: text + extra


# a calendar long enough for daily and weekly settings (the default test calendar lasts 100 minutes)
_FORTNIGHT_WINDOW = {"application_open": "2026-01-05T09:00:00", "application_close": "2026-01-19T09:00:00",
                     "kickoff": "2026-01-26T09:00:00", "midpoint": "2026-04-27T09:00:00",
                     "close_out": "2026-07-27T09:00:00", "pulse_cadence": "weekly", "intake_check_every_hours": 24}

_ALIAS_BOMB = "\n".join(
    ["  departments:", "  - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]) + "\n"

# name -> (overrides for write_cohort, or a function editing the good file's text; what the error must name)
LIBRARY = {
    # calendar dates
    "year-one-open": ({"calendar": {"application_open": "0001-01-01T00:00"}}, "calendar.application_open"),
    "year-9999-close-out": ({"calendar": {"close_out": "9999-12-31T09:00"}}, "calendar.close_out"),
    "year-2101-midpoint": ({"calendar": {"midpoint": "2101-01-01T00:00"}}, "calendar.midpoint"),
    "impossible-date": (_replace("application_open: '2026-01-05T09:00:00'", "application_open: 2027-02-30"),
                        "calendar.application_open"),
    "impossible-hour": (_replace("kickoff: '2026-01-05T09:30:00'", "kickoff: 2026-01-05 25:30:00"),
                        "calendar.kickoff"),
    "not-a-date": ({"calendar": {"midpoint": "next Tuesday"}}, "calendar.midpoint"),
    "offsets-mixed": ({"calendar": {"kickoff": "2026-01-05T09:30:00+01:00"}}, "UTC offset"),
    "lasts-five-years": ({"calendar": {"close_out": "2031-01-05T10:40:00"}}, "close_out"),
    # pulse cadence
    "pulse-every-0-minutes": ({"calendar": {"pulse_cadence": "every 0 minutes"}}, "calendar.pulse_cadence"),
    "pulse-every-minute-for-six-months": (
        {"calendar": {**_FORTNIGHT_WINDOW, "pulse_cadence": "every 1 minutes"}}, "calendar.pulse_cadence"),
    "pulse-daily-for-two-years": (
        {"calendar": {**_FORTNIGHT_WINDOW, "close_out": "2028-01-05T09:00:00", "pulse_cadence": "every 1 days"}},
        "calendar.pulse_cadence"),
    "pulse-every-20-digit-days": ({"calendar": {"pulse_cadence": "every 99999999999999999999 days"}},
                                  "calendar.pulse_cadence"),
    "pulse-every-5000-digit-minutes": ({"calendar": {"pulse_cadence": "every " + "9" * 5000 + " minutes"}},
                                       "calendar.pulse_cadence"),
    "pulse-cadence-a-list": ({"calendar": {"pulse_cadence": ["monthly"]}}, "calendar.pulse_cadence"),
    # durations
    "evaluation-1e12-days": ({"calendar": {"evaluation_days": 1.0e12}}, "calendar.evaluation_days"),
    "evaluation-infinite": ({"calendar": {"evaluation_days": float("inf")}}, "calendar.evaluation_days"),
    "evaluation-nan": ({"calendar": {"evaluation_days": float("nan")}}, "calendar.evaluation_days"),
    "intake-every-nanohour": ({"calendar": {"intake_check_every_hours": 1.0e-9}}, "calendar.intake_check_every_hours"),
    "intake-every-72-seconds-for-a-fortnight": (
        {"calendar": {**_FORTNIGHT_WINDOW, "intake_check_every_hours": 0.02}}, "calendar.intake_check_every_hours"),
    "intake-every-infinite-hours": ({"calendar": {"intake_check_every_hours": float("inf")}},
                                    "calendar.intake_check_every_hours"),
    "reminder-after-1e12-days": ({"calendar": {"reminder_after_days": 1.0e12}}, "calendar.reminder_after_days"),
    "reminder-after-a-picosecond": ({"calendar": {"reminder_after_days": 1.0e-17}}, "calendar.reminder_after_days"),
    "pulse-reminder-after-1e12-days": ({"health": {"reminder_after_days": 1.0e12}}, "health.reminder_after_days"),
    "committee-timeout-1e15-hours": ({"committee": {"timeout_hours": 1.0e15}}, "committee.timeout_hours"),
    "committee-timeout-infinite": ({"committee": {"timeout_hours": float("inf")}}, "committee.timeout_hours"),
    # other numbers
    "weight-infinite": ({"matching": {"weights": {"skills": float("inf")}}}, "matching.weights.skills"),
    "health-weight-1e300": ({"health": {"weights": {"meetings": 1.0e300}}}, "health.weights.meetings"),
    "tenure-1e30-days": ({"eligibility": {"min_tenure_days": 10**30}}, "eligibility.min_tenure_days"),
    "silent-periods-1e12": ({"health": {"silent_periods_at_risk": 10**12}}, "health.silent_periods_at_risk"),
    "level-range-1e40": ({"quality": {"level_range": [0, 10**40]}}, "quality.level_range"),
    "min-level-above-max-level": ({"eligibility": {"min_level": 9, "max_level": 2}}, "eligibility"),
    # structure and text
    "nested-5000-deep": (_append("previous_cohorts: " + "[" * 5000 + "]" * 5000 + "\n"), "previous_cohorts"),
    "alias-bomb": (_replace("eligibility:\n", "eligibility:\n" + _ALIAS_BOMB), "eligibility.departments"),
    "too-large": (_replace("name: Test Cohort", "name: " + "x" * 300_000), "256 KiB"),
    "python-tag": (_replace("name: Test Cohort", "name: !!python/object/apply:os.system [true]"), "name"),
    "unhashable-key": (_append("? [a, b]\n: c\n"), "line"),
    "timezone-a-folder": ({"timezone": "America"}, "timezone"),
    "timezone-5000-characters": ({"timezone": "Europe/" + "x" * 5000}, "timezone"),
    "top-level-list": (lambda text: "- a\n- list\n", "mapping"),
}


def _write_broken(directory, case: str):
    edit, _ = LIBRARY[case]
    if isinstance(edit, dict):
        return write_cohort(directory, BROKEN, **edit)
    path = write_cohort(directory, BROKEN)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def test_the_library_is_large_enough():
    assert len(LIBRARY) >= 30


@pytest.mark.parametrize("case", sorted(LIBRARY))
@pytest.mark.timeout(60)
def test_validate_rejects_each_broken_file_naming_the_field(cohorts_dir, capsys, case):
    path = _write_broken(cohorts_dir, case)
    assert main(["cohort", "validate", str(path)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert str(path) in captured.err
    _, expected = LIBRARY[case]
    assert expected in captured.err, captured.err[:2000]
    assert len(captured.err) < 20_000  # a readable message, not a dump of the file


@pytest.mark.parametrize("calendar", [
    _FORTNIGHT_WINDOW,
    # the shortest calendars in use: the live-stack test's five-minute cohort (seconds, not days)
    {"pulse_cadence": "every 1 minutes", "reminder_after_days": 0.0003, "intake_check_every_hours": 0.01,
     "evaluation_days": 0.0007},
    # the longest allowed: three years, weekly pulses with reminders, daily intake checks for a year
    {"application_open": "2027-01-04T09:00:00", "application_close": "2028-01-03T09:00:00",
     "kickoff": "2028-01-10T09:00:00", "midpoint": "2029-01-08T09:00:00", "close_out": "2030-01-04T09:00:00",
     "pulse_cadence": "weekly", "intake_check_every_hours": 24, "evaluation_days": 365},
], ids=["months", "minutes", "three-years"])
def test_calendars_within_the_bounds_load(cohorts_dir, calendar):
    from mentorflow.cohorts import calendar as moments
    from mentorflow.cohorts.loader import load_cohort

    config = load_cohort(write_cohort(cohorts_dir, GOOD, calendar=calendar))
    for stage in moments.STAGES:
        assert 1 <= len(moments.scheduled_moments(config, stage)) <= 500 or stage in ("match", "kickoff")
