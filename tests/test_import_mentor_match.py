"""`mentorflow import mentor-match`: mentor-match's two CSVs become a roster, applications and cohort rules
that pass mentorflow's own gates; bad rows are named and left out, good rows all come over; the
different-organisation and grade-gap rules hold in matching, and a shared profession wins a tie."""

from __future__ import annotations

import csv
import datetime as dt

import pandas as pd
import pytest
import yaml
from conftest import run_of, write_cohort
from matching_fixtures import random_instance
from mentorflow.cli.main import main
from mentorflow.cohorts.config import MatchingRules
from mentorflow.cohorts.loader import load_cohort
from mentorflow.contract.columns import APPLICATION_COLUMNS, ROSTER_COLUMNS
from mentorflow.errors import GateFailure
from mentorflow.imports import mentor_match
from mentorflow.matching import MatchInput, propose
from mentorflow.quality import pair_suites
from mentorflow.roster.eligibility import admitted
from mentorflow.stages import intake, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import email_ledger, people, quarantine
from pydantic import ValidationError

# mentor-match's published headers (its web app's mentors.csv and mentees.csv)
MENTORS_HEADER = ("first name,last name,email address,both mentor and mentee,job title,grade,organisation,profession,"
                  "characteristics,biography\n")
MENTEES_HEADER = ("first name,last name,email address,both mentor and mentee,job title,grade,organisation,profession,"
                  "match with similar identity,identity to match,biography\n")
MENTORS = MENTORS_HEADER + (
    'Ada,Lovelace,ada.lovelace@example.gov.uk,no,Head of Analysis,SEO,Department of Joy,Policy,'
    '"Lesbian, Transgender",I lead a team of analysts.\n'
    "Grace,Hopper,grace.hopper@example.gov.uk,no,Lead Developer,SEO,Department of Love,DDaT,,I build compilers.\n"
    "Katherine,Johnson,katherine.johnson@example.gov.uk,yes,Senior Analyst,HEO,Department of Truth,Policy,,"
    "I check the numbers.\n"
    "Bad,Grade,bad.grade@example.gov.uk,no,Analyst,Grade 8,Department of Joy,Policy,,\n"  # line 5: unknown grade
)
MENTEES = MENTEES_HEADER + (
    "Alan,Turing,alan.turing@example.gov.uk,no,Analyst,EO,Department of Truth,Policy,yes,Bisexual or pansexual,"
    "I want to move into policy.\n"
    "KATHERINE,Johnson,Katherine.Johnson@example.gov.uk,yes,Senior Analyst,HEO,Department of Truth,Policy,no,,"
    "I want to lead.\n"
    "Mary,Jackson,mary.jackson@example.gov.uk,no,Engineer,AA,Department of Joy,DDaT,no,,\n"
)
GRADES = ["AA", "AO", "EO", "HEO", "SEO", "Grade 7", "Grade 6", "SCS1", "SCS2", "SCS3", "SCS4"]


@pytest.fixture
def source(tmp_path):
    def write(mentors: str = MENTORS, mentees: str = MENTEES):
        (tmp_path / "mentors.csv").write_text(mentors, encoding="utf-8")
        (tmp_path / "mentees.csv").write_text(mentees, encoding="utf-8")
        return [str(tmp_path / "mentors.csv"), str(tmp_path / "mentees.csv"), "--out", str(tmp_path / "out")]

    return write


def rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def imported(tmp_path, capsys, args, code=1):
    assert main(["import", "mentor-match", *args]) == code
    captured = capsys.readouterr()
    out = tmp_path / "out"
    roster = {r["email"].lower(): r for r in rows(out / "roster.csv")}
    apps = {r["employee_id"]: r for r in rows(out / "applications.csv")}
    return roster, apps, captured


