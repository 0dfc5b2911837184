"""The data-quality gates catch each corrupted input at the right gate, with the right words, and keep
every good row. Runs the real pipeline steps against a real program store and real Great Expectations."""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest
from conftest import run_of
from mentorflow import settings
from mentorflow.demo.synthetic import ROSTER_COLUMNS
from mentorflow.errors import GateFailure
from mentorflow.quality import stage_gates
from mentorflow.roster.eligibility import admitted
from mentorflow.stages import closeout, intake, match, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import Store, applications, email_ledger, people, quarantine
from quality_fixtures import (
    APPLICATION_SOFT,
    BOTH_STORES,
    INTAKE_SOFT,
    ROSTER_SOFT,
    good_applications,
    good_roster,
    management_cycle,
    write_rows,
)

OPENED = dt.date(2026, 1, 5)


def held(store: Store, gate: str, **where) -> list[dict]:
    return [r for r in store.rows(quarantine, gate=gate, **where)]


def stored_ids(store: Store) -> set[str]:
    """People whose roster rows passed the gate (held rows are kept too, for their manager link only)."""
    roster = store.frame(people)
    return set(roster.loc[admitted(roster), "employee_id"]) if len(roster) else set()


# -- roster -----------------------------------------------------------------------------------


def assert_caught(rows: list[dict], case, broken: list[str]) -> None:
    mine = [r for r in rows if r["reason"].startswith(case.check + ": ") and case.words in r["reason"]]
    assert {r["record_key"] for r in mine} == set(broken), (case.name, rows)
    assert all(r["severity"] == "soft" and r["status"] == "open" for r in mine), mine


@BOTH_STORES
def test_roster_soft_problems_are_quarantined_with_reasons_and_good_rows_kept(make_cohort):
    roster = good_roster()
    broken = {case.name: case.corrupt(roster) for case in ROSTER_SOFT}
    config, store = make_cohort(roster)
    summary = open_stage.import_roster(run_of(config, store, OPENED))
    rows = held(store, "roster")
    for case in ROSTER_SOFT:
        assert_caught(rows, case, broken[case.name])
    every_broken = {e for ids in broken.values() for e in ids}
    assert {r["record_key"] for r in rows} == every_broken
    assert stored_ids(store) == set(roster["employee_id"]) - every_broken
    kept = {p["employee_id"]: p for p in store.rows(people) if p["employee_id"] in every_broken}
    assert set(kept) == every_broken and not any(p["eligible"] for p in kept.values())
    by_id = roster.set_index("employee_id")
    assert all(p["manager_id"] == by_id.at[e, "manager_id"] and p["eligibility_reason"].startswith(
        "roster row held by the data-quality gate (roster.") for e, p in kept.items())
    assert summary["quarantined_rows"] == len(every_broken) and summary["people"] == len(roster) - len(every_broken)
    report = (settings.reports_dir(config.cohort) / "dq-roster.html").read_text()
    assert all(case.check in report for case in ROSTER_SOFT) and "Mars/Olympus_Mons" in report


def test_the_report_escapes_what_the_file_says(make_cohort):
    roster = good_roster()
    roster.at[2, "timezone"] = "<script>alert(1)</script>"
    config, store = make_cohort(roster)
    open_stage.import_roster(run_of(config, store, OPENED))
    report = (settings.reports_dir(config.cohort) / "dq-roster.html").read_text()
    assert "<script>alert" not in report and "&lt;script&gt;alert(1)&lt;/script&gt;" in report


def test_a_management_cycle_stops_the_open_stage_naming_check_count_and_rows(make_cohort, caplog):
    roster = good_roster()
    cycle = management_cycle(roster)
    config, store = make_cohort(roster)
    with caplog.at_level("INFO", logger="mentorflow"), pytest.raises(GateFailure) as failure:
        open_stage.import_roster(run_of(config, store, OPENED))
    [logged] = [r.getMessage() for r in caplog.records if "data-quality report" in r.getMessage()]
    assert logged.startswith("mentorflow data-quality report for gate roster: ") and logged.split(": ", 1)[1] in str(
        failure.value)
    message = str(failure.value)
    assert "roster.no_management_cycles" in message and f"failed for 3 of {len(roster)} rows" in message
    assert all(member in message for member in cycle) and "expect_column_values_to_be_null" in message
    assert "dq/roster-" in message  # the report of this run
    assert store.count(people) == 0  # nothing downstream ran


