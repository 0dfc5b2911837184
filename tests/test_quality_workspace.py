"""The ``workspace`` gate: rows of the partnership pages written around the forms (a direct write) are checked
again before pair health and the HR report count them. Each bad row is quarantined with its reason, every good
row is kept, and no private text reaches a quarantine row or the data-quality report; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import run_of
from forms_fixtures import COHORT, make_world
from workspace_rows import agree, feedback, goal, log, note, secrets

from mentorflow import settings
from mentorflow.quality import stage_gates
from mentorflow.reports import activity
from mentorflow.stages import pulse
from mentorflow.store import Store, milestones, quarantine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, cohorts_dir, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        Store(url).drop_all()
    else:
        url = f"sqlite:///{tmp_path / 'store.db'}"
    made = make_world(cohorts_dir, url)
    store = Store(url)
    yield made.config, store
    if request.param == "postgresql":
        store.drop_all()
    store.engine.dispose()


def _written(config, store):
    """Good rows in both pairs, and one bad row per check; returns the bad rows' record keys by check."""
    day = config.at(config.calendar.kickoff).date() + dt.timedelta(days=7)
    good = [log(store, COHORT, "pair-1", "E1", day), log(store, COHORT, "pair-1", "E2", day, "written", 5),
            log(store, COHORT, "pair-2", "E3", day, "call", 600)]
    bad = {"workspace.log_date": log(store, COHORT, "pair-1", "E2", day - dt.timedelta(days=30)),
           "workspace.log_minutes": log(store, COHORT, "pair-2", "E4", day, minutes=900),
           "workspace.log_mode": log(store, COHORT, "pair-2", "E3", day, mode="pigeon"),
           "workspace.log_author": log(store, COHORT, "pair-2", "E1", day)}  # E1 is not in E3 and E4's pair
    keys = {check: f"meeting_log:{entry}" for check, entry in bad.items()}
    for person in ("E1", "E2"):
        agree(store, COHORT, "pair-1", person)
    agree(store, COHORT, "pair-2", "E3", every="fortnightly-ish")
    agree(store, COHORT, "pair-2", "E4", modes="call;telepathy")
    keys["workspace.agreement_terms"] = {"agreements:pair-2:E3", "agreements:pair-2:E4"}
    feedback(store, COHORT, "pair-1", "E2", "book-1", rating=5)
    feedback(store, COHORT, "pair-1", "E1", "book-1", rating=None)
    feedback(store, COHORT, "pair-2", "E4", "book-1", rating=9)
    keys["workspace.resource_rating"] = "resource_feedback:pair-2:book-1:E4"
    goal(store, COHORT, "pair-1", "E2", milestones_set=2, reached=1)
    with store.begin() as conn:
        orphan = conn.execute(milestones.insert().values(goal_id=99999, title="orphan-secret-title",
                                                         created_at=dt.datetime.now(dt.UTC))).inserted_primary_key[0]
    keys["workspace.milestone_goal"] = f"milestones:{orphan}"
    return good, keys


def test_bad_rows_are_quarantined_with_reasons_and_good_rows_kept(world):
    config, store = world
    good, keys = _written(config, store)
    kept = stage_gates.check_workspace(config, store)

    held = store.rows(quarantine, cohort_id=COHORT, gate="workspace")
    by_check = {}
    for row in held:
        by_check.setdefault(row["reason"].split(":")[0], set()).add(row["record_key"])
    expected = {check: key if isinstance(key, set) else {key} for check, key in keys.items()}
    assert by_check == expected
    reasons = " | ".join(r["reason"] for r in held)
    assert "minutes is 900, must be 5-600" in reasons and "'pigeon' is not one of meeting, call, written" in reasons
    assert "its author is not a member of pair-2" in reasons and "outside the program" in reasons
    assert "'fortnightly-ish' is not one of week, two weeks, month" in reasons and "'telepathy'" in reasons
    assert "rating is 9, must be 1-5 or none" in reasons and "goal 99999 does not exist" in reasons
    assert all(r["status"] == "open" and r["severity"] == "soft" for r in held)

    assert sorted(kept["meeting_log"]["entry_id"]) == sorted(good)  # every good entry kept, no bad one
    assert sorted(kept["agreements"]["employee_id"]) == ["E1", "E2"]
    assert sorted(kept["resource_feedback"]["employee_id"]) == ["E1", "E2"]
    assert len(kept["milestones"]) == 2

    # no private text in the quarantine copies or the data-quality report; reasons name no person
    texts = [secrets(s, p)[k] for s, p in (("pair-1", "E1"), ("pair-1", "E2"), ("pair-2", "E3"), ("pair-2", "E4"))
             for k in ("note", "learn", "offer", "problem", "goal", "stone")] + ["orphan-secret-title"]
    copies = " ".join(r["row_json"] or "" for r in held)
    report = "".join(p.read_text() for p in (settings.reports_dir(COHORT) / "dq").glob("workspace-*.html"))
    assert report and "log_minutes" in report or "workspace.log_minutes" in report
    for text in texts:
        assert text not in copies and text not in report, text
    assert not any(person in r["reason"] for r in held for person in ("E1", "E2", "E3", "E4"))
    assert json.loads(held[0]["row_json"])  # the copy is there, only without the words


