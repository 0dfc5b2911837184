"""The partnership page's doors (docs/workspace.md): who may open which space, and what a post must carry.

Its sections are tested in their own files; this file checks the page around them.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, add_group, make_world

from mentorflow.forms import events, security
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.workspace import spaces


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        yield c


def test_a_member_opens_their_pair_and_the_partner_is_named(world, client):
    page = client.get(world.link("E2", "partnership"))
    assert page.status_code == 200, page.text
    assert "Person 1 (you are the mentee)" in page.text
    assert "Person 3" not in page.text and "Person 4" not in page.text  # another pair's people never appear


def test_someone_without_a_partnership_and_a_stranger_to_the_space_are_refused(world, client):
    nobody = client.get(world.link("E5", "partnership"))
    assert nobody.status_code == 403 and "no partnership" in nobody.text
    other = client.get(world.link("E1", "partnership") + "&space=pair-2")  # E3 and E4's pair
    assert other.status_code == 403 and "Person 4" not in other.text
    forged = client.get("/forms/partnership?token=x" + world.token("E1", "partnership")[1:])
    assert forged.status_code == 403
    pulse_link = client.get("/forms/partnership?token=" + world.token("E1", "pulse"))
    assert pulse_link.status_code == 403  # another form's link opens nothing here


def test_a_group_is_one_space_for_all_its_members(world, client):
    add_group(world.store_url, "G1", ("G2", "G3"), group_id=7)
    page = client.get(world.link("G3", "partnership"))
    assert page.status_code == 200
    assert "Your group of 3" in page.text and "Member G1" in page.text and "Member G2" in page.text
    from mentorflow.store import Store
    found = spaces.spaces_of(COHORT, Store(world.store_url), "G1")
    assert [s.space_id for s in found] == ["group-7"] and len(found[0].match_ids) == 2


def test_a_post_needs_the_csrf_field_and_a_known_section(world, client):
    token = world.token("E2", "partnership")
    link = f"/forms/partnership?token={token}"
    assert client.get(link).status_code == 200  # sets the CSRF cookie
    good = security.csrf_field(client.cookies[security.CSRF_COOKIE], token)
    refused = client.post(link, data={"section": "nothing-here", "csrf_token": "0" * 64})
    assert refused.status_code == 403  # CSRF checked before anything else
    unknown = client.post(link, data={"section": "nothing-here", "csrf_token": good})
    assert unknown.status_code == 404
