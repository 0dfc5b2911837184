"""The forms app through its HTTP interface (TestClient), on SQLite and PostgreSQL:
links, deadlines, CSRF, rate limits, storage in one transaction, field errors, escaping."""

from __future__ import annotations

import datetime as dt
import re
import socket

import pytest
from conftest import run_of
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, GOOD_APPLICATION, GOOD_CLOSEOUT, GOOD_PULSE, GOOD_REMATCH, XSS, make_world
from markupsafe import escape
from mentorflow.cohorts import calendar
from mentorflow.forms import events, models, security, tokens
from mentorflow.forms import fields as form_fields
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, applications, evaluations, form_events, pulse_responses, rematch_requests

GOOD = {"application": GOOD_APPLICATION, "gapfill": GOOD_APPLICATION, "pulse": GOOD_PULSE, "rematch": GOOD_REMATCH,
        "closeout": GOOD_CLOSEOUT}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")


@pytest.fixture
def world_both(cohorts_dir, store):
    """The same world on each store backend, for the tests about what is stored."""
    return make_world(cohorts_dir, store.url)


def client_for(settings: FormsSettings | None = None) -> TestClient:
    settings = settings or FormsSettings(airflow=events.AirflowClient(f"http://127.0.0.1:{closed_port()}"))
    return TestClient(create_app(settings))


@pytest.fixture
def client():
    with client_for() as c:
        yield c


def escaped(text: str) -> str:
    return str(escape(text))


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def submit(client: TestClient, link: str, fields: dict, **kw):
    page = client.get(link)
    assert page.status_code == 200, page.text
    return client.post(link, data={**fields, "csrf_token": csrf_of(page.text)}, follow_redirects=False, **kw)


# -- validation (pure) --------------------------------------------------------------------------


def test_a_good_application_maps_onto_the_data_contract():
    answers = form_fields.parse("application", GOOD_APPLICATION)
    row = answers.store_row()
    assert row["skills_offered"] == "python:4" and row["skills_wanted"] == "leadership:3"
    assert [row[f"tipi_{i}"] for i in range(1, 11)] == [(i % 7) + 1 for i in range(1, 11)]
    assert row["preferred_partners"] == "E3" and row["avoid_partners"] == "E5" and row["capacity"] == 2


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"tipi_3": "9"}, "tipi_3", "at most 7"),
    ({"tipi_4": ""}, "tipi_4", "please answer"),
    ({"skills_offered-0-level": "0"}, "skills_offered-0-level", "at least 1"),
    ({"skills_wanted-0-name": "a;b"}, "skills_wanted-0-name", "cannot contain"),
    ({"hours_per_month": "lots"}, "hours_per_month", "number"),
    ({"async_budget": "21"}, "async_budget", "at most 20"),
    ({"async_budget": "-1"}, "async_budget", "at least 0"),
    ({"async_budget": "a few"}, "async_budget", "number"),
    ({"role": "boss"}, "role", "choose one"),
    ({"goals": "   "}, "goals", ""),
    ({"consent": ""}, "consent", "agree"),
    ({"motivation": "x" * 2001}, "motivation", "at most 2000"),
])
def test_each_bad_answer_is_named_by_its_field(change, field, words):
    with pytest.raises(models.FieldErrors) as caught:
        form_fields.parse("application", {**GOOD_APPLICATION, **change})
    assert list(caught.value.errors) == [field]
    assert words in caught.value.errors[field]


def test_role_rules_and_contradictory_partners_are_reported_together():
    fields = {**GOOD_APPLICATION, "role": "both", "skills_offered-0-name": "", "skills_offered-0-level": "",
              "capacity": "", "avoid_partners-0": "E3"}
    with pytest.raises(models.FieldErrors) as caught:
        form_fields.parse("application", fields)
    assert set(caught.value.errors) == {"skills_offered", "capacity", "avoid_partners"}


