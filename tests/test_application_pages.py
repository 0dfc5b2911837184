"""The application page filled into a page rendered once (forms.application_pages): byte for byte the page the
template renders, for a small roster (the reader's own name left out of the lists) and a large one (the name
search), names and links that need escaping, the gap-fill form and a link with a later deadline; the template
rendered once, not per page; a template the shell cannot follow rendered the general way; the roster read again
within ``recheck_seconds``; the reads of many pages in one statement; the CSRF cookie written safely."""

from __future__ import annotations

import datetime as dt
import logging
import os

import jinja2
import pytest
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, GOOD_APPLICATION, XSS, make_world
from mentorflow.forms import application_pages, events, partners, security, tokens
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.forms.registry import environment
from mentorflow.store import Store, people

NONCE = "A" * 16 + "b" * 16  # the same CSRF cookie for both renders: the same CSRF field


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")


def settings(**kw) -> FormsSettings:
    return FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9"), **kw)


def add_people(world, names: dict[str, str]) -> None:
    Store(world.store_url).upsert(people, [
        {"cohort_id": COHORT, "employee_id": pid, "full_name": name, "email": f"{pid.lower()}@example.com",
         "department": "Sales & <Ops>", "job_title": "Analyst", "level": 3, "manager_id": None,
         "location": "Berlin", "timezone": "Europe/Berlin", "hire_date": dt.date(2020, 1, 1), "on_pip": False,
         "eligible": True, "eligibility_reason": "ok"} for pid, name in names.items()])


def both_ways(monkeypatch, link: str, fast: bool = True, **kw) -> tuple[str, str]:
    """(the page this module answers, the page the general way renders), with the same CSRF cookie; ``fast``:
    whether this module answers it (else it hands the page to the general way)."""
    shown = []
    original = application_pages.ApplicationPages.show

    async def counted(self, *args):
        answer = await original(self, *args)
        shown.append(answer is not None)
        return answer

    monkeypatch.setattr(application_pages.ApplicationPages, "show", counted)
    with TestClient(create_app(settings(**kw))) as c:
        c.cookies.set(security.CSRF_COOKIE, NONCE)
        answered = c.get(link)
    assert shown == [fast], "the page did not come the expected way"

    async def general(self, *args):
        return None

    monkeypatch.setattr(application_pages.ApplicationPages, "show", general)
    with TestClient(create_app(settings(**kw))) as c:
        c.cookies.set(security.CSRF_COOKIE, NONCE)
        slow = c.get(link)
    assert answered.status_code == slow.status_code == 200
    assert answered.headers["set-cookie"] == slow.headers["set-cookie"]
    return answered.text, slow.text


@pytest.mark.parametrize("case", ["small roster", "large roster", "escaping", "gapfill", "later deadline"])
def test_the_filled_page_is_the_rendered_page_byte_for_byte(case, world, monkeypatch):
    person, form, period = "E1", "application", ""
    if case == "large roster":
        add_people(world, {f"R{i:03d}": f"Robin {i}" for i in range(partners.LIST_LIMIT + 5)})
    if case == "escaping":
        add_people(world, {"X1": XSS, "X2": "Zoë O'Brien & \"Co\""})
        person = "X1"
    if case == "gapfill":
        form, period = "gapfill", "gapfill-1"
    link = f"/forms/{form}?token=" + (world.token(person, form, period) if case != "later deadline" else tokens.issue(
        tokens.FormGrant(COHORT, person, form, "window", until=world.opened + dt.timedelta(days=40))))
    fast, slow = both_ways(monkeypatch, link)
    assert fast == slow
    if case == "small roster":  # every other name in each list, the reader's own in none
        assert 'value="E2">Person 2' in fast and 'value="E1">' not in fast
    if case == "large roster":
        assert "Find a colleague by name" in fast
    if case == "escaping":
        assert "<script>" not in fast and "Hello &lt;script&gt;" in fast and "Zoë O&#39;Brien &amp; &#34;Co&#34;" in fast


