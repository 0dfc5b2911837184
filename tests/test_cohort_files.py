"""One cohort file must never affect another cohort.

A library of broken cohort files, each next to one good cohort: parsing the DAG folder keeps the good
cohort's DAGs and shows the broken file as its own paused ``…__invalid_config`` DAG, quickly, whatever
the broken calendar says; ``mentorflow cohort validate`` rejects each file with a message that names
the field, never with a traceback. The bounds themselves are documented in README's cohort file section.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, write_cohort
from mentorflow.cli.main import main
from mentorflow.orchestration.wiring import DAG_STAGES

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
    "committee-quorum-above-reviewers": ({"committee": {"reviewers": ["ann", "bob"], "quorum": 3}}, "quorum is 3"),
    "committee-quorum-without-reviewers": ({"committee": {"quorum": 2}}, "no reviewers are named"),
    "committee-quorum-zero": ({"committee": {"reviewers": ["ann"], "quorum": 0}}, "committee.quorum"),
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
        assert 1 <= len(moments.scheduled_moments(config, stage)) <= 500 or stage in ("match", "kickoff", "selection")


# One interpreter parses one folder per broken file (a good cohort next to it), as the DAG processor
# would: no metadata database, no connection; a DAG file that fails to import shows up in "errors".
PARSE_EACH = textwrap.dedent("""
    import json, os, sys, time
    import airflow.sdk.bases.hook as hook
    def _no_connections(*args, **kwargs):
        raise RuntimeError("connection looked up at parse time")
    hook.BaseHook.get_connection = classmethod(_no_connections)
    from airflow.dag_processing.dagbag import DagBag
    if len(sys.argv) > 3:  # a cohort whose DAGs cannot be built (the error boundary)
        from mentorflow.orchestration import lifecycle_dags
        build_pulse = lifecycle_dags.pulse_dag
        def pulse_dag(config):
            if config.cohort == sys.argv[3]:
                raise RuntimeError("something unforeseen while building " + config.cohort)
            return build_pulse(config)
        lifecycle_dags.pulse_dag = pulse_dag
    results = {}
    for folder in sorted(os.listdir(sys.argv[2])):
        os.environ["MENTORFLOW_COHORTS_DIR"] = os.path.join(sys.argv[2], folder)
        started = time.monotonic()
        bag = DagBag(dag_folder=sys.argv[1])
        results[folder] = {
            "dag_ids": list(bag.dags),
            "errors": {k: str(v)[-300:] for k, v in bag.import_errors.items()},
            "seconds": time.monotonic() - started,
            "paused": {d: bag.dags[d].is_paused_upon_creation for d in bag.dags},
            "docs": {d: bag.dags[d].doc_md for d in bag.dags},
        }
    print(json.dumps(results))