def test_skill_rows_keep_their_own_field_names_when_earlier_rows_are_blank():
    fields = {**GOOD_APPLICATION, "skills_wanted-0-name": "", "skills_wanted-0-level": "",
              "skills_wanted-3-name": "sql", "skills_wanted-3-level": "9"}
    with pytest.raises(models.FieldErrors) as caught:
        form_fields.parse("application", fields)
    assert caught.value.errors == {"skills_wanted-3-level": "must be at most 5"}


def test_prefill_round_trips_a_stored_application():
    row = form_fields.parse("application", GOOD_APPLICATION).store_row()
    values = form_fields.prefill("gapfill", row)
    again = form_fields.parse("gapfill", {**values, "consent": "yes"}).store_row()
    assert again == row


# -- links --------------------------------------------------------------------------------------


def test_forged_other_form_and_tampered_links_are_refused_and_name_no_one(world, client):
    good = world.token("E1", "pulse")
    forged = tokens.URLSafeTimedSerializer("not-our-secret", salt="mentorflow-form-link").dumps(
        {"c": COHORT, "p": "E1", "f": "pulse", "t": "pulse-1"})
    for link, status, words in [
        (f"/forms/pulse?token={forged}", 403, "not valid"),
        (f"/forms/pulse?token={good[:-3]}abc", 403, "not valid"),
        (f"/forms/closeout?token={good}", 403, "not valid for this form"),
        ("/forms/pulse", 403, "personal link"),
        (f"/forms/nonsense?token={good}", 404, "no such form"),
    ]:
        response = client.get(link)
        assert response.status_code == status, link
        assert words in response.text
        assert "Person 1" not in response.text and "E1" not in response.text


def test_an_expired_link_is_refused(world):
    late = calendar.link_expiry(world.config, "pulse", "pulse-1") + dt.timedelta(seconds=5)
    with client_for(FormsSettings(clock=lambda: late)) as client:
        response = client.get(world.link("E1", "pulse"))
    assert response.status_code == 403 and "expired" in response.text


def test_a_link_for_someone_outside_the_cohort_or_not_eligible_is_refused(world, client):
    stranger = client.get(world.link("NOBODY", "application"))
    assert stranger.status_code == 403 and "not valid" in stranger.text
    ineligible = client.get(world.link("E6", "application"))
    assert ineligible.status_code == 403 and "not open to you" in ineligible.text
    unpaired = client.get(world.link("E5", "pulse"))
    assert unpaired.status_code == 403 and "no partnership" in unpaired.text


def test_a_pulse_about_someone_elses_pair_is_refused(world, client):
    response = submit(client, world.link("E1", "pulse"), {**GOOD_PULSE, "match_id": "2"})
    assert response.status_code == 422 and "your own partnerships" in response.text
    assert Store(world.store_url).count(pulse_responses) == 0


# -- submitting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["application", "gapfill", "pulse", "rematch", "closeout"])
def test_every_form_saves_and_a_second_submission_updates_the_answer(world_both, client, form):
    link = world_both.link("E1", form)
    first = submit(client, link, GOOD[form])
    assert first.status_code == 303
    changed = {**GOOD[form], "comment": "second thoughts", "goals": "second goals"}
    changed = {k: v for k, v in changed.items() if k in GOOD[form]}
    assert submit(client, link, changed).status_code == 303
    store = Store(world_both.store_url)
    table, text_column = {"application": (applications, "goals"), "gapfill": (applications, "goals"),
                          "pulse": (pulse_responses, "comment"), "rematch": (rematch_requests, "comment"),
                          "closeout": (evaluations, "comment")}[form]
    rows = store.rows(table)
    assert len(rows) == 1 and rows[0][text_column] == ("second goals" if table is applications else "second thoughts")
    shown = client.get(link)
    assert escaped(rows[0][text_column]) in shown.text  # prefilled on the next visit


def test_the_application_is_stored_as_a_form_submission(world_both, client):
    assert submit(client, world_both.link("E2", "application"), GOOD_APPLICATION).status_code == 303
    row = Store(world_both.store_url).rows(applications, employee_id="E2")[0]
    assert row["source"] == "form" and row["status"] == "received" and row["tipi_10"] == 4


