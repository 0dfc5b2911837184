"""A script payload typed into every free-text field of the forms is stored as typed and comes
back escaped wherever it is shown again: form pages, kickoff emails, match and data-quality reports."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from conftest import run_of
from fastapi.testclient import TestClient
from forms_fixtures import GOOD_APPLICATION, GOOD_CLOSEOUT, GOOD_PULSE, GOOD_REMATCH, XSS, make_world
from markupsafe import escape
from mentorflow import settings
from mentorflow.forms import events
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.quality.report import write_report
from mentorflow.quality.results import CheckOutcome, Problem
from mentorflow.stages import kickoff, match, validate
from mentorflow.store import Store, applications, matches

FREE_TEXT = {
    "application": ("motivation", "prior_experience", "goals", "preferred_traits", "skills_offered-0-name",
                    "skills_wanted-0-name"),
    "pulse": ("comment",), "rematch": ("comment",), "closeout": ("comment",),
}
GOOD = {"application": GOOD_APPLICATION, "pulse": GOOD_PULSE, "rematch": GOOD_REMATCH, "closeout": GOOD_CLOSEOUT}
# skill names may not contain ';' or ':' (the data-contract separators), so they get a payload without them
SKILL_XSS = "<script>alert(1)</script><b onmouseover=alert(2)>x</b>"


def payload(field: str) -> str:
    return SKILL_XSS if "skills" in field else XSS


def assert_escaped(text: str, *payloads: str) -> None:
    assert "<script>" not in text and "onerror=alert" not in text.replace("onerror=alert(1)&gt;", "")
    assert "<b onmouseover" not in text
    for value in payloads:
        assert str(escape(value)) in text


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}", program_type="traditional")


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9"),
                                             deliver_events=False))) as c:
        yield c


def post(client: TestClient, link: str, fields: dict) -> None:
    page = client.get(link)
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    assert client.post(link, data={**fields, "csrf_token": csrf}, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("form", sorted(FREE_TEXT))
def test_every_free_text_field_is_escaped_when_the_form_is_shown_again(world, client, form):
    fields = {**GOOD[form], **{name: payload(name) for name in FREE_TEXT[form]}}
    post(client, world.link("E2", form), fields)
    shown = client.get(world.link("E2", form)).text
    assert_escaped(shown, *{payload(name) for name in FREE_TEXT[form]})


def test_payloads_from_the_forms_are_escaped_in_emails_and_reports(world, client):
    fields = {**GOOD_APPLICATION, **{name: payload(name) for name in FREE_TEXT["application"]}}
    post(client, world.link("E1", "application"), {**fields, "role": "mentee", "capacity": ""})
    post(client, world.link("E2", "application"), {**fields, "role": "mentor", "skills_offered-0-name": SKILL_XSS})
    store = Store(world.store_url)
    assert store.rows(applications, employee_id="E1")[0]["goals"] == XSS
    config = world.config

    # kickoff emails quote both partners' goals
    with store.engine.begin() as conn:
        conn.execute(matches.update().where(matches.c.match_id == 1).values(status="approved"))
    assert kickoff.send_kickoff(run_of(config, store))["pairs"] == 1
    for person in ("E1", "E2"):
        eml = settings.outbox_dir(config.cohort) / "kickoff" / "kickoff" / f"{person}.eml"
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
        assert_escaped(html, XSS)

    # the match report explains pairs with the skill names people typed
    with store.engine.begin() as conn:
        conn.execute(matches.delete())
    validate.validate_applications(run_of(config, store))
    summary = match.propose_matches(run_of(config, store))
    assert summary["pairs"] == 1
    assert_escaped(open(summary["report"], encoding="utf-8").read(), SKILL_XSS)

    # data-quality reasons can quote typed values
    outcome = CheckOutcome("applications.required_answers", "soft", ["expect_column_values_to_be_in_set"], 1, [
        Problem("applications", 0, "E1", 2, "applications.required_answers", f"goals look odd: {XSS}", "soft",
                {"goals": XSS})])
    dq = write_report(config, store, "applications", 1, [outcome], stopped=False)
    assert_escaped(dq.read_text(encoding="utf-8"), XSS)
