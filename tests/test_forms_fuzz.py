"""Property test: whatever is posted to any form (HTML fields, JSON bodies, tokens), the app
answers with a page or a JSON error, never a server error, and stores only valid answers."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from fastapi.testclient import TestClient
from forms_fixtures import GOOD_APPLICATION, GOOD_CLOSEOUT, GOOD_PULSE, GOOD_REMATCH, make_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mentorflow.forms import events, security
from mentorflow.forms import fields as form_fields
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, applications, evaluations, pulse_responses

KNOWN_FIELDS = sorted({*GOOD_APPLICATION, *GOOD_PULSE, *GOOD_REMATCH, *GOOD_CLOSEOUT})
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60) | st.sampled_from(
    ["", "0", "-1", "7", "1e309", "nan", "inf", "  3  ", "yes", "x" * 2500, "\x00", "１２"])
fields = st.dictionaries(st.sampled_from(KNOWN_FIELDS) | st.text(min_size=1, max_size=12), text, max_size=30)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | text,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)
json_bodies = st.dictionaries(st.sampled_from(["role", "goals", "tipi", "skills_offered", "match_id", "meetings",
                                               "recommend", "goals_met", "satisfaction", "consent", "comment"]),
                              json_values, max_size=10) | json_values
FORMS = ["application", "gapfill", "pulse", "rematch", "closeout"]


@pytest.fixture
def fuzz_world(cohorts_dir, store):
    world = make_world(cohorts_dir, store.url)
    app = create_app(FormsSettings(limiter=security.RateLimiter(burst=1e9, per_minute=1e9),
                                   airflow=events.AirflowClient("http://127.0.0.1:9"), deliver_events=False))
    with TestClient(app) as client:  # server errors raise here, so a 500 fails the test
        yield world, client


def _stored(world) -> int:
    store = Store(world.store_url)
    return sum(store.count(t) for t in (applications, pulse_responses, evaluations))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(FORMS), posted=fields, base=st.booleans())
def test_any_html_post_gets_a_page_never_a_server_error(fuzz_world, form, posted, base):
    world, client = fuzz_world
    good = {"application": GOOD_APPLICATION, "gapfill": GOOD_APPLICATION, "pulse": GOOD_PULSE,
            "rematch": GOOD_REMATCH, "closeout": GOOD_CLOSEOUT}[form]
    data = {**good, **posted} if base else dict(posted)
    link = world.link("E1", form)
    page = client.get(link)
    data["csrf_token"] = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    before = _stored(world)
    response = client.post(link, data=data, follow_redirects=False)
    assert response.status_code in (303, 422), response.text[:500]
    if response.status_code == 422:
        assert 'class="error-summary"' in response.text
    else:  # what was stored passes the same validation again
        form_fields.parse(form, data)
        assert _stored(world) >= before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(FORMS), body=json_bodies)
def test_any_json_body_gets_saved_or_field_errors(fuzz_world, form, body):
    world, client = fuzz_world
    response = client.post(f"/api/forms/{form}?token={world.token('E1', form)}", content=json.dumps(body),
                           headers={"content-type": "application/json"})
    assert response.status_code in (200, 422), response.text[:500]
    if response.status_code == 422:
        assert isinstance(response.json()["errors"], dict) and response.json()["errors"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
       token=st.text(st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_any_token_or_form_name_is_refused_cleanly(fuzz_world, form, token):
    _, client = fuzz_world
    response = client.get(f"/forms/{urllib.parse.quote(form, safe='') or 'x'}", params={"token": token})
    assert response.status_code in (403, 404), response.status_code