def test_the_cli_writes_the_contract_files_names_the_bad_line_and_keeps_every_good_row(tmp_path, capsys, source):
    roster, apps, captured = imported(tmp_path, capsys, source())
    assert "mentors.csv, line 5 (MM" in captured.err and "grade: 'Grade 8' is not in the grades table" in captured.err
    assert f"known grades: {', '.join(GRADES)}" in captured.err
    assert "1 row(s) not imported" in captured.err and captured.err.count("✗") == 1
    assert set(roster) == {"ada.lovelace@example.gov.uk", "grace.hopper@example.gov.uk",
                           "katherine.johnson@example.gov.uk", "alan.turing@example.gov.uk",
                           "mary.jackson@example.gov.uk"}
    assert list(rows(tmp_path / "out" / "roster.csv")[0]) == ROSTER_COLUMNS
    assert list(rows(tmp_path / "out" / "applications.csv")[0]) == APPLICATION_COLUMNS
    ada, kat, alan = (roster[f"{n}@example.gov.uk"] for n in ("ada.lovelace", "katherine.johnson", "alan.turing"))
    assert ada == {**dict.fromkeys(ROSTER_COLUMNS, ""), "employee_id": mentor_match.employee_id("ada.lovelace@example.gov.uk"),
                   "full_name": "Ada Lovelace", "email": "ada.lovelace@example.gov.uk", "department": "Department of Joy",
                   "job_title": "Head of Analysis", "level": "5", "timezone": "Europe/London"}
    assert [roster[e]["level"] for e in sorted(roster)] == ["5", "3", "5", "4", "1"]  # ada, alan, grace, katherine, mary
    assert {apps[r["employee_id"]]["role"] for r in (ada, alan)} == {"mentor", "mentee"}
    # in both files (the address differs in case only): one person, role both, the first row's name
    assert apps[kat["employee_id"]]["role"] == "both" and kat["full_name"] == "Katherine Johnson"
    assert apps[kat["employee_id"]]["motivation"] == "I check the numbers.\n\nI want to lead."
    assert apps[ada["employee_id"]]["skills_offered"] == "policy profession:4" and not apps[ada["employee_id"]]["skills_wanted"]
    assert apps[alan["employee_id"]]["skills_wanted"] == "policy profession:3"
    assert apps[kat["employee_id"]]["skills_offered"] == "policy profession:4"
    assert apps[kat["employee_id"]]["skills_wanted"] == "policy profession:3"
    assert "2 mentor, 2 mentee, 1 both" in captured.out


def test_identity_answers_are_never_written_and_the_warning_says_so(tmp_path, capsys, source):
    _, _, captured = imported(tmp_path, capsys, source())
    written = "".join((tmp_path / "out" / name).read_text() for name in ("roster.csv", "applications.csv"))
    assert not any(word in written for word in ("Lesbian", "Transgender", "Bisexual"))
    assert "identity answers (characteristics, match with similar identity, identity to match) on 2 row(s) were " \
           "not imported" in captured.err
    assert "Lesbian" not in captured.err + captured.out and "Bisexual" not in captured.err + captured.out
    assert all((tmp_path / "out" / name).stat().st_mode & 0o077 == 0 for name in ("roster.csv", "applications.csv"))


def test_a_clean_import_exits_0_and_ids_are_the_same_on_every_run(tmp_path, capsys, source):
    args = source(mentors=MENTORS.replace("Grade 8", "Grade 7"))
    first, _, captured = imported(tmp_path, capsys, args, code=0)
    assert "✗" not in captured.err and len(first) == 6
    assert main(["import", "mentor-match", *args]) == 1  # the files are there: not overwritten silently
    assert "already exist" in capsys.readouterr().err
    again, _, _ = imported(tmp_path, capsys, [*args, "--force"], code=0)
    assert {e: r["employee_id"] for e, r in first.items()} == {e: r["employee_id"] for e, r in again.items()}
    assert first["bad.grade@example.gov.uk"]["level"] == "6"
    assert mentor_match.employee_id(" Ada.Lovelace@Example.gov.uk ") == first["ada.lovelace@example.gov.uk"]["employee_id"]


def test_a_grades_table_overrides_the_default(tmp_path, capsys, source):
    table = tmp_path / "grades.yaml"
    table.write_text(yaml.safe_dump({"grades": {"AA": 0, "AO": 1, "EO": 2, "HEO": 3, "SEO": 4, "Grade 8": 5}}))
    roster, _, captured = imported(tmp_path, capsys, [*source(), "--grades", str(table)], code=0)
    assert roster["bad.grade@example.gov.uk"]["level"] == "5" and roster["ada.lovelace@example.gov.uk"]["level"] == "4"
    assert roster["alan.turing@example.gov.uk"]["level"] == "2"
    assert f"levels from {table}" in captured.out


