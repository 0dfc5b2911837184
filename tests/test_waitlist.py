"""The waitlist: freed capacity at the midpoint goes to the people waiting, the longest-waiting first (even
when a later-joined person fits the mentor better); whoever is still waiting at close-out is carried into
the next cohort of the program, told once, and matched first there; every step re-run changes nothing."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import email
import email.policy
from pathlib import Path

import pandas as pd
from conftest import ready_store, run_of, run_to_kickoff, write_cohort
from mentorflow import settings
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.matching import MatchInput, MatchResult, phases, propose
from mentorflow.stages import closeout, intake, match, midpoint, validate, waitlist, waitlist_carry
from mentorflow.stages import open as open_stage
from mentorflow.stages.match import match_input
from mentorflow.store import applications, email_ledger, matches, people, rematch_requests, unmatched
from mentorflow.store import waitlist as waitlist_table

UTC = dt.UTC
ROSTER = ["employee_id", "full_name", "email", "department", "job_title", "level", "manager_id", "location",
          "timezone", "hire_date", "on_pip"]
APPS = ["employee_id", "role", "motivation", "prior_experience", "skills_offered", "skills_wanted", "goals",
        "preferred_traits", *[f"tipi_{i}" for i in range(1, 11)], "capacity", "hours_per_month",
        "preferred_partners", "avoid_partners", "share_goals", "affinity_network", "affinity_match",
        "affinity_consent"]
# the mentee who fits a python mentor best wants python most and says so in their goals; the one who
# waited longest barely wants it
WANTS = {"E1": ("python:3", "Write better python scripts"),
         "WOLD": ("budgeting:3;python:1", "Plan a team budget"),
         "WNEW": ("python:5", "Become the python expert of my team: python testing, python packaging"),
         "N1": ("python:5", "Become the python expert of my team: python testing, python packaging")}
MENTOR = ("python:5", "Help newer colleagues grow their python: python testing, python packaging")


def person(pid: str, level: int, manager: str, department: str) -> dict:
    return {"employee_id": pid, "full_name": f"Person {pid.title()}", "email": f"{pid.lower()}@example.com",
            "department": department, "job_title": "Analyst", "level": level, "manager_id": manager,
            "location": "Berlin", "timezone": "Europe/Berlin", "hire_date": "2019-01-07", "on_pip": "false"}


def application(pid: str, role: str, capacity: int = 1) -> dict:
    offered, wanted, goals = (MENTOR[0], "", MENTOR[1]) if role == "mentor" else ("", *WANTS[pid])
    return {"employee_id": pid, "role": role, "motivation": "I want to grow and help others grow.",
            "prior_experience": "none", "skills_offered": offered, "skills_wanted": wanted, "goals": goals,
            "preferred_traits": "curious", **{f"tipi_{i}": 4 for i in range(1, 11)},
            "capacity": capacity if role == "mentor" else "", "hours_per_month": 4.0, "preferred_partners": "",
            "avoid_partners": "", "share_goals": "yes", "affinity_network": "", "affinity_match": "",
            "affinity_consent": ""}


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
    return str(path.relative_to(path.parents[1]))


def world(cohorts_dir: Path, cohort: str, mentees: list[str], mentors: list[str], *, roster_extra=(), day=5,
          **overrides):
    """A small traditional cohort: python mentors in Engineering, mentees in Finance (no reporting line)."""
    people = [person("C0", 7, "", "Operations"), person("D1", 6, "C0", "Finance")]
    people += [person(m, 5, "C0", "Engineering") for m in mentors]
    people += [person(e, 2, "D1", "Finance") for e in [*mentees, *roster_extra]]
    apps = [application(m, "mentor") for m in mentors] + [application(e, "mentee") for e in mentees]
    sources = {"roster_csv": write_csv(cohorts_dir / "data" / f"{cohort}-roster.csv", ROSTER, people),
               "applications_csv": write_csv(cohorts_dir / "data" / f"{cohort}-apps.csv", APPS, apps)}
    calendar = {k: f"2026-01-{day:02d}T{t}" for k, t in (("application_open", "09:00:00"),
                                                       ("application_close", "09:20:00"), ("kickoff", "09:30:00"),
                                                       ("midpoint", "10:02:00"), ("close_out", "10:40:00"))}
    config = load_cohort(write_cohort(cohorts_dir, cohort, sources=sources, calendar=calendar,
                                      committee={"review_mode": "auto"}, **overrides))
    return config, ready_store(config)


def at(config, name: str) -> dt.datetime:
    return config.at(getattr(config.calendar, name))


def wait(store, config, pid: str, since: dt.datetime, **extra) -> None:
    store.upsert(waitlist_table, [{"cohort_id": config.cohort, "employee_id": pid, "role": "mentee",
                                   "status": "waiting", "waiting_since": since, "joined_at": since, **extra}])


def row(store, cohort: str, pid: str) -> dict:
    return store.rows(waitlist_table, cohort_id=cohort, employee_id=pid)[0]


def sent(store, cohort: str, template: str) -> list[str]:
    return sorted(r["person_id"] for r in store.rows(email_ledger, cohort_id=cohort, template=template))


def live(store, cohort: str, round_name: str) -> list[tuple[str, str]]:
    return sorted((m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=cohort, round=round_name)
                  if m["status"] in ("proposed", "approved", "active"))


def spring(cohorts_dir):
    """Spring: one python mentor (MA, one mentee) locked to E1; WOLD and WNEW wait for a partner."""
    config, store = world(cohorts_dir, "spring", ["E1", "WOLD", "WNEW"], ["MA"],
                          matching={"locks": [["MA", "E1"]]})
    run_to_kickoff(config, store)
    assert live(store, "spring", "initial") == [("MA", "E1")]
    left = {r["employee_id"] for r in store.rows(unmatched, cohort_id="spring", round="initial")}
    assert {"WOLD", "WNEW"} <= left  # the round's unmatched mentees are the ones the offers put on the waitlist
    wait(store, config, "WOLD", dt.datetime(2025, 9, 1, tzinfo=UTC))  # e.g. carried from an earlier cohort
    wait(store, config, "WNEW", at(config, "kickoff"))
    return config, store


def plain(path: Path) -> str:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()


def fits_better(config, store, mentor: str, better: str, other: str) -> None:
    """Without priority, the optimizer gives ``mentor``'s one slot to ``better`` (the test means something)."""
    busy = [(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort, status="active")]
    inp = match_input(config, store, moment=at(config, "midpoint"), seekers={better, other}, fixed_pairs=busy)
    pairs = propose(inp).pairs
    assert len(pairs) == 1, pairs  # one slot for two
    assert [(m, e) for m, e in zip(pairs["mentor_id"], pairs["mentee_id"]) if m == mentor] == [(mentor, better)]