def test_the_hard_failure_fails_the_airflow_task_without_retries(make_cohort):
    import pendulum
    from airflow.sdk.exceptions import AirflowFailException
    from mentorflow.orchestration.tasks import run_stage

    roster = good_roster()
    roster.at[7, "employee_id"] = roster.at[6, "employee_id"]
    config, store = make_cohort(roster)
    context = {"run_id": "t1", "logical_date": pendulum.instance(config.at(config.calendar.application_open))}
    with pytest.raises(AirflowFailException, match=r"roster.unique_ids .* failed for 2 of 40 rows"):
        run_stage(open_stage.import_roster, config.cohort, context)
    assert store.count(people) == 0 and store.count(email_ledger) == 0


def test_severity_comes_from_the_cohort_file(make_cohort):
    roster = good_roster()
    cycle = management_cycle(roster)
    config, store = make_cohort(roster, quality={"severity": {"roster.no_management_cycles": "soft"}})
    open_stage.import_roster(run_of(config, store, OPENED))
    assert {r["record_key"] for r in held(store, "roster")} == set(cycle)
    assert stored_ids(store) == set(roster["employee_id"]) - set(cycle)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "roster.header: the header lacks employee_id, full_name"),
        (b"id,name\n1,x\n", "roster.header: the header lacks employee_id"),
        (",".join(ROSTER_COLUMNS).encode() + b"\n", "roster.not_empty: the file has a header but no data rows"),
    ],
    ids=["empty file", "wrong header", "header only"],
)
def test_whole_file_problems_stop_the_gate(make_cohort, content, words):
    config, store = make_cohort(content)
    with pytest.raises(GateFailure, match=words.replace("(", r"\(")):
        open_stage.import_roster(run_of(config, store, OPENED))
    assert store.count(people) == 0


def test_a_row_that_is_not_utf8_is_quarantined_and_the_rest_kept(make_cohort, tmp_path):
    roster = good_roster()
    write_rows(tmp_path / "r.csv", roster, ROSTER_COLUMNS)
    lines = (tmp_path / "r.csv").read_bytes().split(b"\n")
    victim = roster.at[8, "employee_id"]
    lines[9] = lines[9].replace(b",", b",Ren\xe9e ", 1)  # latin-1 byte in the name of row 8 (line 10)
    config, store = make_cohort(b"\n".join(lines))
    open_stage.import_roster(run_of(config, store, OPENED))
    [row] = held(store, "roster")
    assert row["record_key"] == victim
    assert row["reason"].startswith("roster.encoding: line 10 is not valid UTF-8")
    assert stored_ids(store) == set(roster["employee_id"]) - {victim}