@pytest.mark.parametrize(("table", "words"), [
    ({"grades": {"EO": "three"}}, "grade 'EO': level 'three' must be a whole number 0-20"),
    ({"grades": {"EO": 3, "eo": 4}}, "grade 'eo' is listed twice"),
    ({"levels": {"EO": 3}}, "expected a mapping 'grades:'"),
])
def test_a_broken_grades_table_is_named_and_nothing_is_written(tmp_path, capsys, source, table, words):
    path = tmp_path / "grades.yaml"
    path.write_text(yaml.safe_dump(table))
    assert main(["import", "mentor-match", *source(), "--grades", str(path)]) == 1
    assert f"{path}: " in (err := capsys.readouterr().err) and words in err
    assert not (tmp_path / "out").exists()


def test_the_same_person_with_rows_that_disagree_is_left_out_and_named(tmp_path, capsys, source):
    mentees = MENTEES.replace("KATHERINE,Johnson,Katherine.Johnson@example.gov.uk,yes,Senior Analyst,HEO",
                              "KATHERINE,Johnson,Katherine.Johnson@example.gov.uk,yes,Senior Analyst,SEO")
    roster, _, captured = imported(tmp_path, capsys, source(mentees=mentees))
    assert "katherine.johnson@example.gov.uk" not in roster and len(roster) == 4
    assert "mentees.csv, line 3 (MM" in captured.err
    assert ("grade: the same person is on line 4 of mentors.csv with a different grade ('HEO' there, 'SEO' here); "
            "neither row was imported") in captured.err


def test_both_mentor_and_mentee_in_one_file_makes_role_both(tmp_path, capsys, source):
    mentees = MENTEES.replace("mary.jackson@example.gov.uk,no,", "mary.jackson@example.gov.uk,Yes,")
    roster, apps, _ = imported(tmp_path, capsys, source(mentees=mentees))
    mary = apps[roster["mary.jackson@example.gov.uk"]["employee_id"]]
    assert (mary["role"], mary["skills_offered"], mary["skills_wanted"]) == (
        "both", "ddat profession:4", "ddat profession:3")
    assert apps[roster["alan.turing@example.gov.uk"]["employee_id"]]["role"] == "mentee"


def test_a_repeated_address_in_one_file_keeps_the_first_row(tmp_path, capsys, source):
    mentees = MENTEES + "Alan,Turing,ALAN.TURING@example.gov.uk,no,Analyst,HEO,Department of Truth,Policy,no,,\n"
    roster, _, captured = imported(tmp_path, capsys, source(mentees=mentees))
    assert roster["alan.turing@example.gov.uk"]["level"] == "3"
    assert "mentees.csv, line 5 (MM" in captured.err and "the same address is already on line 2" in captured.err


@pytest.mark.parametrize(("line", "words"), [
    ("No,Email,,no,Analyst,EO,Dept,HR,no,,", "email address: empty"),
    ("Bad,Address,not-an-address,no,Analyst,EO,Dept,HR,no,,", "email address: not an email address"),
    (",,nameless@example.gov.uk,no,Analyst,EO,Dept,HR,no,,", "first name: first name and last name are both empty"),
    ("Maybe,Both,maybe@example.gov.uk,perhaps,Analyst,EO,Dept,HR,no,,", "'perhaps' must be yes or no"),
    ("No,Grade,nograde@example.gov.uk,no,Analyst,,Dept,HR,no,,", "grade: empty (known grades: AA"),
])
def test_each_bad_row_is_named_with_file_line_and_field(tmp_path, capsys, source, line, words):
    roster, _, captured = imported(tmp_path, capsys, source(mentees=MENTEES + line + "\n"))
    assert "mentees.csv, line 5 (" in captured.err and words in captured.err
    assert len(roster) == 5  # every good row came over


def test_a_file_without_a_required_column_stops_the_import(tmp_path, capsys, source):
    args = source(mentees=MENTEES.replace(",grade,", ",band,", 1))
    assert main(["import", "mentor-match", *args]) == 1
    err = capsys.readouterr().err
    assert "mentees.csv: the mentees' file lacks the column(s) grade of mentor-match's layout" in err
    assert not (tmp_path / "out").exists()


def test_the_rules_snippet_is_a_valid_part_of_a_cohort_file(tmp_path, capsys, source, cohorts_dir):
    imported(tmp_path, capsys, source())
    snippet = yaml.safe_load((tmp_path / "out" / "matching-rules.yaml").read_text())
    assert snippet["matching"]["rules"] == {"forbid_same_department": True, "min_level_gap": 1, "max_level_gap": 2,
                                            "max_mentees_per_mentor": 3}
    config = load_cohort(write_cohort(cohorts_dir, program_type=snippet["program_type"], matching=snippet["matching"]))
    assert config.matching.rules.forbid_same_department and config.matching.rules.max_level_gap == 2


