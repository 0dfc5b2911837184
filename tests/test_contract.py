"""The data contract is one thing: README shows it, the generator writes it, the gates and the forms
enforce every one of its ranges (a value just outside is refused by both, the bounds are accepted by both)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import zoneinfo

import pandas as pd
import pytest
from conftest import ROOT, write_cohort
from mentorflow.cohorts.config import CohortConfig, Quality
from mentorflow.cohorts.loader import load_cohort
from mentorflow.contract import columns as contract
from mentorflow.contract.columns import (
    APPLICATIONS,
    CLOSEOUT,
    FILES,
    PULSE,
    ROSTER,
    SKILL_LIST,
    TIPI,
    Column,
    Range,
    Table,
)
from mentorflow.contract.parsing import parse_ids, parse_outcome_roster, parse_skills
from mentorflow.demo.synthetic import write_population
from mentorflow.errors import ImportFileError
from mentorflow.forms import fields as form_fields
from mentorflow.forms import models
from mentorflow.quality import pair_suites, suites
from mentorflow.quality.expectations import validate
from mentorflow.quality.reader import ROW

# -- README ------------------------------------------------------------------------------------


def readme_tables() -> dict[str, list[tuple[str, str, str, str]]]:
    """README's data contract section: per file, (column, type, required, allowed) of each table row."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Data contract", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, list] = {}
    current = None
    for line in section.splitlines():
        opening = re.match(r"`([\w.-]+\.csv)`", line)
        if opening:
            current = tables.setdefault(opening.group(1), [])
        elif line.startswith("| `") and current is not None:
            name, _holds, kind, required, allowed = (cell.strip() for cell in line.strip("|").split("|"))
            names = re.findall(r"`(\w+)`", name)
            if len(names) == 2 and names == [TIPI[0], TIPI[-1]]:  # `tipi_1` … `tipi_10`
                names = list(TIPI)
            current.extend((n, kind, required, allowed) for n in names)
    return tables


def test_readme_shows_every_file_of_the_contract_column_by_column():
    tables = readme_tables()
    assert list(tables) == [table.file for table in FILES]
    for table in FILES:
        assert tables[table.file] == [(c.name, c.type_words, c.required_words, c.allowed) for c in table.columns]


def test_readme_names_the_header_each_file_needs():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Data contract", 1)[1]
    assert ROSTER.header == tuple(ROSTER.names)
    assert "`roster.csv`, the HRIS export (the header has every column)" in section
    assert f"the header needs {' and '.join(f'`{c}`' for c in APPLICATIONS.header)}" in section


# -- the generator -----------------------------------------------------------------------------


def _conforms(column: Column, value: str, roster_ids: set[str]) -> bool:
    """Whether one generated CSV value is what the contract allows (blank: only where not required)."""
    if value == "":
        return not column.required
    if column.kind == "whole":
        return value.lstrip("-").isdigit() and int(value) in column.range
    if column.kind == "number":
        return float(value) in column.range
    if column.kind == "email":
        return re.match(contract.EMAIL_PATTERN, value) is not None
    if column.kind == "date":
        return dt.datetime.strptime(value, contract.DATE_FORMAT) is not None
    if column.kind == "boolean":
        return value.lower() in contract.TRUE | contract.FALSE
    if column.kind == "timezone":
        return value in zoneinfo.available_timezones()
    if column.kind == "choice":
        return value in column.values
    if column.kind == "skills":
        items = value.split(SKILL_LIST.separator)
        skills = parse_skills(value)
        return len(skills) == len(items) and all(level in SKILL_LIST.level for level in skills.values())
    if column.kind == "ids":
        return set(parse_ids(value)) <= roster_ids
    return True  # id, text


def test_the_generator_writes_exactly_the_contracts_columns_and_values(tmp_path):
    roster_path, apps_path = write_population(tmp_path, 300, seed=9)
    files = {ROSTER.file: roster_path, APPLICATIONS.file: apps_path}
    read = {}
    for name, path in files.items():
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            read[name] = (reader.fieldnames, list(reader))
    roster_ids = {row["employee_id"] for row in read[ROSTER.file][1]}
    for table in (ROSTER, APPLICATIONS):
        header, rows = read[table.file]
        assert header == table.names
        assert rows
        wrong = [(row["employee_id"], c.name, row[c.name]) for row in rows for c in table.columns
                 if not _conforms(c, row[c.name], roster_ids)]
        assert wrong == []
    apps = read[APPLICATIONS.file][1]
    assert {row["role"] for row in apps} == set(contract.ROLES)
    # capacity is a mentor's answer: blank for mentees, within the range for mentors
    assert all((row["capacity"] == "") == (row["role"] not in APPLICATIONS["capacity"].needed_by) for row in apps)


