"""The midpoint re-matches requesters and at-risk pairs only: a re-match request from the form counts;
everyone whose partnership ends is told which one and what comes next, and no one else is written to."""

import datetime as dt
import email
import email.policy

from conftest import ready_store, run_of, run_to_kickoff, write_cohort
from mentorflow import settings
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.stages import midpoint
from mentorflow.store import applications, email_ledger, matches, people, rematch_requests


def test_a_rematch_request_from_the_form_ends_that_pair_and_no_other(cohorts_dir):
    write_population(cohorts_dir / "data", 160, seed=21)
    config = load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"}))
    store = ready_store(config)
    run_to_kickoff(config, store)
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


# -- who is told what when partnerships end ----------------------------------------------------

NAMES = {"M1": "Mona Adler", "M2": "Milo Berg", "M3": "Mira Cole", "M4": "Max Dunn", "M5": "Mae Ernst",
         "M6": "Mats Falk", "M7": "Meg Gray", "M8": "Moe Hart", "E1": "Eli Ives", "E2": "Eva Jung",
         "E3": "Ezra Kemp", "E4": "Ena Lutz", "E5": "Emil Marx", "E6": "Edda Nolan", "E7": "Emre Ott",
         "E8": "Elin Pratt"}
ENDED = [("M1", "E1"), ("M2", "E2"), ("M3", "E3"), ("M5", "E5"), ("M6", "E7")]
KEPT = [("M3", "E4"), ("M4", "E6"), ("M8", "E8")]
# both partners of M1-E1 and M2-E2 re-homed; E3 moves to M4 (M3 keeps E4); E5 moves to M7 (who had no
# mentee; M5 lost their only mentee and is not re-matched); neither M6 nor E7 is re-matched
NEW = [("M1", "E2"), ("M2", "E1"), ("M4", "E3"), ("M7", "E5")]


def _midpoint_world(store, cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir))
    store.register_cohort(config)
    now = dt.datetime(2026, 1, 5, 10, 2, tzinfo=dt.timezone.utc)
    store.upsert(people, [{"cohort_id": config.cohort, "employee_id": pid, "full_name": name,
                           "email": f"{pid.lower()}@example.com", "job_title": "Analyst", "department": "Finance",
                           "level": 3, "on_pip": False, "eligible": True, "hire_date": dt.date(2020, 1, 1)}
                          for pid, name in NAMES.items()])
    store.upsert(applications, [{"cohort_id": config.cohort, "employee_id": pid, "goals": f"goals of {pid}",
                                 "role": "mentor" if pid.startswith("M") else "mentee", "source": "form",
                                 "status": "valid", "submitted_at": now} for pid in NAMES])
    rows = [{"cohort_id": config.cohort, "round": "initial", "mentor_id": m, "mentee_id": e, "score": 0.5,
             "explanation": "skills", "status": "ended", "created_at": now, "ended_at": now,
             "end_reason": "at risk in pulse-2" if m != "M1" else "partner asked to end"} for m, e in ENDED]
    rows += [{"cohort_id": config.cohort, "round": "initial", "mentor_id": m, "mentee_id": e, "score": 0.7,
              "explanation": "skills", "status": "active", "created_at": now, "ended_at": None, "end_reason": None}
             for m, e in KEPT]
    rows += [{"cohort_id": config.cohort, "round": "midpoint", "mentor_id": m, "mentee_id": e, "score": 0.6,
              "explanation": f"{NAMES[m]} offers what {NAMES[e]} wants", "status": "proposed", "created_at": now,
              "ended_at": None, "end_reason": None} for m, e in NEW]
    store.upsert(matches, rows)
    return config


def _plain(path) -> str:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()


def test_everyone_whose_partnership_ended_is_told_which_one_and_what_comes_next(store, cohorts_dir):
    config = _midpoint_world(store, cohorts_dir)
    midpoint.activate_rematches(run_of(config, store))
    outbox = settings.outbox_dir(config.cohort) / "rematch" / "midpoint"
    told = {p.stem: _plain(p) for p in outbox.glob("*.eml")}
    ended_people = {p for pair in ENDED for p in pair}
    gaining = {m for m, _ in NEW}
    assert set(told) == ended_people | gaining  # people in untouched pairs (E4, E6, M8, E8) hear nothing
    ledger = [r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort)]
    assert sorted(ledger) == sorted(told)  # one midpoint email each
    for mentor, mentee in ENDED:
        for me, partner in ((mentor, mentee), (mentee, mentor)):
            text = told[me]
            assert text.count(" has ended") == 1 and f"Your partnership with {NAMES[partner]} has ended" in text, me
            assert "at risk" not in text.lower() and "asked to end" not in text, me  # no reason, no blame
    new_partner = {me: partner for m, e in NEW for me, partner in ((m, e), (e, m))}
    for me, partner in new_partner.items():
        assert f"Your new partner: {NAMES[partner]}" in told[me], me
    assert "You stay in the program with Ena Lutz" in told["M3"]
    for me in ("M5", "M6", "E7"):
        assert "The program team will be in touch" in told[me] and "Your new partner" not in told[me], me
    for me in ("M4", "M7"):  # gain a mentee, lost no one
        assert "has ended" not in told[me]
    assert {m["status"] for m in store.rows(matches, cohort_id=config.cohort, round="midpoint")} == {"active"}