def test_a_second_run_adds_nothing_and_a_fix_at_the_source_closes_the_problem(world):
    config, store = world
    _, keys = _written(config, store)
    stage_gates.check_workspace(config, store)
    first = store.rows(quarantine, cohort_id=COHORT, gate="workspace")
    stage_gates.check_workspace(config, store)
    assert len(store.rows(quarantine, cohort_id=COHORT, gate="workspace")) == len(first)
    with store.begin() as conn:  # the orphan milestone is removed at the source
        conn.execute(milestones.delete().where(milestones.c.goal_id == 99999))
    stage_gates.check_workspace(config, store)
    (row,) = store.rows(quarantine, cohort_id=COHORT, gate="workspace", record_key=keys["workspace.milestone_goal"])
    assert row["status"] == "fixed"


def test_the_hr_counts_leave_out_what_the_gate_holds(world):
    config, store = world
    good, _ = _written(config, store)
    before = activity.figures(store, COHORT)
    stage_gates.check_workspace(config, store)
    after = activity.figures(store, COHORT)
    # before the gate: the 3 good exchanges, the one dated before kickoff, and pair-2's meeting that E4 (900
    # minutes) and E1 (not a member) both logged, counted once; an unknown mode is never counted
    assert sum(sum(r[m] for m in ("meeting", "call", "written")) for r in before["meetings"]) == 5
    assert sum(sum(r[m] for m in ("meeting", "call", "written")) for r in after["meetings"]) == 3
    assert (before["milestones"], after["milestones"]) == (2, 2)  # the orphan belongs to no goal of the cohort
    assert (before["agreed"], after["agreed"]) == (2, 1)  # pair-2's terms are held: it no longer counts as agreed


def test_the_pulse_stage_runs_the_gate_before_health(world):
    config, store = world
    _written(config, store)
    moment = config.at(config.calendar.kickoff) + dt.timedelta(days=30)
    pulse.assess_health(run_of(config, store, moment), "pulse-1")
    assert store.rows(quarantine, cohort_id=COHORT, gate="workspace")  # the bad rows were held on the way


def test_no_rows_no_gate_run(world):
    config, store = world
    assert stage_gates.check_workspace(config, store)["meeting_log"].empty
    assert not store.rows(quarantine, cohort_id=COHORT)
    assert note("pair-1", "E1") not in str(store.rows(quarantine))


def test_pair_health_does_not_count_a_log_entry_the_gate_holds(world):
    from mentorflow.store import matches
    from mentorflow.workspace import contact

    config, store = world
    day = config.at(config.calendar.kickoff).date() + dt.timedelta(days=7)
    period = next(f"pulse-{n}" for n in range(1, 20) if contact.span(config, f"pulse-{n}")[0] <= day
                  < contact.span(config, f"pulse-{n}")[1])
    log(store, COHORT, "pair-1", "E1", day)
    log(store, COHORT, "pair-2", "E4", day, "call", minutes=900)  # the only contact of pair 2, and a bad row
    pairs = store.frame(matches, cohort_id=COHORT)

    def calls() -> dict[int, int]:
        found = contact.logged_contact(config, store, period, pairs, config.at(config.calendar.close_out))
        return {int(r["match_id"]): int(r["call"]) + int(r["meeting"]) for r in found.to_dict("records")}

    assert calls() == {1: 1, 2: 1}
    stage_gates.check_workspace(config, store)
    assert calls().get(2, 0) == 0 and calls()[1] == 1


def test_the_page_offers_exactly_the_values_the_gate_accepts():
    """The forms and the gate read their vocabularies from different modules; they must agree, or the gate
    would hold what the page lets people write (or the page refuse what the gate accepts)."""
    from mentorflow.contract import workspace as contract
    from mentorflow.workspace import agreement, log
    from mentorflow.workspace.library import section as library

    assert tuple(log.MODES) == contract.LOG_MODES and log.MINUTES == contract.MINUTES
    assert tuple(agreement.FREQUENCIES) == contract.MEET_EVERY
    assert tuple(agreement.MODES) == contract.AGREEMENT_MODES
    assert [int(v) for v, _ in library.RATINGS] == list(range(contract.RATINGS[0], contract.RATINGS[1] + 1))
