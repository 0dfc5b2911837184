"""An outcome for everyone without a one-to-one partner: mentoring circles (a second optimization),
async written mentoring, the waitlist, the offer form and the stage that starts what people chose."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from alternatives_world import (
    ASYNC_BUDGET,
    ASYNC_MENTOR,
    CIRCLE_VOLUNTEERS,
    IDLE_MENTOR,
    MENTEES,
    MENTORS,
    NO_CONSENT,
    scarce_world,
)
from conftest import run_of
from fastapi.testclient import TestClient
from matching_fixtures import random_instance
from mentorflow.alternatives import circles, fit, reasons, written
from mentorflow.cohorts import calendar
from mentorflow.contract.parsing import parse_ids
from mentorflow.forms import events, tokens
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.stages import alternatives
from mentorflow.store import applications, email_ledger, matches, offers, unmatched, waitlist

# -- the circle model (pure) ---------------------------------------------------------------------


def hand_fit(score: dict[tuple[str, str], float], wanted: dict[str, set[str]], offered: dict[str, set[str]],
             apart: set[frozenset[str]] = frozenset()) -> fit.Fit:
    rows = tuple(sorted({m for m, _ in score}))
    cols = tuple(sorted({c for _, c in score}))
    matrix = np.array([[score[(r, c)] for c in cols] for r in rows])
    return fit.Fit(rows, cols, matrix, {k: frozenset(v) for k, v in wanted.items()},
                   {k: frozenset(v) for k, v in offered.items()}, frozenset(apart))


def test_a_small_instance_forms_the_circles_a_person_would():
    # L1 offers negotiation, L2 public speaking; m1..m4 want negotiation, m5..m7 public speaking; m4 may
    # not sit with L1 (a hard rule). Sizes 3..4: L1 takes m1..m3, L2 takes m5..m7 and m4 (who still fits L2).
    members = [f"m{i}" for i in range(1, 8)]
    score = {(m, leader): 0.5 for m in members for leader in ("L1", "L2")}
    score[("m4", "L1")] = -np.inf
    wanted = {m: {"negotiation"} if m <= "m4" else {"public speaking"} for m in members}
    offered = {"L1": {"negotiation"}, "L2": {"public speaking"}}
    found = {c.leader: c for c in circles.form_circles(hand_fit(score, wanted, offered), 3, 4)}
    assert set(found["L1"].members) == {"m1", "m2", "m3"} and found["L1"].topic == "negotiation"
    assert set(found["L2"].members) == {"m4", "m5", "m6", "m7"} and found["L2"].topic == "public speaking"
    assert found["L1"].explanation.startswith("you all want to learn negotiation; the leader offers negotiation")
    # the explanation never claims more than is true: m4 does not want public speaking
    assert found["L2"].explanation.startswith("3 of the 4 members want to learn public speaking")


def test_too_few_people_for_a_circle_form_none_and_people_kept_apart_never_share_one():
    score = {(m, "L1"): 0.6 for m in ("a", "b", "c")}
    wanted = {m: {"sql"} for m in ("a", "b", "c")}
    assert circles.form_circles(hand_fit(score, wanted, {"L1": {"sql"}}, {frozenset(("a", "b"))}), 3, 5) == []
    assert len(circles.form_circles(hand_fit(score, wanted, {"L1": {"sql"}}), 3, 5)) == 1


def _chain(people, person: str) -> set[str]:
    managers = dict(zip(people["employee_id"], people["manager_id"]))
    above, boss = set(), managers.get(person)
    while boss and boss not in above:
        above.add(boss)
        boss = managers.get(boss)
    return above


@pytest.mark.parametrize("seed", [3, 11])
def test_random_circles_respect_sizes_leaders_hard_rules_and_say_true_shared_wants(seed):
    inp = random_instance(seed, 90)
    roles = dict(zip(inp.applications["employee_id"], inp.applications["role"]))
    mentees = sorted(e for e, r in roles.items() if r == "mentee")
    leaders = sorted(e for e, r in roles.items() if r == "mentor")[:6]
    f = fit.fit(inp, mentees, leaders)
    found = circles.form_circles(f, 3, 5)
    assert found, "the instance is large enough for a circle"
    levels = dict(zip(inp.people["employee_id"], inp.people["level"]))
    pip = dict(zip(inp.people["employee_id"], inp.people["on_pip"]))
    avoid = {e: set(parse_ids(a)) for e, a in zip(inp.applications["employee_id"], inp.applications["avoid_partners"])}
    kept_apart = inp.forbidden_pairs | inp.previous_pairs
    seated = [m for c in found for m in c.members]
    assert len(seated) == len(set(seated)), "nobody sits in two circles"
    assert len({c.leader for c in found}) == len(found), "a leader leads at most one circle"
    for c in found:
        assert 3 <= len(c.members) <= 5
        for m in c.members:
            assert levels[c.leader] - levels[m] >= inp.rules.min_level_gap
            assert c.leader not in _chain(inp.people, m) and m not in _chain(inp.people, c.leader)
            assert not pip[m] and not pip[c.leader]
            assert c.leader not in avoid[m] and m not in avoid[c.leader]
            assert (c.leader, m) not in kept_apart and (m, c.leader) not in kept_apart
        for a in c.members:  # members kept apart by a hard rule never share a circle
            for b in c.members:
                assert a == b or (b not in avoid[a] and b not in _chain(inp.people, a))
        if c.topic:
            assert c.topic in f.offered[c.leader]
            wanting = sum(c.topic in f.wanted[m] for m in c.members)
            claim = re.match(r"(?:you all|(\d+) of the \d+ members) want to learn", c.explanation)
            assert claim and (wanting == len(c.members) if claim.group(1) is None else wanting == int(claim.group(1)))
            assert wanting >= 1


def test_the_shared_topic_draws_members_who_want_it_together():
    # equal scores everywhere: only the shared topic decides, so each circle gathers one want
    people = [f"p{i}" for i in range(6)]
    score = {(m, leader): 0.5 for m in people for leader in ("L1", "L2")}
    wanted = {m: {"sql"} if i % 2 else {"design"} for i, m in enumerate(people)}
    offered = {"L1": {"sql", "design"}, "L2": {"sql", "design"}}
    found = circles.form_circles(hand_fit(score, wanted, offered), 3, 3)
    assert sorted(len(c.members) for c in found) == [3, 3]
    for c in found:
        assert len({next(iter(wanted[m])) for m in c.members}) == 1 and c.explanation.startswith("you all want")


# -- written mentoring (pure) ---------------------------------------------------------------------


def test_a_budget_of_written_questions_serves_half_as_many_people_at_least_one():
    assert [written.seats(b) for b in (None, 0, 1, 2, 3, 4, 9)] == [0, 0, 1, 1, 1, 2, 4]


def test_written_mentoring_fills_budgets_serves_people_without_a_circle_first_and_keeps_the_rules():
    score = {("a", "W"): 0.9, ("b", "W"): 0.4, ("c", "W"): -np.inf, ("d", "W"): 0.3}
    f = hand_fit(score, {}, {})
    pairs = written.assign(f, {"W": 4}, first={"b", "c", "d"})  # 2 seats; a (best score) has a circle seat
    assert {p.mentee for p in pairs} == {"b", "d"}
    assert written.assign(f, {"W": 4}) and {p.mentee for p in written.assign(f, {"W": 4})} == {"a", "b"}
    assert all(p.mentee != "c" for p in written.assign(f, {"W": 20}))


# -- the plain reason --------------------------------------------------------------------------------

MATCHER_REASONS = [
    "capacity exhausted: all 4 eligible mentors are taken by other pairs",
    "no eligible mentor is at least 2 level(s) more senior",
    "no eligible mentor is junior to them (reverse mentoring)",
    "every mentor who fits the level rule is excluded (reporting line, avoid list)",
    "no eligible mentor offers negotiation, sql",
    "no eligible mentor scores above the minimum score 0.2",
    "no other eligible mentor applied",
    "not eligible under the cohort's eligibility rules",
]


@pytest.mark.parametrize("reason", MATCHER_REASONS)
def test_every_matcher_reason_reads_as_a_sentence_without_jargon(reason):
    said = reasons.plain_reason(reason, "mentee")
    assert said != reasons.GENERAL.format(partner="mentor"), "each known reason has its own sentence"
    assert said[0].isupper() and said.endswith(".")
    assert not re.search(r"capacity|score|eligible mentor|level\(s\) more senior$|rule of", said)


# -- the stage on a cohort where mentors are scarce ------------------------------------------------


def _outcomes(config, store) -> dict[str, list[str]]:
    """Each applicant's outcomes after the deadline (one-to-one, circle, async, waitlist, none)."""
    got: dict[str, list[str]] = {}
    for m in store.rows(matches, cohort_id=config.cohort, status="active"):
        kind = "one-to-one" if m["round"] == "initial" else m["round"]
        got.setdefault(m["mentee_id"], []).append(kind)
    for w in store.rows(waitlist, cohort_id=config.cohort, status="waiting"):
        got.setdefault(w["employee_id"], []).append("waitlist")
    for o in store.rows(offers, cohort_id=config.cohort, choice="none"):
        got.setdefault(o["employee_id"], []).append("none")
    return got


