"""Matching inside the pipeline (program store on SQLite and PostgreSQL) and the what-if CLI."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import run_of, write_cohort
from mentorflow import settings
from mentorflow.cli import main as cli
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.stages import intake, match, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import matches, people, unmatched


@pytest.fixture
def proposed_cohort(store, cohorts_dir):
    """A 150-person cohort imported, validated and matched once (initial round)."""
    write_population(cohorts_dir / "data", 150, seed=8)
    config = load_cohort(write_cohort(cohorts_dir, store={"url": str(store.url)}))
    store.register_cohort(config)
    open_stage.import_roster(run_of(config, store, config.calendar.application_open.date()))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    match.propose_matches(run_of(config, store))
    return config


def _pairs(store, config) -> set[tuple[str, str]]:
    return {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort, status="proposed")}


def test_committee_resolve_honours_locks_and_forbids_and_reports_bad_items(store, proposed_cohort):
    config = proposed_cohort
    before = _pairs(store, config)
    forbidden = sorted(before)[0]
    roster = store.frame(people, cohort_id=config.cohort).set_index("employee_id")
    mentors = {m for m, _ in before}
    left = [u["employee_id"] for u in store.rows(unmatched, cohort_id=config.cohort, round="initial")]
    mentee = next(e for e in left if any(roster.at[m, "level"] - roster.at[e, "level"] >= 1 and
                                         roster.at[e, "manager_id"] != m for m in mentors))
    mentor = next(m for m in sorted(mentors) if roster.at[m, "level"] - roster.at[mentee, "level"] >= 1
                  and roster.at[mentee, "manager_id"] != m and (m, mentee) != forbidden)
    response = {"chosen_options": ["Re-solve"],
                "params_input": {"locks": f"{mentor}:{mentee};nonsense", "forbids": f"{forbidden[0]}:{forbidden[1]}"}}
    summary = match.resolve_matches(run_of(config, store), response)
    after = _pairs(store, config)
    assert (mentor, mentee) in after
    assert forbidden not in after
    assert summary["notes"][0] == "locks, item 2 'nonsense': expected mentor_id:mentee_id"
    assert summary["committee_locks"] == [[mentor, mentee]]
    text = match.committee_summary(config, store, "initial", summary["notes"])
    assert "Note: locks, item 2" in text and f"{len(after)} proposed pairs" in text
    report = (settings.reports_dir(config.cohort) / "matches-initial.html").read_text()
    assert "Fairness audit" in report and "locked by the matching committee" in report


def test_match_cli_writes_matches_csv_and_report_from_csv_inputs(cohorts_dir, tmp_path, capsys):
    write_population(cohorts_dir / "data", 200, seed=9)
    cohort = write_cohort(cohorts_dir, "whatif-cohort", matching={"rules": {"max_mentees_per_mentor": 1}})
    out = tmp_path / "whatif"
    code = cli.main(["match", "--cohort", str(cohort), "--out", str(out), "--today", "2026-01-05", "--certify"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "scoring" in printed and "pruning lost at most" in printed
    pairs = pd.read_csv(out / "matches.csv")
    left = pd.read_csv(out / "unmatched.csv")
    assert len(pairs) > 10
    assert pairs["mentee_id"].is_unique and pairs["mentor_id"].is_unique  # capacity 1 from the YAML
    assert set(pairs["mentee_id"]).isdisjoint(left["employee_id"])
    roster = pd.read_csv(cohorts_dir / "data" / "roster.csv").set_index("employee_id")
    assert (roster.loc[pairs["mentor_id"], "level"].to_numpy() > roster.loc[pairs["mentee_id"], "level"].to_numpy()).all()
    html = (out / "reports" / "whatif-cohort" / "matches-initial.html").read_text()
    assert "Fairness audit" in html and "Groups under 5 people are suppressed" in html


def test_match_cli_names_a_missing_file(cohorts_dir, tmp_path, capsys):
    cohort = write_cohort(cohorts_dir, "whatif-cohort")
    code = cli.main(["match", "--cohort", str(cohort), "--out", str(tmp_path / "o"), "--roster",
                     str(tmp_path / "nope.csv")])
    assert code == 1
    assert "nope.csv" in capsys.readouterr().err