def post_answers(world, person: str, form: str = "application", period: str = "", **extra) -> None:
    token = world.token(person, form, period)
    with TestClient(create_app(settings())) as c:
        assert c.post(f"/forms/{form}?token={token}", data={**GOOD_APPLICATION, **extra, "csrf_token": security.csrf_field(
            NONCE, token)}, cookies={security.CSRF_COOKIE: NONCE}, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("case", ["after saving", "returning", "gapfill", "large roster", "large roster, chosen"])
def test_an_answered_page_is_the_rendered_page_byte_for_byte(case, world, monkeypatch):
    """Someone who answered already: their answers rendered into the template with the batched read (a large
    roster's chosen partners need a read of their own: that page goes the general way)."""
    if case.startswith("large roster"):
        add_people(world, {f"R{i:03d}": f"Robin {i}" for i in range(partners.LIST_LIMIT + 5)})
    chosen = {"preferred_partners-0": "R007" if case.startswith("large") else "E4",
              "preferred_partners-1": "", "avoid_partners-0": ""} if case != "large roster" else {
        "preferred_partners-0": "", "avoid_partners-0": ""}
    form, period = ("gapfill", "gapfill-1") if case == "gapfill" else ("application", "")
    post_answers(world, "E1", **{**chosen, "motivation": XSS, "share_goals": "yes"})
    link = f"/forms/{form}?token={world.token('E1', form, period)}" + ("&saved=1" if case == "after saving" else "")
    fast, slow = both_ways(monkeypatch, link, fast=case != "large roster, chosen")
    assert fast == slow
    assert "&lt;script&gt;" in fast and 'name="share_goals" value="yes" checked' in fast
    assert ("Thank you, your answers are saved" in fast) == (case == "after saving")


def test_the_template_renders_once_for_many_pages(world, monkeypatch):
    renders = []
    original = jinja2.Template.render
    monkeypatch.setattr(jinja2.Template, "render", lambda self, *a, **k: renders.append(self.name) or original(
        self, *a, **k))
    with TestClient(create_app(settings())) as c:
        pages = [c.get(world.link(person, "application")) for person in ("E1", "E2", "E3", "E4", "E5")]
    assert [p.status_code for p in pages] == [200] * 5
    assert all(f"Hello Person {i}." in p.text for i, p in enumerate(pages, 1))
    assert renders.count("forms/application.html") == 2  # the shell and its probe, once


def test_a_template_the_shell_cannot_follow_is_rendered_for_each_page(world, caplog):
    """A template that puts the name where escaping differs (here: upper-cased) is rendered the general way."""
    real = environment()
    source = real.loader.get_source(real, "forms/application.html")[0]
    env = environment()
    env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({"forms/application.html": source.replace(
        "Hello {{ person.full_name }}", "Hello {{ person.full_name|upper }}")}), real.loader])
    pages = application_pages.ApplicationPages(settings(), env)
    config = world.config
    grant = tokens.FormGrant(COHORT, "E1", "application", "window")
    with Store(world.store_url).engine.connect() as conn:
        listing = partners.roster_listing(conn, COHORT)
    with caplog.at_level(logging.WARNING, logger="mentorflow.forms"):
        assert pages.shell(grant, config, world.opened + dt.timedelta(days=9), listing) is None
    assert "does not fill in as it renders" in caplog.text
    with TestClient(create_app(settings())) as c:  # the real template: a shell
        assert c.get(world.link("E1", "application")).status_code == 200


def test_a_name_added_to_the_roster_shows_once_the_listing_is_read_again(world):
    with TestClient(create_app(settings(recheck_seconds=3600))) as kept, \
            TestClient(create_app(settings(recheck_seconds=0))) as fresh:
        for c in (kept, fresh):
            assert "Newcomer Nine" not in c.get(world.link("E1", "application")).text
        add_people(world, {"N9": "Newcomer Nine"})
        assert "Newcomer Nine" not in kept.get(world.link("E2", "application")).text  # read at most once an hour
        assert "Newcomer Nine" in fresh.get(world.link("E2", "application")).text