def test_a_scarce_cohort_ends_with_every_applicant_holding_an_offer_and_then_exactly_one_outcome(cohorts_dir, store):
    """On SQLite and PostgreSQL (the ``store`` fixture's database)."""
    config, store = scarce_world(cohorts_dir, store={"url": store.url})
    kickoff = config.at(config.calendar.kickoff)
    summary = alternatives.offer_alternatives(run_of(config, store, kickoff))
    paired = {m["mentee_id"] for m in store.rows(matches, cohort_id=config.cohort, round="initial", status="active")}
    held = {o["employee_id"]: o for o in store.rows(offers, cohort_id=config.cohort)}
    assert len(paired) == 4 and set(held) == set(MENTEES) - paired, "every mentee without a partner has an offer"
    assert all(o["options"] for o in held.values()), "and every offer has at least one option"
    assert summary["circles"] >= 1 and summary["async_pairs"] == written.seats(ASYNC_BUDGET)
    assert summary["standby_mentors"] == 1
    told = {r["person_id"] for r in store.rows(email_ledger, cohort_id=config.cohort, template="offer")}
    assert told == set(held) | {IDLE_MENTOR}
    assert {w["employee_id"] for w in store.rows(waitlist, cohort_id=config.cohort)} == set(held)
    circle_rows = store.rows(matches, cohort_id=config.cohort, round="circle")
    assert {m["mentor_id"] for m in circle_rows} <= set(CIRCLE_VOLUNTEERS)
    assert ("M1", "E05") not in {(m["mentor_id"], m["mentee_id"]) for m in circle_rows}, "E05 reports to M1"
    assert {m["mentor_id"] for m in store.rows(matches, cohort_id=config.cohort, round="async")} == {ASYNC_MENTOR}
    again = alternatives.offer_alternatives(run_of(config, store, kickoff))
    assert again["unchanged"] and again["sent"] == 0 and store.count(offers, cohort_id=config.cohort) == len(held)

    # choices: circle seats, the async places, a waitlist choice, a "none", the rest do not answer
    by_choice = {"circle": [e for e, o in held.items() if "circle" in o["options"]][:3],
                 "async": [e for e, o in held.items() if "async" in o["options"]][:1]}
    by_choice["waitlist"] = [e for e in held if not any(e in chosen for chosen in by_choice.values())][:1]
    by_choice["none"] = [e for e in held if not any(e in chosen for chosen in by_choice.values())][:1]
    with store.begin() as conn:
        for choice, people in by_choice.items():
            for who in people:
                conn.execute(offers.update().where(offers.c.employee_id == who).values(choice=choice))
    deadline = calendar.offer_deadline(config)
    started = alternatives.start_alternatives(run_of(config, store, deadline))
    outcomes = _outcomes(config, store)
    for who in MENTEES:
        assert len(outcomes.get(who, [])) == 1, (who, outcomes.get(who))
    expected = {"circle": "circle", "async": "async", "waitlist": "waitlist", "none": "none"}
    for choice, people in by_choice.items():
        assert all(outcomes[p] == [expected[choice]] for p in people)
    silent = set(held) - {p for chosen in by_choice.values() for p in chosen}
    assert all(outcomes[p] == ["waitlist"] for p in silent), "no answer keeps the waitlist place"
    statuses = {o["employee_id"]: o["status"] for o in store.rows(offers, cohort_id=config.cohort)}
    assert {statuses[p] for p in silent} == {"defaulted"} and statuses[by_choice["circle"][0]] == "started"
    left = {w["employee_id"] for w in store.rows(waitlist, cohort_id=config.cohort, status="left")}
    assert left == set(by_choice["circle"] + by_choice["async"] + by_choice["none"])
    assert not store.rows(matches, cohort_id=config.cohort, status="offered"), "every unchosen seat is declined"
    assert started["circle_members"] == 3 and started["async_pairs"] == 1
    sent = {(r["person_id"], r["template"]) for r in store.rows(email_ledger, cohort_id=config.cohort)}
    assert {(p, "group_kickoff") for p in by_choice["circle"]} <= sent
    assert {(by_choice["async"][0], "async_start"), (ASYNC_MENTOR, "async_start")} <= sent
    rerun = alternatives.start_alternatives(run_of(config, store, deadline))
    assert rerun["unchanged"] and rerun["sent"] == 0 and _outcomes(config, store) == outcomes