def test_skill_fields_suggest_the_vocabulary_and_keep_what_the_person_typed(world_both, client):
    """Suggestions as you type need no JavaScript: every skill field is bound to one <datalist> of the vocabulary's
    canonical names. Free text is still accepted and stored as the person typed it (their own words, shown back
    on the gap-fill form); matching maps it to the canonical skill when it scores."""
    from mentorflow.matching.vocabulary import current

    page = client.get(world_both.link("E2", "application")).text
    (datalist,) = re.findall(r'<datalist id="skill-names">(.*?)</datalist>', page, re.DOTALL)
    options = re.findall(r'<option value="([^"]+)">', datalist)
    assert len(options) == len(current().skills) >= 200
    assert "public speaking" in options and "presenting" not in options  # canonical names only
    inputs = re.findall(r'<input[^>]*name="skills_(?:offered|wanted)-\d-name"[^>]*>', page)
    assert len(inputs) == 2 * models.SKILL_ROWS and all('list="skill-names"' in i for i in inputs)
    typed = {**GOOD_APPLICATION, "skills_wanted-0-name": "Presentation Skills", "skills_offered-0-name": "Beekeeping"}
    assert submit(client, world_both.link("E2", "application"), typed).status_code == 303
    row = Store(world_both.store_url).rows(applications, employee_id="E2")[0]
    assert (row["skills_wanted"], row["skills_offered"]) == ("Presentation Skills:3", "Beekeeping:4")
    assert current().canonical("Presentation Skills") == "public speaking"
    assert current().canonical("Beekeeping") == "beekeeping" and not current().is_known("Beekeeping")
    again = client.get(world_both.link("E2", "gapfill")).text
    assert 'value="Presentation Skills"' in again and 'list="skill-names"' in again


def test_the_application_asks_before_sharing_goals_and_stores_the_answer(world_both, client):
    """Goals are quoted to a partner only with the applicant's consent: the form asks, the default is no."""
    page = client.get(world_both.link("E1", "application")).text
    (box,) = re.findall(r'<input[^>]*name="share_goals"[^>]*>', page)
    assert 'type="checkbox"' in box and "checked" not in box
    assert "Share my goals with my partner" in page
    assert submit(client, world_both.link("E1", "application"), GOOD_APPLICATION).status_code == 303
    assert submit(client, world_both.link("E2", "application"),
                  {**GOOD_APPLICATION, "share_goals": "yes"}).status_code == 303
    stored = {r["employee_id"]: r["share_goals"] for r in Store(world_both.store_url).rows(applications)}
    assert stored == {"E1": False, "E2": True}
    (again,) = re.findall(r'<input[^>]*name="share_goals"[^>]*>', client.get(world_both.link("E2", "gapfill")).text)
    assert "checked" in again  # the gap-fill form shows the answer given
    assert form_fields.parse_json("application", {
        "role": "mentee", "goals": "Grow", "tipi": [4] * 10, "hours_per_month": 4, "consent": True,
        "skills_wanted": [{"name": "sql", "level": 3}]}).store_row()["share_goals"] is False