def test_the_reads_of_many_pages_are_one_statement_per_cohort_and_one_for_the_answers(world):
    store = Store(world.store_url)
    with TestClient(create_app(settings())) as c:  # E2 answered, E6 not eligible, E99 not on the roster
        assert c.post(world.link("E2", "application"), data={**GOOD_APPLICATION, "csrf_token": security.csrf_field(
            NONCE, world.token("E2", "application"))}, cookies={security.CSRF_COOKIE: NONCE},
            follow_redirects=False).status_code == 303
    statements = []
    from sqlalchemy import event

    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with store.engine.connect() as conn:
        found = application_pages.read_applicants(conn, [(COHORT, p) for p in ("E1", "E2", "E6", "E99", "E1")])
        assert len(statements) == 2  # E2 answered: their answers are the second statement
        application_pages.read_applicants(conn, [(COHORT, p) for p in ("E1", "E3", "E4")])
    assert len(statements) == 3  # no one answered: one statement
    assert [(a.person and a.person["full_name"], a.person and a.person["eligible"], a.stored and a.stored["goals"])
            for a in found] == [("Person 1", True, None), ("Person 2", True, "Lead a team"),
                                ("Person 6", False, None), (None, None, None), ("Person 1", True, None)]


@pytest.mark.parametrize("cookie", ['x"; Domain=evil.example', "short", "A" * 200])
def test_a_csrf_cookie_this_app_did_not_make_is_replaced(world, cookie):
    with TestClient(create_app(settings()), base_url="https://testserver") as c:
        c.cookies.set(security.CSRF_COOKIE, cookie)
        page = c.get(world.link("E1", "application"))
    written = page.headers["set-cookie"]
    nonce = written.split(";")[0].removeprefix(f"{security.CSRF_COOKIE}=")
    assert nonce != cookie and len(nonce) == 32 and "evil" not in written
    assert written.endswith("; HttpOnly; Path=/; SameSite=strict; Secure")
    assert security.csrf_field(nonce, world.token("E1", "application")) in page.text


def test_a_link_verified_before_is_refused_once_its_key_is_rotated_out(world, monkeypatch):
    old, new = "o" * 20 + "ld-key-0123456789abcdef", "n" * 20 + "ew-key-0123456789abcdef"
    monkeypatch.setenv("MENTORFLOW_SECRET_KEY", old)
    link = "/forms/application?token=" + tokens.issue(tokens.FormGrant(COHORT, "E1", "application", "window"))
    with TestClient(create_app(settings())) as c:
        assert c.get(link).status_code == 200
        monkeypatch.setenv("MENTORFLOW_SECRET_KEY", f"{new},{old}")  # rotating: both keys
        assert c.get(link).status_code == 200
        monkeypatch.setenv("MENTORFLOW_SECRET_KEY", new)  # rotated out
        assert c.get(link).status_code == 403
        forged = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
        assert c.get(forged).status_code == 403


def test_a_cohort_file_change_shows_once_the_file_is_looked_at_again(world):
    """A busy server looks at a cohort's file at most once per ``recheck_seconds`` (not on every request)."""
    with TestClient(create_app(settings(recheck_seconds=3600))) as kept, \
            TestClient(create_app(settings(recheck_seconds=0))) as fresh:
        for c in (kept, fresh):
            assert "Test Cohort" in c.get(world.link("E1", "application")).text
        world.config_path.write_text(world.config_path.read_text().replace("Test Cohort", "Renamed Program"))
        later = world.config_path.stat().st_mtime + 5  # a changed file, on a file system of coarse timestamps too
        os.utime(world.config_path, (later, later))
        assert "Renamed Program" not in kept.get(world.link("E1", "application")).text
        assert "Renamed Program" in fresh.get(world.link("E1", "application")).text


def test_an_unreachable_database_answers_the_page_with_503(world):
    """The pages' batched read fails the way a post's does: the program's database cannot be reached (no 500)."""
    text = world.config_path.read_text()
    world.config_path.write_text(text.replace(world.store_url, "postgresql+psycopg2://nobody@127.0.0.1:9/none"))
    with TestClient(create_app(settings())) as c:
        page = c.get(world.link("E1", "application"))
    assert page.status_code == 503 and "cannot be reached" in page.text