def test_with_no_capacity_of_any_kind_the_email_says_so_and_what_happens_next(cohorts_dir, mentorflow_home):
    config, store = scarce_world(cohorts_dir, alternatives={"circles": False, "async_mentoring": False,
                                                            "waitlist": False})
    alternatives.offer_alternatives(run_of(config, store, config.at(config.calendar.kickoff)))
    held = store.rows(offers, cohort_id=config.cohort)
    assert held and all(o["options"] == "" for o in held)
    assert not store.rows(waitlist, cohort_id=config.cohort)
    outbox = (mentorflow_home / "outbox").rglob("*.eml")
    text = "\n".join(p.read_text(errors="replace") for p in outbox)
    assert "no mentor time left of any kind" in text and "next cohort" in text


def test_circle_introductions_never_show_a_member_who_did_not_consent(cohorts_dir):
    config, store = scarce_world(cohorts_dir)
    alternatives.offer_alternatives(run_of(config, store, config.at(config.calendar.kickoff)))
    with store.begin() as conn:
        conn.execute(offers.update().where(offers.c.options.like("%circle%")).values(choice="circle"))
    alternatives.start_alternatives(run_of(config, store, calendar.offer_deadline(config)))
    rows = store.rows(matches, cohort_id=config.cohort, round="circle", status="active")
    from mentorflow.stages.common import people_index
    from mentorflow.stages.groups import group_introductions

    apps = {a["employee_id"]: a for a in store.rows(applications, cohort_id=config.cohort)}
    emails = group_introductions(config, rows, people_index(store, config.cohort), apps, "circle")
    members = {r["mentee_id"] for r in rows}
    hidden = members & set(NO_CONSENT)
    assert hidden, "the world puts a member without consent in a circle"
    for message in emails:
        reader = message.key.person_id
        if reader in members:
            for other in hidden - {reader}:
                assert f"{other.lower()}@example.com" not in message.text + message.html
                assert f"Person {other}" not in message.text + message.html
    leaders = {m["mentor_id"] for m in rows}
    assert {m.key.person_id for m in emails} == members | leaders