def test_a_mentor_with_room_goes_to_the_longest_waiting_person_first(cohorts_dir):
    config, store = spring(cohorts_dir)
    # a mentor with room: MC joined late (roster and a valid application), one mentee
    store.upsert(applications, [{**{k: v for k, v in application("MC", "mentor").items() if not k.startswith("tipi")},
                                 **{f"tipi_{i}": 4 for i in range(1, 11)}, "capacity": 1, "share_goals": True,
                                 "affinity_match": None, "affinity_consent": None, "affinity_network": None,
                                 "cohort_id": "spring", "source": "form", "status": "valid",
                                 "submitted_at": at(config, "kickoff")}])
    store.upsert(people, [{"cohort_id": "spring", "employee_id": "MC", "full_name": "Person Mc",
                           "email": "mc@example.com", "department": "Engineering", "job_title": "Analyst",
                           "level": 5, "manager_id": "C0", "location": "Berlin", "timezone": "Europe/Berlin",
                           "hire_date": dt.date(2019, 1, 7), "on_pip": False, "eligible": True}])
    fits_better(config, store, "MC", "WNEW", "WOLD")

    summary = midpoint.rematch(run_of(config, store, at(config, "midpoint")))
    assert summary["ended"] == 0 and summary["new_pairs"] == 1
    assert live(store, "spring", "midpoint") == [("MC", "WOLD")]  # waited longer, although WNEW fits better
    reasons = {r["employee_id"]: r["reason"] for r in store.rows(unmatched, cohort_id="spring", round="midpoint")}
    assert reasons == {"WNEW": waitlist.STILL_WAITING}
    assert midpoint.rematch(run_of(config, store, at(config, "midpoint")))["unchanged"] is True

    for _ in range(2):
        midpoint.activate_rematches(run_of(config, store, at(config, "midpoint")))
    placed = row(store, "spring", "WOLD")
    pair = store.rows(matches, cohort_id="spring", round="midpoint")[0]
    assert (placed["status"], placed["placed_match_id"]) == ("placed", pair["match_id"]) and pair["status"] == "active"
    assert placed["placed_at"] is not None
    assert row(store, "spring", "WNEW")["status"] == "waiting"
    assert sent(store, "spring", "rematch") == ["MC", "WOLD"]  # introduced once each; nobody else written to