""")


def _parse_folders(root, *extra: str) -> dict:
    env = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://nobody@127.0.0.1:9/nowhere",
           "AIRFLOW_CONN_MENTORFLOW_STORE": "postgresql://nobody@127.0.0.1:9/nowhere",
           "PYTHONPATH": str(ROOT / "plugins")}
    out = subprocess.run([sys.executable, "-c", PARSE_EACH, str(ROOT / "dags"), str(root), *extra], check=False,
                         capture_output=True, text=True, env=env, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _good_dags() -> list[str]:
    return [f"mentorflow__{GOOD}__{stage}" for stage in DAG_STAGES]


@pytest.mark.slow
def test_each_broken_file_leaves_the_good_cohort_intact_and_shows_as_invalid(tmp_path):
    root = tmp_path / "folders"
    for case in LIBRARY:
        folder = root / case
        folder.mkdir(parents=True)
        write_cohort(folder, GOOD)
        _write_broken(folder, case)
    results = _parse_folders(root)
    assert sorted(results) == sorted(LIBRARY)
    problems = {}
    for case, result in results.items():
        invalid = [d for d in result["dag_ids"] if d.endswith("__invalid_config")]
        others = sorted(set(result["dag_ids"]) - set(_good_dags()) - set(invalid))
        wrong = [*(f"import error: {e.strip().splitlines()[-1]}" for e in result["errors"].values()),
                 *([f"good cohort has {len(set(result['dag_ids']) & set(_good_dags()))} of its DAGs"]
                   if not set(_good_dags()) <= set(result["dag_ids"]) else []),
                 *([f"{len(invalid)} invalid_config DAGs"] if len(invalid) != 1 else []),
                 *([f"unexpected DAGs {others}"] if others else []),
                 *([f"{invalid[0]} is not paused"] if len(invalid) == 1 and not result["paused"][invalid[0]] else []),
                 *([f"parsing took {result['seconds']:.1f} s"] if result["seconds"] > 10 else [])]
        if wrong:
            problems[case] = wrong
    assert problems == {}


@pytest.mark.slow
def test_a_cohort_whose_dags_cannot_be_built_gets_its_own_invalid_dag(tmp_path):
    folder = tmp_path / "folders" / "boom"
    folder.mkdir(parents=True)
    write_cohort(folder, GOOD)
    write_cohort(folder, "boom-cohort")
    result = _parse_folders(tmp_path / "folders", "boom-cohort")["boom"]
    assert result["errors"] == {}
    # nothing of the failing cohort but its invalid_config DAG (not even the stages built before the failure)
    assert sorted(result["dag_ids"]) == sorted([*_good_dags(), "mentorflow__boom-cohort__invalid_config"])
    assert result["paused"]["mentorflow__boom-cohort__invalid_config"] is True
    doc = result["docs"]["mentorflow__boom-cohort__invalid_config"]
    assert "something unforeseen while building boom-cohort" in doc


def test_a_file_name_that_is_no_dag_id_still_shows_as_invalid(cohorts_dir):
    from mentorflow.orchestration.dags import build_all

    write_cohort(cohorts_dir, GOOD)
    write_cohort(cohorts_dir, "other-cohort").rename(cohorts_dir / "Other Cohort (copy).yaml")
    dags = build_all()
    assert sorted(dags) == sorted([*_good_dags(), "mentorflow__other-cohort-copy-__invalid_config"])
    doc = dags["mentorflow__other-cohort-copy-__invalid_config"].doc_md
    assert "must equal the file name 'Other Cohort (copy)'" in doc


def test_two_files_of_one_cohort_keep_the_first(cohorts_dir):
    from mentorflow.orchestration.dags import build_all

    write_cohort(cohorts_dir, GOOD)
    (cohorts_dir / f"{GOOD}.yml").write_text((cohorts_dir / f"{GOOD}.yaml").read_text().replace(
        "name: Test Cohort", "name: Another Cohort"))
    dags = build_all()
    assert sorted(dags) == sorted([*_good_dags(), f"mentorflow__{GOOD}__invalid_config"])
    assert dags[f"mentorflow__{GOOD}__open"].doc_md.startswith("**Test Cohort**")
    doc = dags[f"mentorflow__{GOOD}__invalid_config"].doc_md
    assert f"is already defined by {cohorts_dir / (GOOD + '.yaml')}" in doc


def test_list_with_an_impossible_date_is_a_clear_error(cohorts_dir, capsys):
    write_cohort(cohorts_dir, GOOD)
    _write_broken(cohorts_dir, "impossible-date")
    assert main(["cohort", "list"]) == 1
    captured = capsys.readouterr()
    assert GOOD in captured.out
    assert "calendar.application_open" in captured.err and "2027-02-30" in captured.err
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.parametrize(("given", "expected"), [
    ("2027-02-30", "--open: '2027-02-30' is not a date"),
    ("March 1", "--open: 'March 1' is not a date"),
    ("9999-12-30", "--open: 9999-12-30 is outside the years 2000 to 2100"),
    ("0001-01-01", "--open: 0001-01-01 is outside the years 2000 to 2100"),
])
def test_new_with_a_bad_open_date_is_a_clear_error_and_writes_nothing(cohorts_dir, capsys, given, expected):
    assert main(["cohort", "new", "spring-2027", "--roster", "roster.csv", "--open", given]) == 1
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "Traceback" not in captured.out + captured.err
    assert not (cohorts_dir / "spring-2027.yaml").exists()


def test_new_with_an_invalid_name_writes_nothing(cohorts_dir, capsys):
    assert main(["cohort", "new", "Spring 2027", "--roster", "roster.csv", "--open", "2027-03-01"]) == 1
    assert "cohort: must be 3-50 lower-case letters" in capsys.readouterr().err
    assert list(cohorts_dir.iterdir()) == []
