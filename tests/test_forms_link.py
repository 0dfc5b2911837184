"""``mentorflow forms link``: a fresh personal link on demand ("my link expired"), made with the emails' own
token code; the printed link opens the form for that person in the forms app. And the closed-form page
names the program and whom to contact."""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse

import pytest
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, GOOD_APPLICATION, make_world
from mentorflow.cli.main import main
from mentorflow.forms import events, tokens
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, applications


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")


@pytest.fixture
def closed_world(cohorts_dir, tmp_path):
    """The application window closed five days ago (it opened 15 days ago, for ten days): its links still open."""
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}",
                      now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=14))


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        yield c


def made_link(capsys, *argv: str) -> str:
    assert main(["forms", "link", *argv]) == 0
    out = capsys.readouterr()
    assert out.out.count("\n") == 1, out.out  # the link alone on stdout (scripts can take it)
    return out.out.strip()


def refused(capsys, *argv: str) -> str:
    assert main(["forms", "link", *argv]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    return out.err


def below_app(link: str, world) -> str:
    """The printed link's path below the forms app (the cohort's forms_base_url is where the app is mounted)."""
    base = world.config.forms_base_url.rstrip("/")
    assert link.startswith(base + "/forms/")
    return link[len(base):]


def test_printed_link_opens_the_form_for_that_person(world, client, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    link = made_link(capsys, COHORT, "E3", "application")
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]
    assert token not in caplog.text  # never logged
    grant = tokens.verify(token, form="application", expires_at=lambda g: dt.datetime.max.replace(tzinfo=dt.timezone.utc))
    assert grant == tokens.FormGrant(COHORT, "E3", "application", "window")  # the period the invitation uses
    page = client.get(below_app(link, world))
    assert page.status_code == 200
    assert "Hello Person 3." in page.text


def test_pulse_link_is_for_the_current_period(world, client, capsys):
    link = made_link(capsys, COHORT, "E2", "pulse")
    page = client.get(below_app(link, world))
    assert page.status_code == 200 and "your partnership with <strong>Person 1</strong>" in page.text
    assert "(pulse-1)" in page.text


def test_unknown_cohort_person_or_form_is_a_clear_error(world, capsys):
    assert "no cohort 'nope'" in refused(capsys, "nope", "E1", "application")
    assert "E99 is not on the roster of cohort forms-cohort" in refused(capsys, COHORT, "E99", "application")
    error = refused(capsys, COHORT, "E1", "aplication")
    assert "no form 'aplication'" in error and "application, gapfill, pulse, rematch, closeout" in error
    assert "names its question" in refused(capsys, COHORT, "E1", "question")
    # the gap-fill form is about an application: E1 has none
    assert "E1 has no application in cohort forms-cohort" in refused(capsys, COHORT, "E1", "gapfill")
    # a form with nothing for the person: the app's own words
    assert "You have no partnership this form is about" in refused(capsys, COHORT, "E5", "pulse")
    assert "not open to you this time" in refused(capsys, COHORT, "E6", "application")


def test_gapfill_link_for_someone_who_applied(world, client, capsys):
    store = Store(world.store_url)
    store.upsert(applications, [{"cohort_id": COHORT, "employee_id": "E3", "role": "mentor", "goals": "Teach",
                                 "source": "form", "status": "received"}])
    page = client.get(below_app(made_link(capsys, COHORT, "E3", "gapfill"), world))
    assert page.status_code == 200 and "Complete your application" in page.text
    assert ">Teach</textarea>" in page.text


def test_closed_form_refused_unless_extended_explicitly(closed_world, client, capsys):
    error = refused(capsys, COHORT, "E3", "application")
    closes = closed_world.config.at(closed_world.config.calendar.application_close)
    assert f"closed on {closes.strftime('%A %d %B %Y')}" in error and "--until" in error
    assert "already past" in refused(capsys, COHORT, "E3", "application", "--until", "2020-01-01")
    assert "expected a date" in refused(capsys, COHORT, "E3", "application", "--until", "next week")

    until = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).date()
    link = made_link(capsys, COHORT, "E3", "application", "--until", until.isoformat())
    page = client.get(below_app(link, closed_world))
    assert page.status_code == 200
    assert f"until <strong>{until.strftime('%A %d %B %Y')}, 23:59" in page.text  # the extended deadline
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    saved = client.post(below_app(link, closed_world), data={**GOOD_APPLICATION, "preferred_partners-0": "",
                                                             "avoid_partners-0": "", "csrf_token": csrf},
                        follow_redirects=False)
    assert saved.status_code == 303
    assert Store(closed_world.store_url).rows(applications, cohort_id=COHORT, employee_id="E3")
    # the person's old link (no extension) still says closed
    old = client.get(closed_world.link("E3", "application"))
    assert old.status_code == 410


def test_closed_page_names_the_program_and_whom_to_contact(closed_world, client):
    page = client.get(closed_world.link("E3", "application"))
    assert page.status_code == 410
    assert "This form is closed" in page.text
    assert "Apply to the mentoring program (Test Cohort) closed on" in page.text
    ops = closed_world.config.sender.ops_email
    assert f'<a href="mailto:{ops}">{ops}</a>' in page.text
    assert "<p>Test Cohort</p>" in page.text  # the banner names the program


def test_expired_link_names_whom_to_ask_but_a_forged_one_names_nobody(cohorts_dir, tmp_path, client):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}",
                       now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))
    expired = client.get(world.link("E3", "application"))
    assert expired.status_code == 403 and "This link has expired" in expired.text
    assert f"mailto:{world.config.sender.ops_email}" in expired.text
    forged = client.get("/forms/application?token=not-a-real-token")
    assert forged.status_code == 403 and "mailto:" not in forged.text and "Test Cohort" not in forged.text