def test_the_alternatives_stage_runs_at_the_offers_deadline(cohorts_dir):
    config, _ = scarce_world(cohorts_dir)
    deadline = calendar.offer_deadline(config)
    assert calendar.scheduled_moments(config, "alternatives") == [deadline]
    at_deadline = [r.stage for r in calendar.plan(config) if r.moment == deadline]
    assert at_deadline[0] == "alternatives" and set(at_deadline) <= {"alternatives", "agreement"}  # circles start first
    assert calendar.STAGES.index("alternatives") == calendar.STAGES.index("kickoff") + 1


# -- the offer form ------------------------------------------------------------------------------


def _client(moment: dt.datetime) -> TestClient:
    return TestClient(create_app(FormsSettings(clock=lambda: moment, deliver_events=False,
                                               airflow=events.AirflowClient("http://127.0.0.1:9"))))


def test_the_offer_form_stores_an_offered_choice_and_refuses_one_not_offered(cohorts_dir):
    config, store = scarce_world(cohorts_dir)
    kickoff = config.at(config.calendar.kickoff)
    alternatives.offer_alternatives(run_of(config, store, kickoff))
    held = {o["employee_id"]: o for o in store.rows(offers, cohort_id=config.cohort)}
    waiting_only = next(e for e, o in held.items() if o["options"] == "waitlist")
    with_circle = next(e for e, o in held.items() if "circle" in o["options"])
    with _client(kickoff + dt.timedelta(minutes=1)) as client:
        def post(person: str, choice: str):
            link = f"/forms/offer?token={tokens.issue(tokens.FormGrant(config.cohort, person, 'offer', 'offer'))}"
            page = client.get(link)
            assert page.status_code == 200, page.text
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
            return page, client.post(link, data={"choice": choice, "csrf_token": csrf}, follow_redirects=False)

        page, refused = post(waiting_only, "circle")
        assert "A place on the waitlist" in page.text and "mentoring circle led by" not in page.text
        assert refused.status_code == 422 and "options offered to you" in refused.text
        assert store.rows(offers, cohort_id=config.cohort, employee_id=waiting_only)[0]["choice"] is None
        page, saved = post(with_circle, "circle")
        assert "A mentoring circle led by Person M" in page.text
        assert saved.status_code == 303
        _, changed = post(with_circle, "waitlist")
        assert changed.status_code == 303
        assert store.rows(offers, cohort_id=config.cohort, employee_id=with_circle)[0]["choice"] == "waitlist"
        paired = store.rows(matches, cohort_id=config.cohort, round="initial")[0]["mentee_id"]
        no_offer = client.get(f"/forms/offer?token={tokens.issue(tokens.FormGrant(config.cohort, paired, 'offer', 'offer'))}")
        assert no_offer.status_code == 403
    with _client(calendar.offer_deadline(config) + dt.timedelta(minutes=1)) as late:
        token = tokens.issue(tokens.FormGrant(config.cohort, with_circle, "offer", "offer"))
        assert late.get(f"/forms/offer?token={token}").status_code == 410


