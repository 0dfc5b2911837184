"""The faster applications gate decides exactly as the gate before it (revision 8622acd): on a mixed
good/bad cohort the same rows are quarantined with the same reasons and values, the same statuses are set,
and the report says the same. The expected values below were produced by that revision on this dataset
(kept in ``tests/data/quality_equivalence.json``; ``MENTORFLOW_WRITE_EXPECTED=1`` rewrites that file from
whichever ``mentorflow`` is on the path, which is how it was made with that revision's plugins).

Also: the shortcuts the gate takes (reading the store column by column, recognising skill lists in the usual
shape with a regular expression) give what the slow paths give, value for value."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import run_of
from mentorflow.contract.affinity import COLUMNS as AFFINITY
from mentorflow.contract.columns import SKILL_LEVEL
from mentorflow.contract.parsing import parse_skills
from mentorflow.stages import intake, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import Store, applications, people, quarantine
from quality_fixtures import APPLICATION_SOFT, BOTH_STORES, good_applications, good_roster

# skill lists written in every way the parser tolerates, and some it does not
SKILL_TEXTS = ["", "python:3", "python:9", "python:2;python:9", "python:9;python:2", " :3", "\u00a0:3", "a:\u0663",
               "a:3:4", "a: 04 ", "a:05;b:6", "a:1;;b:2", ";", "a:", ":", "A:1;a:9", "sql : 2 ; go:0", "x;y",
               "python:10", "c++:5;c#:1", "a:1\n", "a:-1", "a:+2", "  ", "negotiation:4;sql:2"]


def mixed_cohort(apps: pd.DataFrame) -> None:
    """The fixtures' validate-stage corruptions plus skill lists in unusual shapes."""
    for case in APPLICATION_SOFT:
        case.corrupt(apps)
    for slot, text in enumerate(SKILL_TEXTS):  # two per application from the 13th on
        apps.at[12 + slot // 2, "skills_offered" if slot % 2 else "skills_wanted"] = text


def decided(store: Store) -> dict:
    held = sorted((r["record_key"], r["reason"], r["severity"], r["status"], json.loads(r["row_json"]))
                  for r in store.rows(quarantine, gate="applications"))
    return {"held": [h[:4] for h in held],
            "row_json_sha": hashlib.sha256(json.dumps([h[4] for h in held], sort_keys=True).encode()).hexdigest(),
            "statuses": sorted((a["employee_id"], a["status"]) for a in store.rows(applications))}


EXPECTED = Path(__file__).parent / "data" / "quality_equivalence.json"


@BOTH_STORES
def test_the_gate_decides_as_the_earlier_revision_on_a_mixed_cohort(make_cohort):
    roster = good_roster()
    apps = good_applications(roster)
    mixed_cohort(apps)
    config, store = make_cohort(roster, apps)
    open_stage.import_roster(run_of(config, store))
    intake.import_applications(run_of(config, store))
    summary = validate.validate_applications(run_of(config, store))
    found = {**decided(store), "summary": {k: v for k, v in summary.items() if k != "report"}}
    found = json.loads(json.dumps(found, default=sorted))
    backend = store.engine.dialect.name  # the values a row keeps differ by store (numbers, time zones)
    if os.environ.get("MENTORFLOW_WRITE_EXPECTED"):  # how the file was made, with the earlier revision's plugins
        made = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
        EXPECTED.write_text(json.dumps({**made, backend: found}, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(EXPECTED.read_text())[backend]
    assert found["held"] == expected["held"]
    assert found["row_json_sha"] == expected["row_json_sha"]
    assert found["statuses"] == expected["statuses"]
    assert found["summary"] == expected["summary"]
    assert len(found["statuses"]) == len(apps) and len(expected["held"]) > 10
    assert {status for _, status in expected["statuses"]} == {"valid", "quarantined"}
    # the gate reads only what its checks need; a held row still keeps every stored answer (but the affinity
    # ones), in the table's order, then the gate's own columns
    kept = [c.name for c in applications.c if c.name not in AFFINITY]
    kept += ["in_roster", "gaps", "missing_answers", "bad_skill_levels", "mentor_capacity", "not_eligible"]
    assert {tuple(json.loads(r["row_json"])) for r in store.rows(quarantine, gate="applications")} == {tuple(kept)}
    # a second run finds the same problems and changes nothing
    validate.validate_applications(run_of(config, store))
    assert json.loads(json.dumps(decided(store))) == {k: found[k] for k in ("held", "row_json_sha", "statuses")}


@pytest.mark.parametrize("text", [*SKILL_TEXTS, None])
def test_the_skill_list_shortcuts_agree_with_parse_skills(text):
    from mentorflow.quality.spec_helpers import levels_surely_good, no_skills

    parsed = parse_skills(text)
    assert bool(no_skills(pd.Series([text], dtype=object)).iloc[0]) is (not parsed)
    if levels_surely_good(text):
        assert all(level in SKILL_LEVEL for level in parsed.values()), text


def test_the_shortcuts_are_taken_for_lists_in_the_usual_shape():
    from mentorflow.quality.spec_helpers import levels_surely_good

    assert levels_surely_good("negotiation:4;sql:2") and levels_surely_good("") and levels_surely_good(None)
    assert not levels_surely_good("python:9") and not levels_surely_good("python:2;python:9")


def test_a_store_frame_holds_what_sqlalchemy_rows_hold(store):
    """Column by column from the driver, with each type's conversion: the same values and dtypes as a frame of
    SQLAlchemy's rows (booleans, dates, numbers, blanks), on SQLite and PostgreSQL."""
    import datetime as dt

    from mentorflow.cohorts.loader import parse_cohort

    config = parse_cohort("""
cohort: frame-cohort
name: Frames
program_type: traditional
calendar: {application_open: 2026-01-05T09:00, application_close: 2026-01-19T17:00, kickoff: 2026-02-02T09:00,
           midpoint: 2026-05-04T09:00, close_out: 2026-08-03T09:00}
sources: {roster_csv: roster.csv}
""")
    store.register_cohort(config)
    store.upsert(people, [
        {"cohort_id": config.cohort, "employee_id": "E1", "full_name": "Ada", "email": "a@x.org", "level": 3,
         "hire_date": dt.date(2020, 2, 29), "on_pip": True, "eligible": None, "manager_id": None},
        {"cohort_id": config.cohort, "employee_id": "E2", "full_name": "Bo", "email": "b@x.org", "level": None,
         "hire_date": None, "on_pip": False, "eligible": True, "manager_id": "E1"}])
    store.upsert(applications, [
        {"cohort_id": config.cohort, "employee_id": "E1", "role": "mentor", "tipi_1": 4, "capacity": 2,
         "hours_per_month": 2.5, "share_goals": True, "affinity_match": None, "status": "received",
         "submitted_at": dt.datetime(2026, 1, 6, 10, 30, tzinfo=dt.timezone.utc)},
        {"cohort_id": config.cohort, "employee_id": "E2", "role": "mentee", "tipi_1": None, "capacity": None,
         "hours_per_month": None, "share_goals": False, "affinity_match": True, "status": "received",
         "submitted_at": dt.datetime(2026, 1, 7, 8, 0)}])
    for table in (people, applications):
        with store.engine.connect() as conn:
            result = conn.execute(sa.select(table).where(table.c.cohort_id == config.cohort))
            rows = pd.DataFrame([tuple(r) for r in result.fetchall()], columns=list(result.keys()))
        pd.testing.assert_frame_equal(store.frame(table, cohort_id=config.cohort), rows, check_exact=True)
    narrow = store.frame(people, columns=["employee_id", "on_pip"], cohort_id=config.cohort)
    assert list(narrow.columns) == ["employee_id", "on_pip"] and narrow["on_pip"].tolist() == [True, False]


def test_a_per_distinct_check_is_the_check_of_every_value_and_runs_once_per_value():
    from mentorflow.quality.spec_helpers import no_skills, per_distinct

    values = [*SKILL_TEXTS, None, float("nan"), *SKILL_TEXTS]
    texts = pd.Series(values, dtype=object, index=range(10, 10 + len(values)))
    seen: list[object] = []
    marked = per_distinct(texts, lambda t: seen.append(t) or f"<{t}>")
    assert marked.index.equals(texts.index)
    assert list(marked) == [f"<{t}>" if isinstance(t, str) else "<None>" for t in texts]
    assert len(seen) == len(set(SKILL_TEXTS)) + 1  # each distinct text once, and the missing ones once, as None
    assert list(no_skills(texts)) == [not parse_skills(t if isinstance(t, str) else None) for t in texts]