def test_a_mentors_circle_and_written_budget_and_everyones_group_consent_are_stored_as_answered(world_both, client):
    """The mentor part asks for a circle and a written-mentoring budget (0-20 a month) in a fieldset of its own;
    everyone may agree to share name and email within a group. Unticked and blank mean no."""
    page = client.get(world_both.link("E1", "application")).text
    fieldset = page.split('<fieldset class="field" id="mentor_offers"', 1)[1].split("</fieldset>", 1)[0]
    assert "<legend>More ways to help as a mentor (optional)</legend>" in fieldset
    assert 'name="circle_volunteer"' in fieldset and 'name="async_budget"' in fieldset
    assert '<label for="async_budget">' in fieldset and 'min="0" max="20"' in fieldset
    (consent_box,) = re.findall(r'<input[^>]*name="group_consent"[^>]*>', page)
    assert "checked" not in consent_box and 'aria-describedby="group_consent-hint"' in consent_box
    mentor = {**GOOD_APPLICATION, "circle_volunteer": "yes", "async_budget": "5", "group_consent": "yes"}
    assert submit(client, world_both.link("E1", "application"), mentor).status_code == 303
    assert submit(client, world_both.link("E2", "application"), GOOD_APPLICATION).status_code == 303
    mentee = {**GOOD_APPLICATION, "role": "mentee", "capacity": "", "skills_offered-0-name": "",
              "skills_offered-0-level": "", "circle_volunteer": "yes", "async_budget": "4", "group_consent": "yes"}
    assert submit(client, world_both.link("E4", "application"), mentee).status_code == 303
    stored = {r["employee_id"]: (r["circle_volunteer"], r["async_budget"], r["group_consent"])
              for r in Store(world_both.store_url).rows(applications)}
    # a mentee's circle and budget are no offer anyone can use: not kept; their consent is
    assert stored == {"E1": (True, 5, True), "E2": (False, None, False), "E4": (False, None, True)}
    again = client.get(world_both.link("E1", "gapfill")).text
    assert 'value="5"' in re.findall(r'<input[^>]*name="async_budget"[^>]*>', again)[0]
    assert all("checked" in box for box in re.findall(r'<input[^>]*name="(?:circle_volunteer|group_consent)"[^>]*>',
                                                       again))


def test_a_written_budget_over_twenty_is_refused_beside_its_field_and_nothing_is_stored(world, client):
    response = submit(client, world.link("E1", "application"), {**GOOD_APPLICATION, "async_budget": "50"})
    assert response.status_code == 422
    assert '<p class="error" id="async_budget-error">' in response.text and "must be at most 20" in response.text
    assert 'value="50"' in re.findall(r'<input[^>]*name="async_budget"[^>]*>', response.text)[0]  # kept to correct
    assert Store(world.store_url).rows(applications) == []


def test_invalid_input_shows_each_error_beside_its_field_and_keeps_the_rest(world, client):
    fields = {**GOOD_APPLICATION, "tipi_3": "9", "hours_per_month": "", "motivation": "Kept motivation"}
    response = submit(client, world.link("E1", "application"), fields)
    assert response.status_code == 422
    page = response.text
    for field in ("tipi_3", "hours_per_month"):
        assert f'id="{field}-error"' in page
        assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"', page) or \
            re.search(rf'aria-describedby="[^"]*{field}-error"[^>]*', page)
    assert "Kept motivation" in page and 'value="python"' in page and 'value="E5"' in page
    assert re.search(r'<option value="3" selected>', page)  # skills_wanted level kept
    assert Store(world.store_url).count(applications) == 0


def test_api_clients_get_422_with_field_errors_and_200_when_saved(world, client):
    url = f"/api/forms/closeout?token={world.token('E2', 'closeout')}"
    bad = client.post(url, json={"goals_met": 7, "satisfaction": "x", "recommend": 3, "extra": 1})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"goals_met", "satisfaction", "extra"}
    good = client.post(url, json={"goals_met": 4, "satisfaction": 5, "recommend": 10})
    assert good.status_code == 200 and good.json()["status"] == "saved"
    assert Store(world.store_url).rows(evaluations)[0]["role"] == "mentee"
    assert client.post(url, content="goals_met=1", headers={"content-type": "text/plain"}).status_code == 415
    html_route = client.post(f"/forms/closeout?token={world.token('E2', 'closeout')}", data={"goals_met": "9"},
                             headers={"accept": "application/json"})
    assert html_route.status_code == 403  # no CSRF field: refused before anything else


def test_json_accept_header_on_the_html_route_returns_field_errors(world, client):
    link = world.link("E1", "closeout")
    page = client.get(link)
    response = client.post(link, data={"csrf_token": csrf_of(page.text), "goals_met": "9"},
                           headers={"accept": "application/json"})
    assert response.status_code == 422 and response.json()["errors"]["goals_met"] == "must be at most 5"


# -- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("form", "period"), [("application", "window"), ("gapfill", "window"),
                                              ("pulse", "pulse-1"), ("rematch", "window"), ("closeout", "closeout")])