def test_mentors_volunteering_are_the_only_leaders_and_unpartnered_rows_are_the_seekers(cohorts_dir):
    config, store = scarce_world(cohorts_dir)
    apps = {a["employee_id"]: a for a in store.rows(applications, cohort_id=config.cohort)}
    seekers, idle = alternatives.unpartnered(store, config, apps)
    listed = {r["employee_id"] for r in store.rows(unmatched, cohort_id=config.cohort, round="initial")}
    assert set(seekers) | set(idle) == listed and set(idle) == {IDLE_MENTOR}
    assert not set(seekers) & set(MENTORS)


def _outbox_text(config) -> dict[str, str]:
    """Each outbox email of the cohort, decoded, by its file name."""
    import email
    import email.policy

    from mentorflow import settings

    out = {}
    for path in settings.outbox_dir(config.cohort).rglob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out[str(path)] = "\n".join(part.get_content() for part in message.walk()
                                   if part.get_content_type() in ("text/plain", "text/html"))
    return out


def test_the_offer_email_gives_the_plain_reason_the_options_and_the_link_and_mentors_hear_of_standby(cohorts_dir):
    config, store = scarce_world(cohorts_dir)
    alternatives.offer_alternatives(run_of(config, store, config.at(config.calendar.kickoff)))
    texts = _outbox_text(config)
    to_mentees = [t for t in texts.values() if "Here is what we can offer you instead" in t]
    assert len(to_mentees) == store.count(offers, cohort_id=config.cohort)
    assert all("forms/offer?token=" in t and "every mentor who fits you already has" in t for t in to_mentees)
    assert any("A mentoring circle led by Person M" in t for t in to_mentees)
    assert any("Written mentoring with Person M3" in t and f"up to {ASYNC_BUDGET} written questions" in t
               for t in to_mentees)
    standby = [t for t in texts.values() if "standby capacity" in t]
    assert len(standby) == 1 and "Person M5" in standby[0] and "forms/offer" not in standby[0]
    assert not any(re.search(r"capacity exhausted|eligible mentors are taken", t) for t in texts.values())


