"""Groups that are groups: in a group cohort a mentor's pairs share one group id, each member gets one
introduction (other members named only with their consent), one check-in per group, an answer about the
group stored for each of the person's pairs in it, and a group health score in the report and the alert."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re

import pandas as pd
import pytest
from conftest import ready_store, run_of, run_to_kickoff, write_cohort
from forms_fixtures import COHORT, GOOD_PULSE, add_group, make_world
from mentorflow import settings
from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import Health
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.synthetic import write_population
from mentorflow.outcomes import group_health
from mentorflow.outcomes.health import AT_RISK, CHECK_IN, ON_TRACK, score_pairs
from mentorflow.stages import groups, kickoff, pulse
from mentorflow.store import (
    applications,
    email_ledger,
    matches,
    people,
    pulse_responses,
)
from mentorflow.store import group_health as group_health_table

NOW = dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc)


def _eml(cohort: str, template: str, period: str, person: str) -> tuple[str, str]:
    path = settings.outbox_dir(cohort) / template / period / f"{person}.eml"
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return str(message["Subject"]).strip(), message.get_body(("plain",)).get_content()


@pytest.fixture
def group_cohort(cohorts_dir, monkeypatch):
    """A small group cohort (mentors lead up to 3 mentees) through kickoff; every other mentee of each group
    agreed to be named to the group (applications.group_consent), set just before the introductions."""
    write_population(cohorts_dir / "data", 60, seed=5, program_type="group")
    config = load_cohort(write_cohort(cohorts_dir, program_type="group", committee={"review_mode": "auto"},
                                      matching={"rules": {"group_size": 3}}))
    store = ready_store(config)
    consenting: set[str] = set()
    send_kickoff = kickoff.send_kickoff

    def consent_then_kickoff(run):
        approved = store.rows(matches, cohort_id=config.cohort, status="approved")
        for group in groups.groups_of(approved).values():
            consenting.update(group["members"][::2])
        with store.begin() as conn:
            conn.execute(applications.update().where(applications.c.cohort_id == config.cohort,
                                                     applications.c.employee_id.in_(consenting))
                         .values(group_consent=True))
        return send_kickoff(run)

    monkeypatch.setattr(kickoff, "send_kickoff", consent_then_kickoff)
    run_to_kickoff(config, store)
    yield config, store, consenting
    store.engine.dispose()


# -- group ids ---------------------------------------------------------------------------------------

def test_every_pair_of_a_group_cohort_carries_its_mentors_group_id(group_cohort):
    config, store, _ = group_cohort
    pairs = store.rows(matches, cohort_id=config.cohort)
    assert len(pairs) >= 6 and all(p["group_id"] is not None for p in pairs)
    by_mentor: dict[str, set[int]] = {}
    for p in pairs:
        by_mentor.setdefault(p["mentor_id"], set()).add(p["group_id"])
    assert all(len(ids) == 1 for ids in by_mentor.values())  # one group per mentor ...
    ids = [next(iter(i)) for i in by_mentor.values()]
    assert len(set(ids)) == len(ids)  # ... and no two mentors share one
    assert any(sum(p["mentor_id"] == m for p in pairs) > 1 for m in by_mentor)  # real groups, not pairs


def test_a_one_to_one_cohort_keeps_null_group_ids(cohorts_dir):
    write_population(cohorts_dir / "data", 40, seed=5)
    config = load_cohort(write_cohort(cohorts_dir, committee={"review_mode": "auto"}))
    store = ready_store(config)
    run_to_kickoff(config, store)
    pairs = store.rows(matches, cohort_id=config.cohort)
    assert pairs and all(p["group_id"] is None for p in pairs)
    assert store.count(email_ledger, cohort_id=config.cohort, template="group_kickoff") == 0
    assert store.count(email_ledger, cohort_id=config.cohort, template="kickoff") > 0


def test_a_midpoint_mentee_joins_the_mentors_group_and_new_groups_never_clash_with_circles(store, cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir, program_type="group"))
    store.register_cohort(config)
    row = {"cohort_id": config.cohort, "score": 0.5, "explanation": "x", "created_at": NOW}
    store.upsert(matches, [
        {**row, "round": "initial", "mentor_id": "M1", "mentee_id": "A", "status": "active", "group_id": 1},
        {**row, "round": "initial", "mentor_id": "M1", "mentee_id": "B", "status": "active", "group_id": 1},
        {**row, "round": "circle", "mentor_id": "M2", "mentee_id": "C", "status": "active", "group_id": 7},
    ])
    new = [{"mentor_id": "M1", "mentee_id": "D"}, {"mentor_id": "M2", "mentee_id": "E"},
           {"mentor_id": "M3", "mentee_id": "F"}, {"mentor_id": "M3", "mentee_id": "G"}]
    with store.begin() as conn:
        got = groups.with_group_ids(conn, config, new)
    # M1 keeps group 1; M2's circle is not their group-program group: a new id after the circle's 7
    assert [p["group_id"] for p in got] == [1, 8, 9, 9]
    one_to_one = load_cohort(write_cohort(cohorts_dir, "plain"))
    with store.begin() as conn:
        assert groups.with_group_ids(conn, one_to_one, new) == new


# -- kickoff -----------------------------------------------------------------------------------------

def test_each_member_gets_one_introduction_naming_consenting_members_only(group_cohort):
    config, store, consenting = group_cohort
    everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
    pairs = store.rows(matches, cohort_id=config.cohort)
    in_groups = {pid for p in pairs for pid in (p["mentor_id"], p["mentee_id"])}
    sent = [r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="group_kickoff")]
    assert sorted(sent) == sorted(in_groups)  # exactly one each, nobody twice
    assert store.count(email_ledger, cohort_id=config.cohort, template="kickoff") == 0
    assert {p["status"] for p in pairs} == {"active"}
    checked = 0
    found = groups.groups_of(pairs)
    groups_of_person = {pid: sum(pid in (g["leader"], *g["members"]) for g in found.values()) for pid in in_groups}
    for group in found.values():
        leader, members = group["leader"], group["members"]
        subject, text = _eml(config.cohort, "group_kickoff", "kickoff", leader)
        assert all(everyone[m]["full_name"] in text and everyone[m]["email"] in text for m in members)
        assert subject.startswith("Meet your mentoring group")
        for me in members:
            if groups_of_person[me] > 1:  # someone who leads a group and is a member of another: one email too
                continue
            subject, text = _eml(config.cohort, "group_kickoff", "kickoff", me)
            assert subject == f"Meet your mentoring group, led by {everyone[leader]['full_name']}"
            assert everyone[leader]["email"] in text
            others = [m for m in members if m != me]
            for other in others:
                shown = everyone[other]["email"] in text
                assert shown == (other in consenting), (me, other)
            hidden = sum(o not in consenting for o in others)
            if hidden:
                assert re.search(rf"\b{hidden} (more )?members? who chose not to be named", text)
                checked += 1
    assert checked  # at least one member saw someone counted rather than named


def test_the_kickoff_sends_nothing_twice(group_cohort):
    config, store, _ = group_cohort
    before = store.count(email_ledger, cohort_id=config.cohort)
    store_rows = store.rows(matches, cohort_id=config.cohort)
    with store.begin() as conn:  # as if the approval were re-run and kickoff retried
        conn.execute(matches.update().where(matches.c.cohort_id == config.cohort).values(status="approved"))
    kickoff.send_kickoff(run_of(config, store))
    assert store.count(email_ledger, cohort_id=config.cohort) == before
    assert len(store.rows(matches, cohort_id=config.cohort)) == len(store_rows)


# -- pulse -------------------------------------------------------------------------------------------

def test_one_check_in_per_person_per_group_naming_the_group(group_cohort):
    config, store, _ = group_cohort
    first = calendar.pulse_dates(config)[0]
    summary = pulse.send_pulse(run_of(config, store, first))
    pairs = store.rows(matches, cohort_id=config.cohort, status="active")
    in_groups = {pid for p in pairs for pid in (p["mentor_id"], p["mentee_id"])}
    asked = [r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="pulse")]
    assert sorted(asked) == sorted(in_groups) and summary["sent"] == len(in_groups)
    group_id, group = next((g, v) for g, v in groups.groups_of(pairs).items() if len(v["members"]) > 1)
    everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
    period = summary["period"]
    _, leader_text = _eml(config.cohort, "pulse", period, group["leader"])
    assert f"your group with {len(group['members'])} members (you lead it)" in leader_text
    assert not any(everyone[m]["full_name"] in leader_text for m in group["members"])  # the group, not each pair
    _, member_text = _eml(config.cohort, "pulse", period, group["members"][0])
    assert f"led by {everyone[group['leader']]['full_name']}" in member_text
    # whoever answered is not reminded; the others are, once each, about the group
    store.upsert(pulse_responses, [{"cohort_id": config.cohort, "period": period, "match_id": p["match_id"],
                                    "respondent_id": group["leader"], "meetings": 1, "satisfaction": 4,
                                    "goal_progress": 4, "follow_through": 4, "comment": "", "wants_end": False,
                                    "submitted_at": dt.datetime.now(dt.timezone.utc)}
                                   for p in pairs if p["group_id"] == group_id])
    reminder_at = next(d for d in calendar.pulse_reminder_dates(config) if d > first)
    pulse.send_pulse_reminders(run_of(config, store, reminder_at))
    reminded = [r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="pulse_reminder")]
    assert sorted(reminded) == sorted(in_groups - {group["leader"]})
    _, reminder = _eml(config.cohort, "pulse_reminder", period, group["members"][0])
    assert "your group with" in reminder and "your group does not see them" in reminder


def _group_world(cohorts_dir, tmp_path):
    """The forms world plus a group: L1 leads G1, G2, G3 (group 5) and also mentors E5 one to one."""
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    store = add_group(world.store_url, "L1", ("G1", "G2", "G3"), 5)
    store.upsert(matches, [{"cohort_id": COHORT, "round": "initial", "mentor_id": "L1", "mentee_id": "E5",
                            "score": 0.7, "explanation": "skills", "status": "active", "group_id": None,
                            "created_at": dt.datetime.now(dt.timezone.utc)}])
    return world, store


def test_the_pulse_form_shows_a_group_as_one_entry_and_stores_the_answer_for_each_of_its_pairs(cohorts_dir, tmp_path):
    from test_forms import client_for, csrf_of

    world, store = _group_world(cohorts_dir, tmp_path)
    group_pairs = sorted(m["match_id"] for m in store.rows(matches, cohort_id=COHORT, group_id=5))
    with client_for() as client:
        page = client.get(world.link("L1", "pulse"))
        assert page.status_code == 200
        options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page.text)
        assert [label.strip() for _, label in options] == ["Your group with 3 members (you lead it)",
                                                           "Person 5 (you are the mentor)"]
        assert int(options[0][0]) == group_pairs[0]
        posted = client.post(world.link("L1", "pulse"), follow_redirects=False,
                             data={**GOOD_PULSE, "match_id": str(group_pairs[0]), "satisfaction": "2",
                                   "csrf_token": csrf_of(page.text)})
        assert posted.status_code == 303
        member_page = client.get(world.link("G2", "pulse")).text
        assert "your group with 3 members, led by Member L1</strong>, as a whole" in member_page
        assert "How satisfied are you with the group?" in member_page
    stored = store.rows(pulse_responses, cohort_id=COHORT, respondent_id="L1")
    assert sorted(r["match_id"] for r in stored) == group_pairs  # each pair of the group, not the one-to-one
    assert {r["satisfaction"] for r in stored} == {2}


# -- group health ------------------------------------------------------------------------------------

RULES = Health()


def _answer(match_id: int, who: str, level: int, *, meetings: int = 2, wants_end: bool = False) -> dict:
    return {"match_id": match_id, "respondent_id": who, "meetings": meetings, "satisfaction": level,
            "goal_progress": level, "follow_through": level, "wants_end": wants_end}


def _score(answers: list[dict], members: int = 4) -> pd.Series:
    """Group 1: leader L with members A, B, C, D (pairs 1..4); each answer is stored on the pairs it is about."""
    pairs = pd.DataFrame([{"match_id": i + 1, "mentor_id": "L", "mentee_id": m, "group_id": 1}
                          for i, m in enumerate("ABCD"[:members])])
    frame = pd.DataFrame(answers, columns=["match_id", "respondent_id", "meetings", "satisfaction", "goal_progress",
                                           "follow_through", "wants_end"])
    scored = score_pairs(pairs, frame, None, RULES)
    (row,) = group_health.score_groups(pairs, scored, frame, RULES).to_dict("records")
    return pd.Series({**row, "pair_scores": list(scored["score"])})


def _leader(level: int, members: int = 4, **kw) -> list[dict]:
    return [_answer(i + 1, "L", level, **kw) for i in range(members)]  # the same answer on each pair


def test_a_group_where_everyone_answers_well_is_on_track_with_the_mean_of_its_pairs():
    row = _score(_leader(5) + [_answer(i + 1, m, 5) for i, m in enumerate("ABCD")])
    assert row["state"] == ON_TRACK and row["reasons"] == "healthy" and row["members"] == 4
    assert row["score"] == pytest.approx(sum(row["pair_scores"]) / 4)


def test_a_silent_leader_puts_the_group_at_risk_whatever_the_members_say():
    row = _score([_answer(i + 1, m, 5) for i, m in enumerate("ABCD")])
    assert row["state"] == AT_RISK and "the leader did not answer" in row["reasons"]


def test_a_leader_who_asks_to_end_puts_the_group_at_risk():
    row = _score(_leader(5, wants_end=True) + [_answer(i + 1, m, 5) for i, m in enumerate("ABCD")])
    assert row["state"] == AT_RISK and "the leader asked to end" in row["reasons"]


def test_half_the_members_silent_is_at_risk_and_one_silent_is_at_best_a_check_in():
    half = _score(_leader(5) + [_answer(1, "A", 5), _answer(2, "B", 5)])
    assert half["state"] == AT_RISK and "2 of 4 members at risk or silent" in half["reasons"]
    one = _score(_leader(5) + [_answer(i + 1, m, 5) for i, m in enumerate("ABC")])
    assert one["state"] == CHECK_IN and "1 of 4 members at risk or silent" in one["reasons"]
    assert one["score"] == pytest.approx(sum(one["pair_scores"]) / 4)


def test_one_to_one_pairs_have_no_group_score():
    pairs = pd.DataFrame([{"match_id": 1, "mentor_id": "L", "mentee_id": "A", "group_id": None}])
    scored = score_pairs(pairs, pd.DataFrame([_answer(1, "A", 5)]), None, RULES)
    assert group_health.score_groups(pairs, scored, pd.DataFrame([_answer(1, "A", 5)]), RULES).empty


def test_a_group_at_risk_is_stored_shown_in_the_pulse_report_and_named_in_the_ops_alert(group_cohort):
    config, store, _ = group_cohort
    first, second = calendar.pulse_dates(config)[:2]
    period = pulse.send_pulse(run_of(config, store, first))["period"]
    pairs = store.rows(matches, cohort_id=config.cohort, status="active")
    grouped = groups.groups_of(pairs)
    quiet_id, quiet = next((g, v) for g, v in sorted(grouped.items()) if len(v["members"]) > 1)
    now = dt.datetime.now(dt.timezone.utc)
    rows = []
    for p in pairs:  # everyone answers well, except the quiet group's leader, who says nothing
        for who in (p["mentor_id"], p["mentee_id"]):
            if who != quiet["leader"]:
                rows.append({"cohort_id": config.cohort, "period": period, "match_id": p["match_id"],
                             "respondent_id": who, "meetings": 3, "satisfaction": 5, "goal_progress": 5,
                             "follow_through": 5, "comment": "", "wants_end": False, "submitted_at": now})
    store.upsert(pulse_responses, rows)
    summary = pulse.assess_previous_period(run_of(config, store, second))
    assert summary["groups_assessed"] == len(grouped)
    health = {r["group_id"]: r for r in store.rows(group_health_table, cohort_id=config.cohort, period=period)}
    assert set(health) == set(grouped)
    assert health[quiet_id]["state"] == AT_RISK and health[quiet_id]["leader_id"] == quiet["leader"]
    assert all(h["state"] == ON_TRACK for g, h in health.items() if g != quiet_id)
    leader_name = store.rows(people, cohort_id=config.cohort, employee_id=quiet["leader"])[0]["full_name"]
    subject, text = _eml(config.cohort, "at_risk", period, "__ops__")
    assert f"group of {leader_name} at risk" in text and "1 group(s)" in subject
    report = (settings.reports_dir(config.cohort) / "pulse-report.html").read_text(encoding="utf-8")
    assert f"Groups in {period}" in report
    assert re.search(rf"<td>{quiet_id}</td><td>{re.escape(leader_name)}</td><td>{len(quiet['members'])}</td>", report)


def test_circles_use_the_same_introduction_and_one_check_in(store, cohorts_dir):
    """A mentoring circle (round "circle") in a one-to-one cohort: one introduction per person over the circle's
    pairs, consent honoured, and one check-in naming the circle, next to a member's one-to-one partner."""
    config = load_cohort(write_cohort(cohorts_dir))
    store.register_cohort(config)
    ids = ("C0", "C1", "C2", "C3", "P1")
    store.upsert(people, [{"cohort_id": config.cohort, "employee_id": pid, "full_name": f"Name {pid}",
                           "email": f"{pid.lower()}@example.com", "job_title": "Analyst", "department": "Ops",
                           "level": 3, "on_pip": False, "eligible": True, "hire_date": dt.date(2020, 1, 1)}
                          for pid in ids])
    apps = {pid: {"employee_id": pid, "group_consent": pid == "C2"} for pid in ids}
    row = {"cohort_id": config.cohort, "score": 0.6, "explanation": "shared wants", "status": "active",
           "created_at": NOW}
    store.upsert(matches, [{**row, "round": "circle", "mentor_id": "C0", "mentee_id": m, "group_id": 11}
                           for m in ("C1", "C2", "C3")]
                 + [{**row, "round": "initial", "mentor_id": "P1", "mentee_id": "C1", "group_id": None}])
    everyone = {p["employee_id"]: p for p in store.rows(people, cohort_id=config.cohort)}
    circle = store.rows(matches, cohort_id=config.cohort, round="circle")
    emails = {e.key.person_id: e for e in groups.group_introductions(config, circle, everyone, apps, "circle")}
    assert sorted(emails) == ["C0", "C1", "C2", "C3"]
    assert "c2@example.com" in emails["C1"].text and "c3@example.com" not in emails["C1"].text
    assert "1 more member who chose not to be named" in emails["C1"].text
    assert all(f"c{i}@example.com" in emails["C0"].text for i in (1, 2, 3))
    summary = pulse.send_pulse(run_of(config, store, calendar.pulse_dates(config)[0]))
    assert summary["sent"] == 5  # C0..C3 and P1: one each
    _, text = _eml(config.cohort, "pulse", summary["period"], "C1")
    assert "partnership with Name P1 and on your group with 3 members, led by Name C0" in text