def test_after_its_deadline_a_form_refuses_with_the_closing_date(world, form, period):
    config = world.config
    closes = calendar.form_deadline(config, form, period)
    with client_for(FormsSettings(clock=lambda: closes + dt.timedelta(seconds=1))) as late:
        link = world.link("E1", form, period)
        assert late.get(link).status_code == 410
        response = late.post(link, data=GOOD[form])
    assert response.status_code == 410 and "closed on" in response.text
    assert calendar.describe(closes, config) in response.text


def test_deadlines_follow_the_cohort_calendar(world):
    config = world.config
    pulses = calendar.pulse_dates(config)
    assert calendar.form_deadline(config, "pulse", "pulse-1") == pulses[1]
    assert calendar.form_deadline(config, "pulse", f"pulse-{len(pulses)}") == config.at(config.calendar.close_out)
    assert calendar.form_deadline(config, "closeout") - config.at(config.calendar.close_out) == dt.timedelta(
        days=config.calendar.evaluation_days)


# -- CSRF and rate limits -----------------------------------------------------------------------


def test_posts_without_a_matching_csrf_pair_are_refused(world, client):
    link = world.link("E1", "closeout")
    page = client.get(link)
    field = csrf_of(page.text)
    other_link_field = security.csrf_field(client.cookies.get(security.CSRF_COOKIE), world.token("E2", "closeout"))
    for data, cookies in [({**GOOD_CLOSEOUT}, None), ({**GOOD_CLOSEOUT, "csrf_token": other_link_field}, None),
                          ({**GOOD_CLOSEOUT, "csrf_token": field}, {security.CSRF_COOKIE: "attacker"})]:
        if cookies:
            client.cookies.set(security.CSRF_COOKIE, cookies[security.CSRF_COOKIE])
        assert client.post(link, data=data).status_code == 403
    assert Store(world.store_url).count(evaluations) == 0
    assert "samesite=strict" in page.headers["set-cookie"].lower() and "httponly" in page.headers["set-cookie"].lower()


def test_posts_beyond_the_burst_are_rate_limited_per_link(world):
    settings = FormsSettings(limiter=security.RateLimiter(burst=2, per_minute=0.001),
                             airflow=events.AirflowClient(f"http://127.0.0.1:{closed_port()}"))
    with client_for(settings) as client:
        link = world.link("E1", "closeout")
        statuses = [submit(client, link, GOOD_CLOSEOUT).status_code for _ in range(3)]
        other = submit(client, world.link("E2", "closeout"), GOOD_CLOSEOUT).status_code
    assert statuses == [303, 303, 429] and other == 303


def test_the_token_bucket_refills_over_time():
    limiter = security.RateLimiter(burst=1, per_minute=60)
    assert limiter.allow("t", now=0.0)[0]
    allowed, wait = limiter.allow("t", now=0.5)
    assert not allowed and 0.4 < wait <= 0.5
    assert limiter.allow("t", now=1.01)[0]


# -- escaping -----------------------------------------------------------------------------------


def test_xss_in_every_free_text_field_comes_back_escaped_in_the_pages(world, client):
    fields = {**GOOD_APPLICATION, **{k: XSS for k in ("motivation", "prior_experience", "goals", "preferred_traits")},
              "tipi_1": "bad"}
    page = submit(client, world.link("E1", "application"), fields).text  # 422: the typed text is echoed back
    assert "<script>" not in page and "onerror=alert(1)>" not in page
    assert page.count(escaped(XSS)) == 4
    assert submit(client, world.link("E1", "pulse"), {**GOOD_PULSE, "comment": XSS}).status_code == 303
    again = client.get(world.link("E1", "pulse")).text
    assert "<script>" not in again and escaped(XSS) in again
    assert submit(client, world.link("E1", "application"), {**GOOD_APPLICATION, "goals": XSS}).status_code == 303
    assert Store(world.store_url).rows(applications)[0]["goals"] == XSS  # stored as typed, escaped on output