def test_the_offer_api_refuses_a_choice_that_was_not_offered(cohorts_dir):
    config, store = scarce_world(cohorts_dir)
    kickoff = config.at(config.calendar.kickoff)
    alternatives.offer_alternatives(run_of(config, store, kickoff))
    person = next(o["employee_id"] for o in store.rows(offers, cohort_id=config.cohort) if "async" not in o["options"])
    token = tokens.issue(tokens.FormGrant(config.cohort, person, "offer", "offer"))
    with _client(kickoff + dt.timedelta(minutes=1)) as client:
        refused = client.post(f"/api/forms/offer?token={token}", json={"choice": "async"})
        assert refused.status_code == 422 and "choice" in refused.json()["errors"]
        unknown = client.post(f"/api/forms/offer?token={token}", json={"choice": "one-to-one"})
        assert unknown.status_code == 422
        assert client.post(f"/api/forms/offer?token={token}", json={"choice": "none"}).status_code == 200
    assert store.rows(offers, cohort_id=config.cohort, employee_id=person)[0]["choice"] == "none"


def test_circles_and_written_mentoring_do_not_use_up_a_mentors_one_to_one_room_at_the_midpoint(cohorts_dir):
    """A circle is led on top of any one-to-one mentees: when the circle leaders' one-to-one pairs end at the
    midpoint, each leader's one-to-one room is free again (a circle's members are not one-to-one load), and
    the midpoint fills it (the waitlist first, docs/waitlist.md)."""
    from mentorflow.stages import midpoint
    from mentorflow.store import rematch_requests

    config, store = scarce_world(cohorts_dir)
    alternatives.offer_alternatives(run_of(config, store, config.at(config.calendar.kickoff)))
    with store.begin() as conn:
        conn.execute(offers.update().where(offers.c.options.like("%circle%")).values(choice="circle"))
    alternatives.start_alternatives(run_of(config, store, calendar.offer_deadline(config)))
    leaders = {m["mentor_id"] for m in store.rows(matches, cohort_id=config.cohort, round="circle", status="active")}
    assert leaders == set(CIRCLE_VOLUNTEERS)
    ending = [m for m in store.rows(matches, cohort_id=config.cohort, round="initial", status="active")
              if m["mentor_id"] in leaders]
    store.upsert(rematch_requests, [{"cohort_id": config.cohort, "match_id": m["match_id"], "requester_id":
                                     m["mentee_id"], "reason": "schedule", "comment": "",
                                     "submitted_at": dt.datetime.now(dt.timezone.utc)} for m in ending])
    summary = midpoint.rematch(run_of(config, store, config.at(config.calendar.midpoint)))
    assert summary["ended"] == 2
    new = {(m["mentor_id"], m["mentee_id"]) for m in store.rows(matches, cohort_id=config.cohort, round="midpoint")}
    assert len(new) == 2 and {mentor for mentor, _ in new} == leaders, "each leader's one-to-one room is used"
    assert not new & {(m["mentor_id"], m["mentee_id"]) for m in ending}


def test_erasing_an_offered_person_leaves_no_trace_in_offers_and_the_waitlist(cohorts_dir):
    from mentorflow.personal_data import erasure

    config, store = scarce_world(cohorts_dir)
    alternatives.offer_alternatives(run_of(config, store, config.at(config.calendar.kickoff)))
    person = next(o["employee_id"] for o in store.rows(offers, cohort_id=config.cohort) if o["async_mentor_id"])
    before = (store.count(offers, cohort_id=config.cohort), store.count(waitlist, cohort_id=config.cohort))
    erasure.apply(store, erasure.plan(store, config.cohort, person), "dpo@example.com")
    erasure.apply(store, erasure.plan(store, config.cohort, ASYNC_MENTOR), "dpo@example.com")
    held = repr(store.rows(offers, cohort_id=config.cohort)) + repr(store.rows(waitlist, cohort_id=config.cohort))
    assert person not in held and ASYNC_MENTOR not in held
    assert (store.count(offers, cohort_id=config.cohort), store.count(waitlist, cohort_id=config.cohort)) == before