def test_a_grades_table_with_wider_steps_widens_the_level_gaps():
    table = mentor_match.grade_table({"grades": {"AO": 2, "EO": 4, "HEO": 6}}, "t.yaml")
    assert mentor_match.level_gaps(table) == (2, 4) and "min_level_gap: 2 " in mentor_match.rules_yaml(table)


# -- through mentorflow's own gates ------------------------------------------------------------


def _gates_until_intake(config, store) -> None:
    summary = open_stage.import_roster(run_of(config, store, dt.date(2026, 1, 5)))
    assert summary["quarantined_rows"] == 0 and summary["people"] == 5
    stored = store.frame(people)
    assert admitted(stored).all() and stored["eligible"].all()
    assert intake.import_applications(run_of(config, store))["imported"] == 5
    assert not list(store.rows(quarantine, gate="intake"))


def test_the_output_passes_the_roster_and_intake_gates_and_gap_fill_asks_for_the_rest(tmp_path, capsys, source,
                                                                                      make_cohort):
    imported(tmp_path, capsys, source())
    out = tmp_path / "out"
    config, store = make_cohort((out / "roster.csv").read_bytes(), (out / "applications.csv").read_bytes())
    _gates_until_intake(config, store)
    assert intake.send_gapfill(run_of(config, store))["incomplete"] == 5
    assert len(list(store.rows(email_ledger, template="gapfill"))) == 5
    with pytest.raises(GateFailure, match="none of 5 applications is valid"):  # nobody has answered yet
        validate.validate_applications(run_of(config, store))
    checks = {r["reason"].split(":")[0] for r in store.rows(quarantine, gate="applications")}
    assert checks == {"applications.required_answers"}  # held only for what mentor-match never asks


def test_the_output_completed_with_the_missing_answers_is_valid(tmp_path, capsys, source, make_cohort):
    imported(tmp_path, capsys, source())
    out = tmp_path / "out"
    apps = pd.read_csv(out / "applications.csv", dtype=str, keep_default_na=False)
    apps["goals"] = "grow as a leader"  # what the gap-fill form asks for
    apps[[f"tipi_{i}" for i in range(1, 11)]] = "4"
    apps.loc[apps["role"] != "mentee", "capacity"] = "2"
    config, store = make_cohort((out / "roster.csv").read_bytes(), apps.to_csv(index=False).encode())
    _gates_until_intake(config, store)
    summary = validate.validate_applications(run_of(config, store))
    assert summary["valid"] == 5 and summary["quarantined"] == 0 and store.count(quarantine) == 0


# -- the rules in matching ---------------------------------------------------------------------


def _frames(tmp_path, capsys, source) -> tuple[pd.DataFrame, pd.DataFrame]:
    imported(tmp_path, capsys, source(mentors=MENTORS.replace("Grade 8", "Grade 7")), code=0)
    roster = pd.read_csv(tmp_path / "out" / "roster.csv", dtype=str, keep_default_na=False)
    roster["level"] = roster["level"].astype(int)
    roster["on_pip"] = False
    apps = pd.read_csv(tmp_path / "out" / "applications.csv", dtype=str, keep_default_na=False)
    return roster, apps


def test_imported_people_pair_across_organisations_within_two_grades_and_by_profession(tmp_path, capsys, source):
    roster, apps = _frames(tmp_path, capsys, source)
    snippet = yaml.safe_load(mentor_match.rules_yaml(mentor_match.grade_table(
        {"grades": dict(zip(GRADES, range(1, 12)))}, "default")))
    result = propose(MatchInput("traditional", MatchingRules(**snippet["matching"]["rules"]), roster, apps))
    name = dict(zip(roster["employee_id"], roster["full_name"]))
    pairs = {name[e]: name[m] for m, e in zip(result.pairs["mentor_id"], result.pairs["mentee_id"])}
    # by hand: Alan (EO, Policy, Truth) may have Ada or Grace (SEO, two grades up; Katherine shares his
    # department): Ada shares his profession. Katherine (HEO, Policy) may have Ada, Grace or Bad Grade
    # (Grade 7, Policy): Ada is taken (capacity 1), Bad Grade shares her profession. Mary (AA, Joy): Ada and
    # Bad Grade are in her department, everyone else is more than two grades up: nobody.
    assert pairs == {"Alan Turing": "Ada Lovelace", "Katherine Johnson": "Bad Grade"}
    mary = roster.loc[roster["full_name"] == "Mary Jackson", "employee_id"].item()
    [reason] = result.unmatched.loc[result.unmatched["employee_id"] == mary, "reason"]
    assert reason == ("every mentor who fits the level rule is in the same department or more than 2 level(s) apart "
                      "(the cohort's placement rules)")
    level = dict(zip(roster["employee_id"], roster["level"]))
    dept = dict(zip(roster["employee_id"], roster["department"]))
    assert all(dept[m] != dept[e] and 1 <= level[m] - level[e] <= 2
               for m, e in zip(result.pairs["mentor_id"], result.pairs["mentee_id"]))