def test_pages_are_sent_with_headers_that_keep_the_link_private(world, client):
    response = client.get(world.link("E1", "pulse"))
    assert response.headers["referrer-policy"] == "no-referrer" and response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_delivery_is_tried_after_a_post_that_queued_an_event_and_not_after_one_that_did_not(world_both, client):
    """Airflow is unreachable here (a closed port): each delivery attempt is counted on the pending event."""
    assert submit(client, world_both.link("E4", "rematch"), {**GOOD_REMATCH, "match_id": "2"}).status_code == 303
    store = Store(world_both.store_url)
    [event] = store.rows(form_events)
    assert (event["status"], event["attempts"]) == ("pending", 1)
    assert submit(client, world_both.link("E1", "pulse"), GOOD_PULSE).status_code == 303  # continue: no event
    [event] = store.rows(form_events)
    assert (event["status"], event["attempts"]) == ("pending", 1)  # nothing queued, so nothing was tried


def test_a_flagged_pulse_and_a_rematch_request_queue_triage_events_with_their_answers(world_both, client):
    submit(client, world_both.link("E2", "pulse"), {**GOOD_PULSE, "outcome": "end"})
    submit(client, world_both.link("E2", "pulse"), {**GOOD_PULSE, "outcome": "rematch"})  # changed wish, same event
    submit(client, world_both.link("E4", "rematch"), {**GOOD_REMATCH, "match_id": "2"})
    submit(client, world_both.link("E1", "pulse"), GOOD_PULSE)  # continue: no event
    store = Store(world_both.store_url)
    queued = sorted((e["match_id"], e["reason"], e["requester_id"], e["status"]) for e in store.rows(form_events))
    assert queued == [(1, "rematch", "E2", "pending"), (2, "rematch", "E4", "pending")]
    assert store.rows(pulse_responses, respondent_id="E2")[0]["wants_end"] is True
    assert all(e["attempts"] >= 1 and "unreachable" in e["last_error"] for e in store.rows(form_events)
               if e["requester_id"] == "E2")