def test_a_pair_that_ends_frees_its_mentor_for_the_waitlist(cohorts_dir):
    config, store = spring(cohorts_dir)
    # WNEW leaves the waitlist: one waiting person, one freed slot
    with store.begin() as conn:
        conn.execute(waitlist_table.update().where(waitlist_table.c.employee_id == "WNEW").values(status="left"))
    pair = store.rows(matches, cohort_id="spring", status="active")[0]
    store.upsert(rematch_requests, [{"cohort_id": "spring", "match_id": pair["match_id"], "requester_id": "E1",
                                     "reason": "schedule", "comment": "", "submitted_at": at(config, "kickoff")}])
    summary = midpoint.rematch(run_of(config, store, at(config, "midpoint")))
    assert summary["ended"] == 1
    assert live(store, "spring", "midpoint") == [("MA", "WOLD")]
    # E1, freed, cannot be paired with MA again; accounted for with the matcher's reason
    assert "E1" in {r["employee_id"] for r in store.rows(unmatched, cohort_id="spring", round="midpoint")}
    midpoint.activate_rematches(run_of(config, store, at(config, "midpoint")))
    assert row(store, "spring", "WOLD")["status"] == "placed"
    assert "WOLD" in sent(store, "spring", "rematch")


def test_the_still_waiting_are_carried_told_once_and_matched_first_next_cohort(cohorts_dir):
    config, store = spring(cohorts_dir)
    summer, _ = world(cohorts_dir, "summer", ["N1"], ["MB"], roster_extra=["WNEW", "WOLD"], day=6,
                      name="Summer Mentoring")
    midpoint.rematch(run_of(config, store, at(config, "midpoint")))  # no capacity: both stay waiting
    midpoint.activate_rematches(run_of(config, store, at(config, "midpoint")))
    assert {r["status"] for r in store.rows(waitlist_table, cohort_id="spring")} == {"waiting"}

    done = closeout.complete_pairs(run_of(config, store, at(config, "close_out")))
    assert done["waitlist"]["carried"] == 2 and done["waitlist"]["carried_to"] == "summer"
    again = closeout.complete_pairs(run_of(config, store, at(config, "close_out")))
    assert again["waitlist"]["carried"] == 0
    for pid in ("WOLD", "WNEW"):
        old = row(store, "spring", pid)
        assert (old["status"], old["carried_to"]) == ("carried", "summer")
        new = row(store, "summer", pid)
        assert (new["status"], new["carried_from"]) == ("waiting", "spring")
        assert waitlist.as_utc(new["waiting_since"]) == waitlist.as_utc(old["waiting_since"])
    assert sent(store, "spring", "waitlist_carried") == ["WNEW", "WOLD"]  # told once each
    told = {p.stem: plain(p) for p in (settings.outbox_dir("spring") / "waitlist_carried" / "closeout").glob("*.eml")}
    assert len(told) == 2
    for text in told.values():
        assert "moves to Summer Mentoring" in text and "You are matched first there" in text
        assert "You do not need to apply again" in text

    # summer: the carried people need not apply again (their application is copied, then gated)
    open_stage.import_roster(run_of(summer, store, at(summer, "application_open")))
    intake.import_applications(run_of(summer, store, at(summer, "application_open")))
    for _ in range(2):
        validate.validate_applications(run_of(summer, store, at(summer, "application_close")))
    copied = {a["employee_id"]: a for a in store.rows(applications, cohort_id="summer")}
    assert copied["WNEW"]["source"] == "carried" and copied["WNEW"]["status"] == "valid"
    assert copied["WNEW"]["goals"] == WANTS["WNEW"][1]
    assert len(store.rows(waitlist_table, cohort_id="summer")) == 2

    # MB has one slot; N1 (new) fits MB as well as WNEW, WOLD less: the carried ones come first, oldest first
    fits_better(summer, store, "MB", "N1", "WOLD")
    summary = match.propose_matches(run_of(summer, store, at(summer, "application_close")))
    assert live(store, "summer", "initial") == [("MB", "WOLD")]
    assert "1 person carried from the waitlist of spring was matched first" in summary["committee_text"]
    match.approve_matches(run_of(summer, store, at(summer, "kickoff")))
    assert row(store, "summer", "WOLD")["status"] == "placed"
    assert row(store, "summer", "WNEW")["status"] == "waiting"
    assert match.propose_matches(run_of(summer, store, at(summer, "application_close")))["unchanged"] is True
    assert match.approve_matches(run_of(summer, store, at(summer, "kickoff"))) == {"approved": 0}


