"""The midpoint re-matches requesters and at-risk pairs only: a re-match request from the form counts."""

import datetime as dt

from conftest import ready_store, write_cohort
from mentorflow.cohorts.config import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.stages import pipeline
from mentorflow.store import email_ledger, matches, rematch_requests


def test_a_rematch_request_from_the_form_ends_that_pair_and_no_other(cohorts_dir):
    write_population(cohorts_dir / "data", 160, seed=21)
    config = load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"}))
    store = ready_store(config)
    pipeline.import_roster(config, store, dt.date(2026, 1, 5))
    pipeline.import_applications(config, store)
    pipeline.validate_applications(config, store)
    pipeline.propose_matches(config, store)
    pipeline.approve_matches(config, store)
    pipeline.send_kickoff(config, store)
    active = store.rows(matches, cohort_id=config.cohort, status="active")
    asked = active[0]
    store.upsert(rematch_requests, [{"cohort_id": config.cohort, "match_id": asked["match_id"],
                                     "requester_id": asked["mentee_id"], "reason": "schedule", "comment": "",
                                     "submitted_at": dt.datetime.now(dt.timezone.utc)}])
    summary = pipeline.rematch(config, store)
    assert summary["ended"] == 1
    ended = store.rows(matches, cohort_id=config.cohort, status="ended")
    assert [m["match_id"] for m in ended] == [asked["match_id"]] and ended[0]["end_reason"] == "partner asked to end"
    untouched = {m["match_id"] for m in store.rows(matches, cohort_id=config.cohort, status="active")}
    assert untouched == {m["match_id"] for m in active[1:]}
    pipeline.activate_rematches(config, store)
    noticed = {r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="rematch")}
    new = store.rows(matches, cohort_id=config.cohort, round="midpoint")
    affected = {asked["mentor_id"], asked["mentee_id"]} | {p for m in new for p in (m["mentor_id"], m["mentee_id"])}
    assert noticed and noticed <= affected
    assert all((m["mentor_id"], m["mentee_id"]) != (asked["mentor_id"], asked["mentee_id"]) for m in new)
