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


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'store.db'}")


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