def test_with_carry_waitlist_off_nobody_is_carried_or_told(cohorts_dir):
    config, store = world(cohorts_dir, "spring", ["E1", "WOLD", "WNEW"], ["MA"], matching={"locks": [["MA", "E1"]]},
                          alternatives={"carry_waitlist": False})
    run_to_kickoff(config, store)
    wait(store, config, "WOLD", dt.datetime(2025, 9, 1, tzinfo=UTC))
    world(cohorts_dir, "summer", ["N1"], ["MB"], day=6)
    closeout.complete_pairs(run_of(config, store, at(config, "close_out")))
    assert row(store, "spring", "WOLD")["status"] == "waiting"
    assert store.rows(waitlist_table, cohort_id="summer") == [] and sent(store, "spring", "waitlist_carried") == []


def test_with_no_next_cohort_yet_the_waitlist_waits_to_be_picked_up(cohorts_dir):
    config, store = spring(cohorts_dir)
    done = closeout.complete_pairs(run_of(config, store, at(config, "close_out")))
    assert done["waitlist"]["carried_to"] is None
    assert {(r["status"], r["carried_to"]) for r in store.rows(waitlist_table, cohort_id="spring")} == {("carried", None)}
    assert sent(store, "spring", "waitlist_carried") == ["WNEW", "WOLD"]
    # a cohort of another program type does not take them; the next traditional one does, at its validate stage
    other, _ = world(cohorts_dir, "reverse-run", ["N1"], ["MB"], day=6, program_type="reverse")
    assert waitlist_carry.pick_up(other, store, at(other, "application_close"))["waiting"] == 0
    autumn, _ = world(cohorts_dir, "autumn", ["N1"], ["MB"], roster_extra=["WNEW"], day=7)
    open_stage.import_roster(run_of(autumn, store, at(autumn, "application_open")))
    assert waitlist_carry.pick_up(autumn, store, at(autumn, "application_close")) == {"waiting": 2,
                                                                                      "applications_copied": 1}
    assert {r["carried_to"] for r in store.rows(waitlist_table, cohort_id="spring")} == {"autumn"}
    assert waitlist_carry.pick_up(autumn, store, at(autumn, "application_close")) == {"waiting": 0,
                                                                                      "applications_copied": 0}


