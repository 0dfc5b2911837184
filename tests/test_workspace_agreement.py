"""The mentoring agreement on the partnership page (docs/workspace.md, Agreement): drafts, confirmations, the
space's agreed state, bad input refused with nothing written, the reminder a week after kickoff, and what
ops sees (dates, never text)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, add_group, make_world

from mentorflow.forms import events, security
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, agreements
from mentorflow.workspace import agreement

GOOD = {"section": "agreement", "agreement_confidential": "yes", "agreement_meet_every": "two weeks",
        "agreement_mode_call": "yes", "agreement_mode_written": "yes", "agreement_wants": "How to run a team offsite",
        "agreement_offers": "A fresh look at our data tooling", "agreement_raise": "Say it at the start of a meeting"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A fresh program store on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    Store(url).drop_all()
    yield url
    Store(url).drop_all()


@pytest.fixture
def world(cohorts_dir, store_url):
    return make_world(cohorts_dir, store_url)


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        yield c


def post(client, world, person, fields, space="pair-1"):
    token = world.token(person, "partnership")
    link = f"/forms/partnership?token={token}&space={space}"
    assert client.get(link).status_code == 200  # sets the CSRF cookie
    csrf = security.csrf_field(client.cookies[security.CSRF_COOKIE], token)
    return client.post(link, data={**fields, "csrf_token": csrf}, follow_redirects=False)


def rows(world):
    return {r["employee_id"]: r for r in Store(world.store_url).rows(agreements, cohort_id=COHORT)}


def test_a_draft_is_saved_unconfirmed_and_the_page_says_who_still_has_to_confirm(world, client):
    saved = post(client, world, "E2", {"section": "agreement", "agreement_action": "draft",
                                       "agreement_wants": "Negotiation"})
    assert saved.status_code == 303, saved.text
    assert rows(world)["E2"]["confirmed_at"] is None and rows(world)["E2"]["wants_to_learn"] == "Negotiation"
    page = client.get(saved.headers["location"].replace("partnership?", "/forms/partnership?"))
    assert "Not agreed yet. Still to confirm: <strong>Person 1, you</strong>" in page.text
    assert "(a draft)" in page.text and "Negotiation" in page.text


def test_both_confirm_and_the_pair_is_agreed_each_sees_the_others_answers(world, client):
    assert post(client, world, "E1", {**GOOD, "agreement_action": "confirm"}).status_code == 303
    store = Store(world.store_url)
    assert agreement.status(COHORT, store) == {"pair-1": None, "pair-2": None}
    assert post(client, world, "E2", {**GOOD, "agreement_wants": "Stakeholder maps",
                                      "agreement_action": "confirm"}).status_code == 303
    agreed = agreement.status(COHORT, store)
    assert agreed["pair-1"] is not None and agreed["pair-2"] is None
    assert agreed["pair-1"] == max(r["confirmed_at"] for r in rows(world).values()).replace(tzinfo=dt.timezone.utc)
    page = client.get(world.link("E1", "partnership"))
    assert "Agreed on " in page.text and "Stakeholder maps" in page.text  # the partner's answers are shared
    other = client.get(world.link("E3", "partnership"))
    assert "Stakeholder maps" not in other.text and "Not agreed yet" in other.text  # another pair sees nothing


def test_changing_a_confirmed_agreement_reopens_it_and_says_so(world, client):
    post(client, world, "E1", {**GOOD, "agreement_action": "confirm"})
    post(client, world, "E2", {**GOOD, "agreement_action": "confirm"})
    first = rows(world)["E2"]["confirmed_at"]
    again = post(client, world, "E2", {**GOOD, "agreement_action": "confirm"})  # unchanged: the date stays
    assert again.status_code == 303 and rows(world)["E2"]["confirmed_at"] == first
    changed = post(client, world, "E2", {**GOOD, "agreement_meet_every": "week", "agreement_action": "draft"})
    assert changed.status_code == 303
    assert rows(world)["E2"]["confirmed_at"] is None and rows(world)["E1"]["confirmed_at"] is not None
    assert agreement.status(COHORT, Store(world.store_url))["pair-1"] is None
    page = client.get(changed.headers["location"].replace("partnership?", "/forms/partnership?"))
    assert "the agreement is open again until you confirm" in page.text
    assert "Still to confirm: <strong>you</strong>" in page.text


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({**GOOD, "agreement_wants": "x" * 2001, "agreement_action": "confirm"}, "agreement_wants", "too long"),
    ({**GOOD, "agreement_meet_every": "fortnightly", "agreement_action": "draft"}, "agreement_meet_every",
     "unknown choice"),
    ({**GOOD, "agreement_mode_carrier_pigeon": "yes", "agreement_action": "draft"}, "agreement_modes",
     "unknown way of meeting"),
    ({**{k: v for k, v in GOOD.items() if k != "agreement_confidential"}, "agreement_action": "confirm"},
     "agreement_confidential", "confidential"),
])
def test_bad_input_is_refused_with_the_field_and_reason_and_nothing_written(world, client, fields, field, reason):
    refused = post(client, world, "E2", fields)
    assert refused.status_code == 422
    assert f'id="{field}-error"' in refused.text and reason in refused.text
    assert "A fresh look at our data tooling" in refused.text  # what was typed is kept
    assert rows(world) == {}


def test_a_changed_draft_that_is_refused_keeps_the_earlier_confirmation(world, client):
    post(client, world, "E2", {**GOOD, "agreement_action": "confirm"})
    before = rows(world)["E2"]
    assert post(client, world, "E2", {**GOOD, "agreement_raise": "y" * 2001,
                                      "agreement_action": "draft"}).status_code == 422
    assert rows(world)["E2"] == before


def test_a_group_is_agreed_only_when_every_member_has_confirmed(world, client):
    add_group(world.store_url, "G1", ("G2", "G3"), group_id=7)
    for person in ("G1", "G2"):
        assert post(client, world, person, {**GOOD, "agreement_action": "confirm"}, space="group-7").status_code == 303
    store = Store(world.store_url)
    assert agreement.status(COHORT, store)["group-7"] is None
    page = client.get(world.link("G3", "partnership"))
    assert "Still to confirm: <strong>you</strong>" in page.text and "What you offer the group" in page.text
    post(client, world, "G3", {**GOOD, "agreement_action": "confirm"}, space="group-7")
    assert agreement.status(COHORT, store)["group-7"] is not None


def test_symbiotic_partners_are_asked_both_directions(cohorts_dir, tmp_path, client):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'store.db'}", program_type="symbiotic")
    page = client.get(world.link("E2", "partnership"))
    assert "What you want to learn from Person 1" in page.text
    assert "What you offer Person 1 in return" in page.text


# -- the reminder a week after kickoff ------------------------------------------------------------

def confirm(store, space, person, when):
    store.upsert(agreements, [{"cohort_id": COHORT, "space_id": space, "employee_id": person, "confidential": True,
                               "meet_every": "week", "modes": "call", "wants_to_learn": "SECRET-WANT",
                               "offers": "SECRET-OFFER", "raise_problem": "SECRET-RAISE", "confirmed_at": when,
                               "updated_at": when}])


def test_the_reminder_goes_once_to_each_member_of_a_running_space_without_an_agreement(
        cohorts_dir, store_url, monkeypatch, client):
    from email_fixtures import SmtpCatcher
    from mentorflow.cohorts import calendar
    from mentorflow.stages import agreement as stage
    from mentorflow.stages.common import CohortRun
    from mentorflow.store import email_ledger, matches

    world = make_world(cohorts_dir, store_url, sender={"backend": "smtp"})
    config, store = world.config, Store(world.store_url)
    now = dt.datetime.now(dt.timezone.utc)
    confirm(store, "pair-1", "E1", now)
    confirm(store, "pair-1", "E2", now)  # pair 1 agreed: nobody there is reminded
    confirm(store, "pair-2", "E3", now)  # pair 2 half-way: both are reminded, E3 told who is missing
    with store.engine.begin() as conn:  # a pair that has ended is not reminded
        conn.execute(matches.insert().values(cohort_id=COHORT, round="initial", mentor_id="E5", mentee_id="E6",
                                             score=0.5, explanation="skills", status="completed", created_at=now))
    run = CohortRun(config, store, calendar.agreement_reminder(config))
    with SmtpCatcher() as catcher:
        monkeypatch.setenv("MENTORFLOW_SMTP_PORT", str(catcher.port))
        first = stage.send_agreement_reminders(run)
        assert first["sent"] == 2 and first["not_agreed"] == 1
        assert sorted(m["To"] for m in catcher.messages) == ["Person 3 <p3@example.com>", "Person 4 <p4@example.com>"]
        again = stage.send_agreement_reminders(run)  # a re-run (Airflow retry, backfill) sends nothing twice
        assert again["sent"] == 0 and len(catcher.messages) == 2
    by_person = {m["To"]: m.get_body(("plain",)).get_content() for m in catcher.messages}
    assert "You have confirmed it. Still to confirm: Person 4." in by_person["Person 3 <p3@example.com>"]
    assert "only your confirmation is missing" in by_person["Person 4 <p4@example.com>"]
    assert all("SECRET" not in text for text in by_person.values())  # nobody's answers travel by email
    assert {r["period"] for r in store.rows(email_ledger, cohort_id=COHORT, template="agreement_reminder")} == {"pair-2"}
    link = next(line for line in by_person["Person 4 <p4@example.com>"].splitlines() if "token=" in line).strip()
    assert link.endswith("&space=pair-2")
    page = client.get(link[link.index("/forms/"):])
    assert page.status_code == 200 and "Still to confirm: <strong>you</strong>" in page.text


def test_the_reminder_is_a_week_after_kickoff_and_before_the_midpoint(cohorts_dir, tmp_path):
    from mentorflow.cohorts import calendar

    config = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'store.db'}").config
    kickoff = config.at(config.calendar.kickoff)
    assert calendar.scheduled_moments(config, "agreement") == [kickoff + dt.timedelta(days=7)]
    planned = [r for r in calendar.plan(config) if r.stage == "agreement"]
    assert [r.moment for r in planned] == [kickoff + dt.timedelta(days=7)]
    assert calendar.order_problems(config) == []
    close = config.model_copy(update={"calendar": config.calendar.model_copy(
        update={"midpoint": config.calendar.kickoff + dt.timedelta(days=6)})})
    assert calendar.agreement_reminder(close) == kickoff + dt.timedelta(days=3)  # halfway when the midpoint is near


def test_ops_status_shows_counts_and_dates_never_the_text(world, monkeypatch, capsys):
    from mentorflow.cli import status as cli
    from mentorflow.cli.main import main

    store = Store(world.store_url)
    when = dt.datetime(2027, 3, 9, 10, tzinfo=dt.timezone.utc)
    confirm(store, "pair-1", "E1", when)
    confirm(store, "pair-1", "E2", when)
    confirm(store, "pair-2", "E3", when)

    def unreachable():
        raise RuntimeError("no Airflow here")

    monkeypatch.setattr(cli, "_airflow_session", unreachable)
    assert main(["cohort", "status", COHORT]) == 0
    out = capsys.readouterr().out
    assert "agreements    1 of 2 partnerships agreed (latest on 2027-03-09)" in out
    assert "SECRET" not in out
    assert agreement.status(COHORT, store) == {"pair-1": when, "pair-2": None}