@pytest.mark.parametrize("program_type", ["traditional", "reverse", "symbiotic"])
def test_placement_rules_hold_on_random_cohorts_and_bind_without_them(program_type):
    def broken(rules: MatchingRules) -> int:
        inp = random_instance(11, 120, program_type, rules=rules)
        result = propose(inp)
        people_ = inp.people.set_index("employee_id")
        return sum(people_.at[m, "department"] == people_.at[e, "department"]
                   or abs(int(people_.at[m, "level"]) - int(people_.at[e, "level"])) > 1
                   for m, e in zip(result.pairs["mentor_id"], result.pairs["mentee_id"]))

    assert broken(MatchingRules(top_k=50, min_level_gap=0)) > 0  # the rules are not satisfied by chance
    assert broken(MatchingRules(top_k=50, min_level_gap=0, forbid_same_department=True, max_level_gap=1)) == 0


def test_a_lock_that_breaks_a_placement_rule_is_not_applied_and_says_why():
    inp = random_instance(3, 60, "traditional", rules=MatchingRules(forbid_same_department=True), relations=False,
                          pip=False)
    people_ = inp.people.set_index("employee_id")
    role = dict(zip(inp.applications["employee_id"], inp.applications["role"]))
    mentor, mentee = next((m, e) for m in people_.index for e in people_.index
                          if role[m] == "mentor" and role[e] == "mentee" and m != e
                          and people_.at[m, "department"] == people_.at[e, "department"]
                          and people_.at[m, "level"] > people_.at[e, "level"])
    inp.locked_pairs = [(mentor, mentee)]
    result = propose(inp)
    assert any(f"lock {mentor}:{mentee} not applied: it breaks the cohort's placement rules (no pair in the same "
               "department)" in note for note in result.notes)
    assert not ((result.pairs["mentor_id"] == mentor) & (result.pairs["mentee_id"] == mentee)).any()


def test_max_level_gap_below_min_level_gap_is_refused():
    with pytest.raises(ValidationError, match=r"max_level_gap \(1\) is below min_level_gap \(2\)"):
        MatchingRules(min_level_gap=2, max_level_gap=1)
    assert MatchingRules(max_level_gap=3).max_level_gap == 3 and MatchingRules().max_level_gap is None


def test_the_matches_gate_checks_the_placement_rules_the_matcher_applies(tmp_path):
    """The gate holds every pair the placement rules forbid (a committee lock or a hand-edited proposal
    would otherwise reach kickoff) and no other pair for them."""
    inp = random_instance(5, 40, "traditional", rules=MatchingRules(), relations=False, pip=False)
    config = load_cohort(write_cohort(tmp_path, "placement-gate", matching={"rules": {
        "min_level_gap": 0, "max_level_gap": 1, "forbid_same_department": True}}))
    person = inp.people.set_index("employee_id")
    ids = list(person.index)
    everyone = pd.DataFrame([(a, b) for a in ids for b in ids if a != b], columns=["mentor_id", "mentee_id"])
    everyone["score"], everyone["explanation"] = 0.5, "x"
    checked = pair_suites.matches_batches(everyone, pd.DataFrame(columns=["employee_id", "role", "reason"]), inp,
                                          config, to_place=set())[0].frame
    checked = checked[~checked["forbidden"].fillna("").str.contains("avoid|former pair")]
    breaks = [person.at[m, "department"] == person.at[e, "department"]
              or abs(int(person.at[m, "level"]) - int(person.at[e, "level"])) > 1
              for m, e in zip(checked["mentor_id"], checked["mentee_id"])]
    held = checked["forbidden"].fillna("").str.contains(r"\(max_level_gap\)|\(forbid_same_department\)")
    assert any(breaks) and not all(breaks)
    assert held.tolist() == breaks