def test_phases_without_a_waitlist_are_one_plain_solve(cohorts_dir):
    config, store = world(cohorts_dir, "plain", ["E1", "WOLD", "WNEW"], ["MA"])
    run_to_kickoff(config, store)
    inp = match_input(config, store, moment=at(config, "application_close"))
    nobody_considered = dataclasses.replace(inp, priority=[{"NOT-AN-APPLICANT"}])
    plain, phased = propose(inp), propose(nobody_considered)
    assert pd.DataFrame.equals(plain.pairs[["mentor_id", "mentee_id"]], phased.pairs[["mentor_id", "mentee_id"]])
    assert waitlist.priority_groups([]) == []


def test_the_next_cohort_is_the_earliest_of_the_program_opening_after_kickoff(cohorts_dir):
    spring_ = load_cohort(write_cohort(cohorts_dir, "spring"))
    during = load_cohort(write_cohort(cohorts_dir, "during", calendar={"application_open": "2026-01-05T09:25:00",
                                                                       "application_close": "2026-01-05T09:28:00"}))
    later = load_cohort(write_cohort(cohorts_dir, "later", calendar={
        "application_open": "2026-01-09T09:00:00", "application_close": "2026-01-09T09:20:00",
        "kickoff": "2026-01-09T09:30:00", "midpoint": "2026-01-09T10:02:00", "close_out": "2026-01-09T10:40:00"}))
    sooner = load_cohort(write_cohort(cohorts_dir, "sooner", calendar={
        "application_open": "2026-01-08T09:00:00", "application_close": "2026-01-08T09:20:00",
        "kickoff": "2026-01-08T09:30:00", "midpoint": "2026-01-08T10:02:00", "close_out": "2026-01-08T10:40:00"}))
    other = load_cohort(write_cohort(cohorts_dir, "other", program_type="reverse", calendar=sooner.calendar.model_dump(
        mode="json")))
    found = waitlist_carry.next_cohort(spring_, [spring_, during, later, sooner, other])
    assert found is not None and found.cohort == "sooner"
    assert waitlist_carry.next_cohort(spring_, [spring_, during, other]) is None


def test_waiting_people_are_grouped_oldest_first_and_equal_times_share_a_group():
    since = [dt.datetime(2026, 1, 5, 9, 30), dt.datetime(2025, 9, 1, tzinfo=UTC), dt.datetime(2026, 1, 5, 9, 30, tzinfo=UTC)]
    rows = [{"employee_id": e, "waiting_since": s} for e, s in zip(["A", "B", "C"], since)]
    assert waitlist.priority_groups(rows) == [{"B"}, {"A", "C"}]


def test_the_matcher_leaves_out_priority_people_it_cannot_consider():
    """A waiting person without a valid application (or already in a kept pair) is no phase of their own."""
    inp = MatchInput(program_type="traditional", rules=None, people=pd.DataFrame({"employee_id": ["A", "B", "C", "D"]}),
                     applications=pd.DataFrame({"employee_id": ["A", "B", "C"]}), fixed_pairs=[("M", "C")],
                     priority=[{"D"}, {"B"}, {"A", "C", "X"}])
    solved: list[tuple[set[str] | None, list]] = []

    def solve(phase: MatchInput) -> MatchResult:
        solved.append((phase.seekers, list(phase.fixed_pairs)))
        assert phase.priority == []
        empty = pd.DataFrame(columns=["mentor_id", "mentee_id"])
        return MatchResult(pairs=empty, unmatched=pd.DataFrame(columns=["employee_id", "role", "reason"]))

    phases.propose_in_phases(inp, solve)
    assert [seekers for seekers, _ in solved] == [{"B"}, {"A"}, None]