def test_consent_to_share_goals_is_imported_as_the_contract_reads_booleans_and_absent_means_no(cohorts_dir):
    """An applications CSV may say who agreed to share their goals with their partner; a blank cell, an
    unknown word or a file without the column is no consent."""
    from conftest import ready_store, run_of
    from mentorflow.stages import intake
    from mentorflow.store import applications, people

    assert APPLICATIONS["share_goals"].kind == "boolean" and "share_goals" not in APPLICATIONS.header
    config = load_cohort(write_cohort(cohorts_dir))
    store = ready_store(config)
    store.register_cohort(config)
    store.upsert(people, [{"cohort_id": config.cohort, "employee_id": f"E{i}", "full_name": f"P {i}",
                           "email": f"p{i}@example.com", "level": 3, "on_pip": False, "eligible": True}
                          for i in range(1, 6)])
    csv_path = config.resolve(config.sources.applications_csv)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    csv_path.write_text("employee_id,role,goals,share_goals\nE1,mentee,grow,yes\nE2,mentee,grow,\n"
                        "E3,mentee,grow,no\nE4,mentee,grow,maybe\n", encoding="utf-8")
    intake.import_applications(run_of(config, store))
    stored = {r["employee_id"]: r["share_goals"] for r in store.rows(applications, cohort_id=config.cohort)}
    assert stored == {"E1": True, "E2": False, "E3": False, "E4": False}
    csv_path.write_text("employee_id,role,goals\nE5,mentor,coach\n", encoding="utf-8")  # no such column
    intake.import_applications(run_of(config, store))
    assert store.rows(applications, cohort_id=config.cohort, employee_id="E5")[0]["share_goals"] is False


def test_a_mentors_circle_and_written_budget_and_group_consent_are_imported_from_the_csv(cohorts_dir):
    """The CSV intake reads the three answers as the contract says: booleans from its words, the budget as a whole
    number; a mentee's circle or budget is not kept; a file without the columns offers nothing and shares nothing."""
    from conftest import ready_store, run_of
    from mentorflow.stages import intake
    from mentorflow.store import applications, people

    assert [APPLICATIONS[c].kind for c in ("circle_volunteer", "async_budget", "group_consent")] == [
        "boolean", "whole", "boolean"]
    assert APPLICATIONS["async_budget"].range == Range(0, 20)
    config = load_cohort(write_cohort(cohorts_dir))
    store = ready_store(config)
    store.register_cohort(config)
    store.upsert(people, [{"cohort_id": config.cohort, "employee_id": f"E{i}", "full_name": f"P {i}",
                           "email": f"p{i}@example.com", "level": 3, "on_pip": False, "eligible": True}
                          for i in range(1, 7)])
    csv_path = config.resolve(config.sources.applications_csv)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    csv_path.write_text("employee_id,role,goals,circle_volunteer,async_budget,group_consent\n"
                        "E1,mentor,coach,yes,5,Y\nE2,mentee,grow,yes,3,yes\nE3,both,share,,,no\n"
                        "E4,mentor,coach,0,0,1\n", encoding="utf-8")
    intake.import_applications(run_of(config, store))
    stored = {r["employee_id"]: (r["circle_volunteer"], r["async_budget"], r["group_consent"])
              for r in store.rows(applications, cohort_id=config.cohort)}
    assert stored == {"E1": (True, 5, True), "E2": (False, None, True), "E3": (False, None, False),
                      "E4": (False, 0, True)}
    csv_path.write_text("employee_id,role,goals\nE5,mentor,coach\n", encoding="utf-8")  # no such columns
    intake.import_applications(run_of(config, store))
    (row,) = store.rows(applications, cohort_id=config.cohort, employee_id="E5")
    assert (row["circle_volunteer"], row["async_budget"], row["group_consent"]) == (False, None, False)


def test_the_cohort_default_level_range_is_the_contracts():
    assert Quality().level_range == (contract.LEVEL.low, contract.LEVEL.high)


def test_the_form_stores_an_application_in_the_contracts_columns():
    answers = form_fields.parse_json("application", good_application())
    assert set(answers.store_row()) == set(APPLICATIONS.names) - {"employee_id"}  # the id comes from the link


def test_the_forms_speak_the_contracts_vocabulary():
    assert tuple(models.PULSE_OUTCOMES) == contract.PULSE_OUTCOMES
    assert len(models.TIPI_SCALE) == contract.TIPI_SCALE.high - contract.TIPI_SCALE.low + 1
    assert len(models.TIPI_ITEMS) == len(TIPI)
    labelled = {c for table in (APPLICATIONS, PULSE, CLOSEOUT) for c in table.names} - {"employee_id"}
    assert labelled <= set(models.FIELD_LABELS)


