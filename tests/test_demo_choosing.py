"""The demo's scripted choices write what the self-selection and offer forms would: requests among the mentors
recommended (at most the cohort's limit, in order), acceptances never beyond a mentor's capacity, a choice only
among the options offered (or none); once each, and nothing where the stages left nothing to answer."""

from __future__ import annotations

import datetime as dt

from conftest import ready_store, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo import choosing
from mentorflow.store import applications, offers, recommendations, selection_requests

MOMENT = dt.datetime(2026, 1, 5, 9, 22, tzinfo=dt.UTC)
MENTORS = [f"M{i}" for i in range(6)]
MENTEES = [f"E{i:02d}" for i in range(40)]


def _world(cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir, self_selection={"enabled": True, "requests": 2},
                                      matching={"rules": {"max_mentees_per_mentor": 2}}))
    store = ready_store(config)
    store.register_cohort(config)
    now = dt.datetime(2026, 1, 5, 9, 20, tzinfo=dt.UTC)
    store.upsert(applications, [
        {"cohort_id": config.cohort, "employee_id": e, "role": "mentor" if e in MENTORS else "mentee", "goals": "g",
         "capacity": 3 if e in MENTORS else None, "source": "csv", "status": "valid", "submitted_at": now}
        for e in MENTORS + MENTEES])
    return config, store


def test_nothing_to_answer_writes_nothing(cohorts_dir):
    config, store = _world(cohorts_dir)
    assert choosing.mentee_requests(config, store, 1, MOMENT) == 0
    assert choosing.mentor_answers(config, store, 1, MOMENT) == 0
    assert choosing.offer_choices(config, store, 1, MOMENT) == 0
    assert store.count(selection_requests) == 0


def test_mentees_request_recommended_mentors_and_mentors_accept_within_capacity(cohorts_dir):
    config, store = _world(cohorts_dir)
    shown = {e: [MENTORS[(i + k) % len(MENTORS)] for k in range(4)] for i, e in enumerate(MENTEES)}
    store.upsert(recommendations, [
        {"cohort_id": config.cohort, "mentee_id": e, "mentor_id": m, "rank": r, "score": 1.0 / r, "explanation": "x"}
        for e, mentors in shown.items() for r, m in enumerate(mentors, 1)])
    written = choosing.mentee_requests(config, store, 5, MOMENT)
    rows = store.rows(selection_requests, cohort_id=config.cohort)
    assert written == len(rows) > 0
    by_mentee: dict[str, list[dict]] = {}
    for r in rows:
        by_mentee.setdefault(r["mentee_id"], []).append(r)
    assert 0.5 * len(MENTEES) <= len(by_mentee) < len(MENTEES)  # most mentees ask, some do not
    for mentee, mine in by_mentee.items():
        assert len(mine) <= config.self_selection.requests
        assert sorted(r["preference"] for r in mine) == list(range(1, len(mine) + 1))
        assert {r["mentor_id"] for r in mine} <= set(shown[mentee][:2])
    assert choosing.mentee_requests(config, store, 5, MOMENT) == 0  # who asked is not asked again

    assert choosing.mentor_answers(config, store, 5, MOMENT) > 0
    after = store.rows(selection_requests, cohort_id=config.cohort)
    accepted = [r for r in after if r["status"] == "accepted"]
    assert accepted and any(r["status"] == "declined" for r in after)
    # the program caps a mentor at two mentees (the application offers three): never more are accepted
    assert max(sum(1 for r in accepted if r["mentor_id"] == m) for m in MENTORS) <= 2
    assert all(r["answered_at"] is not None for r in after if r["status"] != "requested")


def test_people_choose_only_among_what_they_were_offered_once(cohorts_dir):
    config, store = _world(cohorts_dir)
    options = ["circle;async;waitlist", "async;waitlist", "waitlist", ""]
    store.upsert(offers, [
        {"cohort_id": config.cohort, "employee_id": e, "role": "mentee", "reason": "no mentor had room",
         "options": options[i % len(options)], "status": "offered"} for i, e in enumerate(MENTEES)])
    chose = choosing.offer_choices(config, store, 9, MOMENT)
    rows = {r["employee_id"]: r for r in store.rows(offers, cohort_id=config.cohort)}
    answered = [r for r in rows.values() if r["choice"] is not None]
    assert chose == len(answered) and 0 < chose < 30  # 30 people had options; some leave theirs unanswered
    assert all(r["choice"] in r["options"].split(";") + ["none"] for r in answered)
    assert all(r["choice"] is None for r in rows.values() if not r["options"])  # nothing to choose from
    assert {r["choice"] for r in answered} >= {"circle", "async", "waitlist"}
    assert all(r["status"] == "offered" for r in rows.values())  # the stage applies a choice, not the person
    choosing.offer_choices(config, store, 10, MOMENT)  # again: a choice made is never changed
    again = {r["employee_id"]: r["choice"] for r in store.rows(offers, cohort_id=config.cohort)}
    assert all(again[r["employee_id"]] == r["choice"] for r in answered)