def test_a_released_roster_row_is_admitted_by_the_next_import(make_cohort, capsys):
    from mentorflow.cli.main import main

    roster = good_roster()
    [orphan] = ROSTER_SOFT[1].corrupt(roster)
    config, store = make_cohort(roster)
    open_stage.import_roster(run_of(config, store, OPENED))
    [row] = held(store, "roster")
    assert main(["quarantine", "list", config.cohort, "--gate", "roster"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[1].split()[:6] == [str(row["id"]), "roster", "open", "soft", orphan, "15"]
    assert main(["quarantine", "release", config.cohort, str(row["id"])]) == 0
    open_stage.import_roster(run_of(config, store, OPENED))
    assert orphan in stored_ids(store)
    assert [r["status"] for r in held(store, "roster")] == ["released"]


def test_a_problem_fixed_at_the_source_is_closed(make_cohort, cohorts_dir):
    roster = good_roster()
    ROSTER_SOFT[2].corrupt(roster)
    config, store = make_cohort(roster)
    open_stage.import_roster(run_of(config, store, OPENED))
    write_rows(cohorts_dir / "data" / "roster.csv", good_roster(), ROSTER_COLUMNS)
    open_stage.import_roster(run_of(config, store, OPENED))
    assert [r["status"] for r in held(store, "roster")] == ["fixed"]
    assert store.count(people) == len(roster)


# -- applications -----------------------------------------------------------------------------


def run_intake_and_validate(config, store) -> dict:
    open_stage.import_roster(run_of(config, store, OPENED))
    intake.import_applications(run_of(config, store))
    return validate.validate_applications(run_of(config, store))


def statuses(store: Store) -> dict[str, str]:
    return {a["employee_id"]: a["status"] for a in store.rows(applications)}


def test_good_applications_all_pass(make_cohort):
    roster = good_roster()
    apps = good_applications(roster)
    config, store = make_cohort(roster, apps)
    summary = run_intake_and_validate(config, store)
    assert summary["valid"] == len(apps) and summary["quarantined"] == 0
    assert store.count(quarantine) == 0


@BOTH_STORES
def test_each_bad_application_is_caught_at_its_gate_and_the_rest_go_on_to_matching(make_cohort):
    roster = good_roster()
    apps = good_applications(roster)
    at_validate = {case.name: case.corrupt(apps) for case in APPLICATION_SOFT}
    at_intake = {case.name: case.corrupt(apps) for case in INTAKE_SOFT}
    config, store = make_cohort(roster, apps)
    summary = run_intake_and_validate(config, store)
    for case in INTAKE_SOFT:
        assert_caught(held(store, "intake"), case, at_intake[case.name])
    for case in APPLICATION_SOFT:
        assert_caught(held(store, "applications"), case, at_validate[case.name])
    never_stored = {e for ids in at_intake.values() for e in ids}
    quarantined = {e for ids in at_validate.values() for e in ids}
    assert statuses(store) == {e: ("quarantined" if e in quarantined else "valid")
                               for e in apps["employee_id"] if e not in never_stored}
    assert summary["valid"] == len(apps) - len(never_stored) - len(quarantined)
    assert (settings.reports_dir(config.cohort) / "dq-intake.html").exists()


def test_missing_answers_trigger_a_gapfill_email_from_the_validate_stage(make_cohort):
    roster = good_roster()
    apps = good_applications(roster)
    [incomplete] = APPLICATION_SOFT[0].corrupt(apps)
    config, store = make_cohort(roster, apps)
    summary = run_intake_and_validate(config, store)
    assert summary["gapfill"]["sent"] == 1
    [sent] = store.rows(email_ledger, template="gapfill")
    assert sent["person_id"] == incomplete and sent["period"] == "gaps-goals"


def test_one_application_per_person_at_intake(make_cohort):
    roster = good_roster()
    apps = good_applications(roster)
    twice = pd.concat([apps, apps.iloc[[3]]], ignore_index=True)
    config, store = make_cohort(roster, twice)
    open_stage.import_roster(run_of(config, store, OPENED))
    intake.import_applications(run_of(config, store))
    rows = held(store, "intake")
    assert [r["record_key"] for r in rows] == [apps.at[3, "employee_id"]] * 2
    assert {r["reason"].rsplit("line ", 1)[1] for r in rows} == {"5)", f"{len(twice) + 1})"}
    assert store.count(applications) == len(apps) - 1


def test_an_applicant_on_a_performance_plan_is_held_by_the_eligibility_check(make_cohort):
    roster = good_roster()
    apps = good_applications(roster)
    on_plan = apps.at[6, "employee_id"]
    roster.loc[roster["employee_id"] == on_plan, "on_pip"] = "true"
    config, store = make_cohort(roster, apps)
    run_intake_and_validate(config, store)
    [row] = held(store, "applications")
    assert row["record_key"] == on_plan
    assert row["reason"] == "eligibility.rules: not eligible under the cohort's eligibility rules"
    report = (settings.reports_dir(config.cohort) / "dq-applications.html").read_text(encoding="utf-8")
    assert not {"on_pip", "pip", "hire_date", "tenure_days"} & set(json.loads(row["row_json"]))
    for told in (row["reason"], report):
        assert not re.search(r"\bpip\b|on_pip|improvement plan", told, re.IGNORECASE), told


def test_an_unreadable_plan_flag_is_held_without_repeating_it(make_cohort):
    roster = good_roster()
    unclear = roster.at[4, "employee_id"]
    roster.loc[roster["employee_id"] == unclear, "on_pip"] = "on plan"
    config, store = make_cohort(roster)
    open_stage.import_roster(run_of(config, store, OPENED))
    [row] = held(store, "roster")
    assert row["record_key"] == unclear and "on plan" not in row["reason"] and row["reason"].startswith("roster.pip_flags")
    assert "on plan" not in (settings.reports_dir(config.cohort) / "dq-roster.html").read_text(encoding="utf-8")


def test_ineligible_applicants_all_look_alike_whatever_the_rule(make_cohort):
    """A plan, too short a tenure, another department: the same check and words, so none stands out."""
    roster = good_roster()
    apps = good_applications(roster)
    on_plan, new_hire, elsewhere = (apps.at[i, "employee_id"] for i in (6, 7, 8))
    roster.loc[roster["employee_id"] == on_plan, "on_pip"] = "true"
    roster.loc[roster["employee_id"] == new_hire, "hire_date"] = (OPENED + dt.timedelta(days=10)).isoformat()
    roster.loc[roster["employee_id"] == elsewhere, "department"] = "Elsewhere"
    departments = sorted(set(roster["department"]) - {"Elsewhere"})
    config, store = make_cohort(roster, apps, eligibility={"min_tenure_days": 0, "departments": departments})
    run_intake_and_validate(config, store)
    rows = held(store, "applications")
    assert {r["record_key"] for r in rows} == {on_plan, new_hire, elsewhere}
    assert {r["reason"] for r in rows} == {"eligibility.rules: not eligible under the cohort's eligibility rules"}
    assert len({frozenset(json.loads(r["row_json"])) for r in rows}) == 1


@BOTH_STORES
def test_release_makes_an_application_valid_and_reject_rules_it_out_for_good(make_cohort, capsys):
    from mentorflow.cli.main import main

    roster = good_roster()
    apps = good_applications(roster)
    [released] = APPLICATION_SOFT[2].corrupt(apps)
    [rejected] = APPLICATION_SOFT[0].corrupt(apps)
    config, store = make_cohort(roster, apps)
    run_intake_and_validate(config, store)
    ids = {r["record_key"]: r["id"] for r in held(store, "applications")}
    assert main(["quarantine", "release", config.cohort, str(ids[released])]) == 0
    assert main(["quarantine", "reject", config.cohort, str(ids[rejected])]) == 0
    out = capsys.readouterr().out
    assert f"application {released} is now valid (usable for matching)" in out
    assert f"application {rejected} is now rejected" in out
    validate.validate_applications(run_of(config, store))  # the override holds, the rejection stays
    assert statuses(store)[released] == "valid" and statuses(store)[rejected] == "rejected"
    assert main(["quarantine", "list", config.cohort, "--status", "released"]) == 0
    listing = capsys.readouterr().out
    assert released in listing and rejected not in listing and "1 row(s)" in listing
    assert main(["quarantine", "release", config.cohort, "999999"]) == 1


# -- matches, pulse ---------------------------------------------------------------------------


@pytest.fixture
def validated(make_cohort):
    def make(**overrides):
        roster = good_roster()
        config, store = make_cohort(roster, good_applications(roster), **overrides)
        run_intake_and_validate(config, store)
        return config, store

    return make


def broken_proposal(config, store):
    """A real proposal, then one mentor given more mentees than any capacity allows (taken from other pairs)."""
    from mentorflow.matching import propose

    inp = match.match_input(config, store)
    result = propose(inp)
    mentor = result.pairs.iloc[0].mentor_id
    needed = config.matching.rules.max_mentees_per_mentor + 1 - int((result.pairs["mentor_id"] == mentor).sum())
    moved_pairs = result.pairs[result.pairs["mentor_id"] != mentor].head(needed)
    moved = list(moved_pairs["mentee_id"])
    result.pairs = pd.concat([result.pairs.drop(moved_pairs.index), pd.DataFrame(
        [{"mentor_id": mentor, "mentee_id": m, "score": 0.5, "explanation": "x"} for m in moved])], ignore_index=True)
    return inp, result, mentor, moved


def test_the_match_gate_stops_a_proposal_over_capacity(validated):

    config, store = validated()
    inp, result, mentor, _ = broken_proposal(config, store)
    with pytest.raises(GateFailure, match=rf"matches.capacity .* mentor {mentor} has \d mentees, capacity"):
        stage_gates.check_proposal(config, store, result, inp)


def test_a_soft_match_gate_drops_the_offending_pairs_and_gives_their_mentees_a_reason(validated):

    config, store = validated(quality={"severity": {"matches.capacity": "soft"}})
    inp, result, mentor, extra = broken_proposal(config, store)
    before, dropped = len(result.pairs), int((result.pairs["mentor_id"] == mentor).sum())
    checked = stage_gates.check_proposal(config, store, result, inp)
    assert dropped > 1 and len(checked.pairs) == before - dropped and mentor not in set(checked.pairs["mentor_id"])
    reasons = dict(zip(checked.unmatched["employee_id"], checked.unmatched["reason"]))
    assert all("held by the data-quality gate (matches.capacity" in reasons[m] for m in extra)


def test_propose_matches_passes_the_match_gate(validated):
    config, store = validated()
    summary = match.propose_matches(run_of(config, store))
    assert summary["pairs"] > 0
    assert (settings.reports_dir(config.cohort) / "dq-matches.html").exists()
    assert held(store, "matches") == []


def test_pulse_answers_out_of_range_or_from_outsiders_never_reach_the_health_score(validated):
    from mentorflow.store import matches

    config, store = validated()
    match.propose_matches(run_of(config, store))
    pair = store.rows(matches)[0]
    base = {"cohort_id": config.cohort, "period": "pulse-1", "match_id": pair["match_id"], "meetings": 2,
            "satisfaction": 4, "goal_progress": 4, "follow_through": 4, "comment": "", "wants_end": False}
    responses = pd.DataFrame([
        {**base, "respondent_id": pair["mentor_id"]},
        {**base, "respondent_id": pair["mentee_id"], "satisfaction": 9},
        {**base, "respondent_id": "E000001" if "E000001" not in (pair["mentor_id"], pair["mentee_id"]) else "E000002"},
    ])
    kept = stage_gates.check_pulse(config, store, responses)
    assert list(kept["respondent_id"]) == [pair["mentor_id"]]
    reasons = sorted(r["reason"] for r in held(store, "pulse"))
    assert reasons[0].startswith("pulse.respondent_in_pair: ")
    assert reasons[1] == "pulse.value_ranges: satisfaction is 9, must be 1-5"


def test_a_mentor_of_two_answers_once_per_pair_and_a_repeat_about_one_pair_is_held(validated):
    from mentorflow.store import matches

    config, store = validated()
    match.propose_matches(run_of(config, store))
    by_mentor: dict[str, list] = {}
    for pair in store.rows(matches):
        by_mentor.setdefault(pair["mentor_id"], []).append(pair)
    mentor, pairs = next((m, p) for m, p in by_mentor.items() if len(p) >= 2)
    base = {"cohort_id": config.cohort, "period": "pulse-1", "respondent_id": mentor, "meetings": 2,
            "satisfaction": 4, "goal_progress": 4, "follow_through": 4, "comment": "", "wants_end": False}
    answers = pd.DataFrame([{**base, "match_id": pairs[0]["match_id"]}, {**base, "match_id": pairs[1]["match_id"]}])
    assert len(stage_gates.check_pulse(config, store, answers)) == 2
    assert held(store, "pulse") == []
    repeated = pd.concat([answers, answers.iloc[:1]], ignore_index=True)
    kept = stage_gates.check_pulse(config, store, repeated)
    assert list(kept["match_id"]) == [pairs[1]["match_id"]]
    assert [r["reason"] for r in held(store, "pulse")] == [
        f"pulse.one_per_person: {mentor} answered more than once about pair {pairs[0]['match_id']} for pulse-1"]


def test_closeout_evaluations_that_fail_the_gate_stay_out_of_the_hr_report(validated):
    from mentorflow.reports import hr_figures
    from mentorflow.store import evaluations, matches

    config, store = validated()
    match.propose_matches(run_of(config, store))
    pair = store.rows(matches)[0]
    outsider = next(e for e in stored_ids(store) if e not in {m[k] for m in store.rows(matches)
                                                              for k in ("mentor_id", "mentee_id")})
    now = dt.datetime.now(dt.timezone.utc)
    base = {"cohort_id": config.cohort, "role": "mentee", "goals_met": 4, "satisfaction": 4, "recommend": 9,
            "comment": "", "submitted_at": now}
    store.upsert(evaluations, [{**base, "employee_id": pair["mentee_id"]},
                               {**base, "employee_id": pair["mentor_id"], "role": "mentor", "recommend": 11},
                               {**base, "employee_id": outsider}])
    summary = closeout.build_hr_report(run_of(config, store))
    reasons = sorted(r["reason"] for r in held(store, "closeout"))
    assert reasons == [f"closeout.participant: {outsider} was in no pair of this cohort",
                       "closeout.value_ranges: recommend is 11, must be 0-10"]
    assert summary["report"] and hr_figures.figures(config, store, stage_gates.check_closeout(config, store))["outcomes"]["all"]["n"] == 1