def test_approval_places_waiting_partners_once_in_a_symbiotic_round(store):
    """Both partners of a symbiotic pair may have waited; a mentor's waiting row is not a placement."""
    now = dt.datetime(2026, 1, 5, 10, 2, tzinfo=UTC)
    store.upsert(matches, [{"cohort_id": "sym", "round": "midpoint", "mentor_id": a, "mentee_id": b, "score": 0.5,
                            "explanation": "x", "status": "approved", "created_at": now} for a, b in [("P1", "P2"),
                                                                                                      ("M1", "E9")]])
    store.upsert(waitlist_table, [{"cohort_id": "sym", "employee_id": e, "role": role, "status": "waiting",
                                   "waiting_since": now, "joined_at": now}
                                  for e, role in [("P1", "partner"), ("P2", "partner"), ("M1", "mentor"), ("P3", "partner")]])
    for expected in (2, 0):
        with store.begin() as conn:
            assert waitlist.place_approved(conn, "sym", "midpoint", now) == expected
    status = {r["employee_id"]: r["status"] for r in store.rows(waitlist_table, cohort_id="sym")}
    assert status == {"P1": "placed", "P2": "placed", "M1": "waiting", "P3": "waiting"}
    ids = {m["mentor_id"]: m["match_id"] for m in store.rows(matches, cohort_id="sym")}
    assert {r["placed_match_id"] for r in store.rows(waitlist_table, cohort_id="sym", status="placed")} == {ids["P1"]}


def test_a_symbiotic_midpoint_accounts_for_every_waiting_person(cohorts_dir):
    """Symbiotic: both partners of a pair that ends and the waiting people look for partners; each waiting
    person is in a new pair (and placed when it is activated) or still waiting with the reason."""
    write_population(cohorts_dir / "data", 120, seed=5, program_type="symbiotic")
    config = load_cohort(write_cohort(cohorts_dir, program_type="symbiotic", committee={"review_mode": "auto"}))
    store = ready_store(config)
    run_to_kickoff(config, store)
    left = sorted(r["employee_id"] for r in store.rows(unmatched, cohort_id=config.cohort, round="initial"))
    assert len(left) >= 2
    for i, pid in enumerate(left[:4]):
        store.upsert(waitlist_table, [{"cohort_id": config.cohort, "employee_id": pid, "role": "partner",
                                       "status": "waiting", "waiting_since": dt.datetime(2025, 1 + i, 1, tzinfo=UTC),
                                       "joined_at": at(config, "kickoff")}])
    pair = store.rows(matches, cohort_id=config.cohort, status="active")[0]
    store.upsert(rematch_requests, [{"cohort_id": config.cohort, "match_id": pair["match_id"],
                                     "requester_id": pair["mentee_id"], "reason": "schedule", "comment": "",
                                     "submitted_at": at(config, "kickoff")}])
    midpoint.rematch(run_of(config, store, at(config, "midpoint")))
    new = store.rows(matches, cohort_id=config.cohort, round="midpoint")
    paired = {p for m in new for p in (m["mentor_id"], m["mentee_id"])}
    reasons = {r["employee_id"]: r["reason"] for r in store.rows(unmatched, cohort_id=config.cohort, round="midpoint")}
    for pid in left[:4]:
        assert pid in paired or reasons.get(pid) == waitlist.STILL_WAITING
    assert {pair["mentor_id"], pair["mentee_id"]} <= paired | set(reasons)
    midpoint.activate_rematches(run_of(config, store, at(config, "midpoint")))
    placed = {r["employee_id"] for r in store.rows(waitlist_table, cohort_id=config.cohort, status="placed")}
    assert placed == set(left[:4]) & paired
    assert placed <= set(sent(store, config.cohort, "rematch"))