def test_the_closeout_export_reader_takes_the_contracts_header(tmp_path):
    path = tmp_path / contract.OUTCOME_ROSTER.file
    path.write_text(",".join(contract.OUTCOME_ROSTER.names[:-1]) + "\nE1,active\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=f"header lacks {contract.OUTCOME_ROSTER.names[-1]}"):
        parse_outcome_roster(path)


# -- every range, at the gate and in the form -------------------------------------------------


def _step(column: Column) -> float:
    return 1 if column.kind == "whole" else 0.01


def cases(table: Table) -> list[tuple[str, float, bool]]:
    """(column, value, allowed): each bound (allowed) and the value just outside it (refused)."""
    out = []
    for column in table.ranged:
        bounds: Range = column.range
        for bound, outside in ((bounds.low, -1), (bounds.high, 1)):
            if bound is not None:
                out += [(column.name, bound, True), (column.name, round(bound + outside * _step(column), 2), False)]
    return out


def good_application() -> dict:
    return {"role": "both", "goals": "Grow", "tipi": [4] * len(TIPI), "capacity": 2, "hours_per_month": 4,
            "skills_offered": [{"name": "python", "level": 3}], "skills_wanted": [{"name": "sql", "level": 2}],
            "consent": True}


GOOD_PULSE = {"match_id": 1, "meetings": 2, "satisfaction": 4, "goal_progress": 4, "follow_through": 4}
GOOD_CLOSEOUT = {"goals_met": 4, "satisfaction": 4, "recommend": 9}


def _refused(form: str, payload: dict) -> bool:
    try:
        form_fields.parse_json(form, payload)
    except models.FieldErrors:
        return True
    return False


def _failed_rows(batch) -> dict[int, set[str]]:
    failed: dict[int, set[str]] = {}
    for result in validate(batch.name, batch.frame, batch.specs):
        assert result.error is None, result.error
        for row in result.unexpected_rows:
            failed.setdefault(row, set()).add(result.spec.check)
    return failed


@pytest.fixture
def config(cohorts_dir) -> CohortConfig:
    return load_cohort(write_cohort(cohorts_dir, eligibility={"min_tenure_days": 0}))


def test_every_application_range_is_enforced_by_the_gate_and_the_form(config):
    skill = [("skill level", level, allowed) for level, allowed in ((SKILL_LIST.level.low, True),
                                                                    (SKILL_LIST.level.low - 1, False),
                                                                    (SKILL_LIST.level.high, True),
                                                                    (SKILL_LIST.level.high + 1, False))]
    checks = {"capacity": "applications.capacity", "hours_per_month": "applications.hours_range",
              "async_budget": "applications.async_budget",
              "skill level": "applications.skill_levels", **{t: "applications.tipi_range" for t in TIPI}}
    all_cases = cases(APPLICATIONS) + skill
    assert {c for c, _, _ in all_cases} == set(checks)  # every ranged column is tried (and no other)

    good = {"role": "both", "goals": "Grow", "skills_offered": "python:3", "skills_wanted": "sql:2",
            **{t: 4 for t in TIPI}, "capacity": 2, "hours_per_month": 4.0, "avoid_partners": ""}
    rows = []
    for i, (column, value, _) in enumerate(all_cases):
        row = {**good, "employee_id": f"E{i:03d}"}
        if column == "skill level":
            row["skills_offered"] = f"python:{value:g}"
        else:
            row[column] = value
        rows.append(row)
    apps = pd.DataFrame(rows)
    people = pd.DataFrame({"employee_id": apps["employee_id"], "on_pip": False, "hire_date": dt.date(2020, 1, 1),
                           "eligibility_reason": None,
                           "department": "Engineering", "level": 3})
    batch = suites.applications_batch(apps, people, config)
    failed = _failed_rows(batch)
    by_id = dict(zip(batch.frame["employee_id"], batch.frame[ROW]))

    for i, (column, value, allowed) in enumerate(all_cases):
        gate = failed.get(by_id[f"E{i:03d}"], set())
        payload = good_application()
        if column == "skill level":
            payload["skills_offered"] = [{"name": "python", "level": value}]
        elif column in TIPI:
            payload["tipi"] = [value if t == column else 4 for t in TIPI]
        else:
            payload[column] = value
        if allowed:
            assert gate == set(), (column, value, gate)
            assert not _refused("application", payload), (column, value)
        else:
            assert checks[column] in gate, (column, value, gate)
            assert _refused("application", payload), (column, value)


@pytest.mark.parametrize(("table", "form", "good", "build"), [
    (PULSE, "pulse", GOOD_PULSE, "pulse"),
    (CLOSEOUT, "closeout", GOOD_CLOSEOUT, "closeout"),
])
def test_every_answer_range_is_enforced_by_the_gate_and_the_form(table, form, good, build):
    all_cases = cases(table)
    rows = [{**good, "match_id": i, "period": "p1", "respondent_id": f"M{i}", "employee_id": f"M{i}",
             column: value} for i, (column, value, _) in enumerate(all_cases)]
    pairs = pd.DataFrame({"match_id": range(len(rows)), "mentor_id": [f"M{i}" for i in range(len(rows))],
                          "mentee_id": [f"E{i}" for i in range(len(rows))]})
    frame = pd.DataFrame(rows)
    batch = pair_suites.pulse_batch(frame, pairs) if build == "pulse" else pair_suites.closeout_batch(frame, pairs)
    failed = _failed_rows(batch)
    for i, (column, value, allowed) in enumerate(all_cases):
        refused_by_form = _refused(form, {**good, column: value})
        if allowed:
            assert i not in failed and not refused_by_form, (column, value, failed.get(i))
        else:
            assert failed.get(i) == {f"{build}.value_ranges"} and refused_by_form, (column, value, failed.get(i))