def test_links_in_the_pipeline_emails_open_their_forms_where_airflow_mounts_the_app(world):
    """Invitation, gap-fill, pulse and close-out emails link to pages that open, below /mentorflow."""
    import email
    import email.policy

    from fastapi import FastAPI
    from mentorflow import settings
    from mentorflow.stages import closeout, intake, pulse
    from mentorflow.stages import open as open_stage

    config, store = world.config, Store(world.store_url)
    store.upsert(applications, [{"cohort_id": COHORT, "employee_id": "E3", "role": "mentee", "goals": "",
                                 "source": "csv", "status": "received", "submitted_at": dt.datetime.now(dt.timezone.utc)}])
    open_stage.send_invitations(run_of(config, store))
    intake.send_gapfill(run_of(config, store))
    pulse.send_pulse(run_of(config, store, calendar.pulse_dates(config)[0]))
    closeout.send_closeout_survey(run_of(config, store))
    airflow_like = FastAPI()
    airflow_like.mount("/mentorflow", create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9"))))
    opened: dict[str, str] = {}
    with TestClient(airflow_like, base_url="http://127.0.0.1:8080") as client:
        for eml in sorted(settings.outbox_dir(COHORT).rglob("*.eml")):
            text = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default).get_body(
                ("plain",)).get_content()
            link = re.search(r"(http://127\.0\.0\.1:8080/mentorflow/forms/\S+)", text).group(1)
            page = client.get(link)
            assert page.status_code == 200, (eml, page.text[:300])
            assert client.get(link.split("?")[0].rsplit("/", 1)[0] + "/assets/forms.css").status_code == 200
            opened[link.split("/forms/")[1].split("?")[0]] = link
        page = client.get(opened["closeout"]).text
        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
        posted = client.post(opened["closeout"].rsplit("/", 1)[0] + "/" + action,  # resolved as a browser would
                             data={**GOOD_CLOSEOUT, "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert set(opened) == {"application", "gapfill", "pulse", "closeout"}
    assert posted.status_code == 303


def test_the_plugin_is_cheap_to_import_and_mounts_the_app_lazily():
    import json
    import os
    import subprocess
    import sys

    from conftest import ROOT

    probe = ("import json, sys; import mentorflow_plugin as p; "
             "print(json.dumps({'loaded': sorted(m for m in sys.modules if m.startswith('mentorflow.')), "
             "'apps': [{k: (v if isinstance(v, str) else type(v).__name__) for k, v in d.items()} "
             "for d in p.MentorflowPlugin.fastapi_apps]}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "plugins")})
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["loaded"] == []  # nothing of the domain package (nor the forms app) at plugin load
    assert found["apps"] == [{"app": "LazyASGIApp", "url_prefix": "/mentorflow", "name": "mentorflow forms"},
                             {"app": "LazyASGIApp", "url_prefix": "/mentorflow-committee",
                              "name": "mentorflow committee console"},
                             {"app": "LazyASGIApp", "url_prefix": "/mentorflow-reports", "name": "mentorflow reports"}]


def test_an_unreachable_store_gets_a_clear_503_not_a_crash(cohorts_dir, tmp_path):
    world = make_world(cohorts_dir, f"sqlite:///{tmp_path / 'forms.db'}")
    link = world.link("E1", "closeout")
    with client_for() as before:
        page = before.get(link)
        cookies = dict(before.cookies)
    for leftover in tmp_path.glob("forms.db*"):
        leftover.unlink()
    (tmp_path / "forms.db").mkdir()  # the store file is now a directory: every query fails
    with client_for() as client:
        client.cookies.update(cookies)
        response = client.post(link, data={**GOOD_CLOSEOUT, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 503 and "nothing was saved" in response.text


def test_a_link_only_ever_writes_its_own_persons_answers(world, client):
    """The person comes from the signed link alone: naming someone else in the post changes nothing."""
    assert submit(client, world.link("E1", "application"), {**GOOD_APPLICATION, "employee_id": "E2"}).status_code == 303
    api = client.post(f"/api/forms/closeout?token={world.token('E1', 'closeout')}",
                      json={"goals_met": 4, "satisfaction": 5, "recommend": 8, "employee_id": "E2"})
    assert api.status_code == 422 and "employee_id" in api.json()["errors"]
    store = Store(world.store_url)
    assert [r["employee_id"] for r in store.rows(applications)] == ["E1"] and store.count(evaluations) == 0


def test_forms_serve_runs_the_app_alone_under_uvicorn(world):
    import os
    import subprocess
    import sys
    import time

    import httpx

    port = closed_port()
    server = subprocess.Popen([sys.executable, "-m", "mentorflow.cli.main", "forms", "serve", "--host", "127.0.0.1",
                               "--port", str(port)], env={**os.environ, "PYTHONPATH": "plugins"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                page = httpx.get(f"http://127.0.0.1:{port}{world.link('E1', 'application')}", timeout=2)
                break
            except httpx.HTTPError:
                assert server.poll() is None, "mentorflow forms serve exited"
                time.sleep(0.2)
        assert page.status_code == 200 and "Apply to the mentoring program" in page.text
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_role_problems_show_up_together_with_field_problems():
    fields = {**GOOD_APPLICATION, "role": "mentor", "skills_offered-0-name": "", "skills_offered-0-level": "",
              "tipi_2": "", "capacity": "0"}
    with pytest.raises(models.FieldErrors) as caught:
        form_fields.parse("application", fields)
    assert set(caught.value.errors) == {"tipi_2", "skills_offered", "capacity"}


def test_served_alone_the_app_keeps_retrying_pending_events(world):
    import time

    settings = FormsSettings(airflow=events.AirflowClient(f"http://127.0.0.1:{closed_port()}"), retry_seconds=0.2)
    with client_for(settings) as client:  # entering the client runs the app's lifespan, as uvicorn does
        assert submit(client, world.link("E1", "rematch"), GOOD_REMATCH).status_code == 303
        time.sleep(1.5)
    attempts = Store(world.store_url).rows(form_events)[0]["attempts"]
    assert attempts >= 3  # one after the submission, then one every 0.2 s while Airflow stays down
