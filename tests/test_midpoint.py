"""The midpoint re-matches requesters and at-risk pairs only: a re-match request from the form counts."""

import datetime as dt

from conftest import ready_store, run_of, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.stages import intake, kickoff, match, midpoint, validate
from mentorflow.stages import open as open_stage
from mentorflow.store import email_ledger, matches, rematch_requests


def test_a_rematch_request_from_the_form_ends_that_pair_and_no_other(cohorts_dir):
    write_population(cohorts_dir / "data", 160, seed=21)
    config = load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"}))
    store = ready_store(config)
    open_stage.import_roster(run_of(config, store, dt.date(2026, 1, 5)))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    match.propose_matches(run_of(config, store))
    match.approve_matches(run_of(config, store))
    kickoff.send_kickoff(run_of(config, store))
    active = store.rows(matches, cohort_id=config.cohort, status="active")
    asked = active[0]
    store.upsert(rematch_requests, [{"cohort_id": config.cohort, "match_id": asked["match_id"],
                                     "requester_id": asked["mentee_id"], "reason": "schedule", "comment": "",
                                     "submitted_at": dt.datetime.now(dt.timezone.utc)}])
    summary = midpoint.rematch(run_of(config, store))
    assert summary["ended"] == 1
    ended = store.rows(matches, cohort_id=config.cohort, status="ended")
    assert [m["match_id"] for m in ended] == [asked["match_id"]] and ended[0]["end_reason"] == "partner asked to end"
    untouched = {m["match_id"] for m in store.rows(matches, cohort_id=config.cohort, status="active")}
    assert untouched == {m["match_id"] for m in active[1:]}
    midpoint.activate_rematches(run_of(config, store))
    noticed = {r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="rematch")}
    new = store.rows(matches, cohort_id=config.cohort, round="midpoint")
    affected = {asked["mentor_id"], asked["mentee_id"]} | {p for m in new for p in (m["mentor_id"], m["mentee_id"])}
    assert noticed and noticed <= affected
    assert all((m["mentor_id"], m["mentee_id"]) != (asked["mentor_id"], asked["mentee_id"]) for m in new)
