"""One bad cell never loses the good rows (hardening issue, items 5, 6 and 8): a library of hostile
values, each in one row of a good roster or applications file, on SQLite and PostgreSQL. Each is held
by the right check with its line and reason; every other row is stored; exports neutralise formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from conftest import run_of
from mentorflow.contract.columns import APPLICATION_COLUMNS, ROSTER_COLUMNS
from mentorflow.reports.render import spreadsheet_safe, write_csv
from mentorflow.roster.eligibility import admitted
from mentorflow.stages import intake
from mentorflow.stages import open as open_stage
from mentorflow.store import applications, people, quarantine
from quality_fixtures import BOTH_STORES, good_applications, good_roster

OPENED = dt.date(2026, 1, 5)
HUGE = "x" * 200_000  # over the csv module's default field limit of 131,072

ROSTER_VARIANTS = {
    # name: (column, value, check that must hold the row)
    "value over the csv field limit": ("full_name", HUGE, "roster.row_shape"),
    "text longer than its column": ("department", "D" * 500, "roster.storable"),
    "NUL byte": ("job_title", "Engi\x00neer", "roster.storable"),
    "formula (command)": ("full_name", "=cmd|' /C calc'!A0", "roster.no_formulas"),
    "formula (plus)": ("location", "+1+1", "roster.no_formulas"),
    "formula (at)": ("department", "@SUM(A1:A9)", "roster.no_formulas"),
    "level beyond any integer": ("level", "99999999999999999999", "roster.level_range"),
}
APPLICATION_VARIANTS = {
    "capacity beyond any integer": ("capacity", "99999999999999999999", "intake.storable"),
    "written budget beyond any integer": ("async_budget", "99999999999999999999", "intake.storable"),
    "a circle answer that is neither yes nor no": ("circle_volunteer", "=1+1", "intake.flags"),
    "TIPI 1e30": ("tipi_1", "1e30", "intake.storable"),
    "NUL byte in the motivation": ("motivation", "I want\x00 to grow", "intake.storable"),
    "value over the csv field limit": ("goals", HUGE, "intake.row_shape"),
    "formula in the goals": ("goals", '=HYPERLINK("http://evil.example","x")', "intake.no_formulas"),
}


def _csv(frame, columns) -> bytes:
    buffer = io.StringIO(newline="")
    frame.to_csv(buffer, index=False, columns=columns, quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue().encode()


def admitted_ids(store) -> set[str]:
    """People the roster gate let in (held rows are kept too, as not eligible, for their reporting line)."""
    frame = store.frame(people)
    return set(frame.loc[admitted(frame), "employee_id"])


def _held(store, gate: str) -> list[dict]:
    return store.rows(quarantine, gate=gate)


@BOTH_STORES
@pytest.mark.parametrize("variant", sorted(ROSTER_VARIANTS))
def test_one_hostile_roster_cell_is_held_and_every_good_row_kept(make_cohort, variant):
    column, value, check = ROSTER_VARIANTS[variant]
    roster = good_roster()
    victim = roster.at[7, "employee_id"]
    roster.at[7, column] = value
    config, store = make_cohort(roster, eligibility={"min_tenure_days": 0})
    summary = open_stage.import_roster(run_of(config, store, OPENED))
    stored = admitted_ids(store)
    assert victim not in stored and len(stored) == len(roster) - 1, summary
    reasons = [r["reason"] for r in _held(store, "roster") if r["record_key"] == victim]
    assert any(r.startswith(check) for r in reasons), reasons


@BOTH_STORES
@pytest.mark.parametrize("variant", sorted(APPLICATION_VARIANTS))
def test_one_hostile_application_cell_is_held_and_every_good_row_kept(make_cohort, variant):
    column, value, check = APPLICATION_VARIANTS[variant]
    roster = good_roster()
    apps = good_applications(roster)
    victim = apps.at[3, "employee_id"]
    apps.at[3, column] = value
    config, store = make_cohort(roster, apps)
    open_stage.import_roster(run_of(config, store, OPENED))
    summary = intake.import_applications(run_of(config, store, OPENED))
    stored = {a["employee_id"] for a in store.rows(applications)}
    assert victim not in stored and len(stored) == len(apps) - 1, summary
    reasons = [r["reason"] for r in _held(store, "intake") if r["record_key"] == victim]
    assert any(r.startswith(check) for r in reasons), reasons


@BOTH_STORES
def test_an_unclosed_quote_costs_its_own_line_only(make_cohort):
    roster = good_roster()
    lines = _csv(roster, ROSTER_COLUMNS).decode().splitlines(keepends=True)
    broken_line = 9  # header is line 1: this is the 8th person
    victim = roster.at[broken_line - 2, "employee_id"]
    lines[broken_line - 1] = lines[broken_line - 1].replace(",", ',"', 1)  # a quote that never closes
    config, store = make_cohort("".join(lines).encode(), eligibility={"min_tenure_days": 0})
    open_stage.import_roster(run_of(config, store, OPENED))
    stored = admitted_ids(store)
    reports_to_victim = set(roster.loc[roster["manager_id"] == victim, "employee_id"])  # held: unknown manager
    assert stored == set(roster["employee_id"]) - {victim} - reports_to_victim
    reasons = [r["reason"] for r in _held(store, "roster")]
    assert any(f"line {broken_line}: a quote opened on this line is never closed" in r for r in reasons), reasons


def test_a_stray_quote_in_a_big_export_loses_one_line_not_the_file(make_cohort, tmp_path):
    """The 105 MB case in small: a quote that never closes, followed by many long rows."""
    roster = good_roster()
    apps = good_applications(roster)
    apps["motivation"] = "I want to learn from experienced colleagues. " * 400  # ~18 KB a row
    payload = _csv(apps, APPLICATION_COLUMNS).decode().splitlines(keepends=True)
    payload[2] = payload[2].replace(",", ',"', 1)
    config, store = make_cohort(roster, "".join(payload).encode())
    open_stage.import_roster(run_of(config, store, OPENED))
    intake.import_applications(run_of(config, store, OPENED))
    assert store.count(applications) == len(apps) - 1


@pytest.mark.parametrize("value, shown", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1+1", "'+1+1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("-2+3", "'-2+3"), ("\tx", "'\tx"), ("-5", "-5"), ("+49.5", "+49.5"), ("plain", "plain"), (7, 7),
])
def test_exports_neutralise_formula_cells(value, shown, tmp_path):
    assert spreadsheet_safe(value) == shown
    path = write_csv(tmp_path / "out.csv", [{"name": value}], ["name"])
    assert list(csv.DictReader(path.open()))[0]["name"] == str(shown)


def test_the_formula_check_screens_a_column_without_missing_a_cell():
    """The gate scans each column once and checks cell by cell only where some line starts like a formula: a
    line break inside a cell may send a column to the full check, never let a formula cell through."""
    import pandas as pd
    from mentorflow.quality.spec_helpers import FORMULA_START, PLAIN_NUMBER, formula_cells

    cells = ["plain", "=1+1", "-5", "+49.5", "-2+3", "two\n=lines", "a\n@b", None, "@SUM(A1)", "x=y", "\tx"]
    frame = pd.DataFrame({"a": cells, "b": ["ok"] * len(cells), "c": ["fine\n-3 apples"] * len(cells)}, dtype="str")
    expected = [f"a starts like a spreadsheet formula: {v[:20]!r}" if isinstance(v, str) and FORMULA_START.match(v)
                and not PLAIN_NUMBER.match(v) else None for v in cells]
    found = formula_cells(frame, ["a", "b", "c", "missing"])
    assert [None if pd.isna(v) else v for v in found] == expected
    assert formula_cells(frame, ["b", "c"]).isna().all()
