"""The committee asks an applicant a question (mentorflow.committee.asking, mentorflow.forms.question).

The console runs in-process with real Airflow tokens (committee_fixtures); the email goes through the send ledger to
the cohort's outbox; the applicant answers on the forms app's page with the link from that email; the answer shows
on the review page. Retention and erasure run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import urllib.parse

import pytest
from browser_fixtures import SHOTS, needs_chromium
from committee_fixtures import COHORT, build_world, csrf_of
from fastapi.testclient import TestClient
from forms_fixtures import serving
from mentorflow import settings
from mentorflow.cohorts import calendar
from mentorflow.committee import asking, audit
from mentorflow.forms import events
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import committee_questions, email_ledger, unmatched

PAGE = f"/committee/{COHORT}/initial"
ASK = f"{PAGE}/questions"
ANSWER = "I would rather have a mentor outside Finance: <b>fresh eyes</b> & a different network."


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("questions-world"))


def outbox_emails(person: str) -> list[email.message.EmailMessage]:
    folder = settings.outbox_dir(COHORT) / asking.TEMPLATE
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob(f"*/{person}.eml"))]


def link_in(message: email.message.EmailMessage) -> str:
    """The answer link of an email, as a path below the forms app (``/forms/question?token=…&q=…``)."""
    text = message.get_body(("plain",)).get_content()
    url = next(word for word in text.split() if "/forms/question?" in word)
    return url[url.index("/forms/"):]


def forms_client(clock=None) -> TestClient:
    settings_ = FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9"), deliver_events=False)
    if clock is not None:
        settings_.clock = clock
    return TestClient(create_app(settings_))


def someone_unmatched(world) -> str:
    return sorted(u["employee_id"] for u in world.store.rows(unmatched, cohort_id=COHORT, round="initial"))[0]


def question_rows(world, **where) -> list[dict]:
    return world.store.rows(committee_questions, cohort_id=COHORT, **where)


def test_a_reviewer_asks_the_applicant_answers_on_the_link_and_the_answer_shows_in_the_console(console, caplog):
    caplog.set_level(logging.DEBUG)
    client, world = console
    chair = client("chair")
    page = chair.get(PAGE).text
    assert 'id="questions"' in page and 'href="#questions"' in page and "Ask an applicant" in page
    person = someone_unmatched(world)
    assert f'<option value="{person}">' in page  # the round's people by name and id
    question = "Your goals mention <i>leading</i> a team: which team, and by when?"
    done = chair.post(ASK, data={"employee_id": person, "question": question, "csrf_token": csrf_of(page)},
                      follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith(f"{PAGE}?asked=1#questions")
    [row] = question_rows(world, employee_id=person)
    assert (row["question"], row["asked_by"], row["answer"]) == (question, "chair", None)
    entry = audit.trail(world.store, COHORT, "initial")[0]
    assert (entry["actor"], entry["action"], entry["detail"]) == (
        "chair", "question", {"question_id": row["question_id"], "employee_id": person})
    # one email through the ledger, gap-fill style, with the question and a personal link
    [message] = outbox_emails(person)
    assert "has a question about your application" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert question in text and "until" in text
    html = message.get_body(("html",)).get_content()
    assert "&lt;i&gt;leading&lt;/i&gt;" in html and "<i>leading</i>" not in html
    [ledger] = world.store.rows(email_ledger, cohort_id=COHORT, person_id=person, template=asking.TEMPLATE)
    assert (ledger["period"], ledger["status"]) == (f"question-{row['question_id']}", "sent")
    shown = chair.get(done.headers["location"]).text
    assert "Your question was saved" in shown and "not answered yet" in shown
    # the applicant opens the link, answers (a bad answer first: 422, the error beside the field, nothing saved)
    link = link_in(message)
    forms = forms_client()
    form = forms.get(link)
    assert form.status_code == 200 and "&lt;i&gt;leading&lt;/i&gt;" in form.text
    field = csrf_of(form.text)
    refused = forms.post(link, data={"answer": "   ", "csrf_token": field})
    assert refused.status_code == 422 and 'id="answer-error"' in refused.text and 'aria-invalid="true"' in refused.text
    too_long = forms.post(link, data={"answer": "x" * 4001, "csrf_token": field})
    assert too_long.status_code == 422 and "4000 characters" in too_long.text
    assert forms.post(link, data={"answer": ANSWER}).status_code == 403  # no CSRF field
    assert question_rows(world, employee_id=person)[0]["answer"] is None
    saved = forms.post(link, data={"answer": "first try", "csrf_token": field}, follow_redirects=False)
    assert saved.status_code == 303 and "saved=1" in saved.headers["location"]
    again = forms.post(link, data={"answer": ANSWER, "csrf_token": field}, follow_redirects=True)
    assert again.status_code == 200 and "your answer is saved" in again.text
    assert "fresh eyes" in again.text and "<b>fresh eyes</b>" not in again.text  # prefilled, escaped
    [answered] = question_rows(world, employee_id=person)
    assert answered["answer"] == ANSWER and answered["answered_at"] is not None  # the second answer replaced it
    # the committee reads it in the console, escaped
    console_page = chair.get(PAGE).text
    assert "&lt;b&gt;fresh eyes&lt;/b&gt; &amp; a different network." in console_page
    # neither the answer nor the question is ever logged
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "fresh eyes" not in logged and "first try" not in logged and "leading" not in logged


def test_the_ledger_emails_a_question_once_however_often_it_is_sent(console):
    client, world = console
    chair = client("chair")
    person = someone_unmatched(world)
    before = {r["question_id"] for r in question_rows(world)}
    field = csrf_of(chair.get(PAGE).text)
    for _ in range(2):  # a repeated post is a new question: each emailed once
        assert chair.post(ASK, data={"employee_id": person, "question": "Same words twice?", "csrf_token": field},
                          follow_redirects=False).status_code == 303
    new = [r for r in question_rows(world, employee_id=person) if r["question_id"] not in before]
    assert len(new) == 2 and len(outbox_emails(person)) == 2
    # sending one question again (a retried request, a retried run) delivers nothing more
    again = asking.send(world.config, world.store, [new[0]])
    assert (again["sent"], again["skipped"]) == (0, 1)
    assert len(outbox_emails(person)) == 2
    for row in new:
        [ledger] = world.store.rows(email_ledger, cohort_id=COHORT, person_id=person, template=asking.TEMPLATE,
                                    period=f"question-{row['question_id']}")
        assert (ledger["status"], ledger["attempts"]) == ("sent", 1)
    assert asking.unsent(world.config, world.store, "initial", dt.datetime.now(dt.timezone.utc)) == []


def test_non_reviewers_missing_csrf_and_bad_questions_are_refused_and_nothing_is_written(console, airflow_auth):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    client, world = console
    person = someone_unmatched(world)
    chair = client("chair")
    field = csrf_of(chair.get(PAGE).text)
    count = len(question_rows(world))
    trail = len(audit.trail(world.store, COHORT, "initial"))
    outsider = client("outsider")
    for data in ({"employee_id": person, "question": "Hi?", "csrf_token": field},
                 {"employee_id": person, "question": "Hi?"}):
        refused = outsider.post(ASK, data=data)
        assert refused.status_code == 403 and person not in refused.text
    assert chair.post(ASK, data={"employee_id": person, "question": "Hi?"}).status_code == 403  # no CSRF field
    assert client().post(ASK, data={"employee_id": person, "question": "Hi?", "csrf_token": field}).status_code == 401
    for data, said in (({"employee_id": person, "question": " "}, "question: write between 1 and 1000"),
                       ({"employee_id": person, "question": "x" * 1001}, "question: write between 1 and 1000"),
                       ({"employee_id": "E-NOBODY", "question": "Hi?"}, "employee_id: E-NOBODY has no application"),
                       ({"question": "Hi?"}, "employee_id: choose the applicant")):
        bad = chair.post(ASK, data={**data, "csrf_token": field})
        assert bad.status_code == 422 and said in bad.text, data
    # the JSON twin with a Bearer token (a script): same checks, the problems by field
    token = airflow_auth.generate_jwt(SimpleAuthManagerUser(username="member", role="user"))
    api = TestClient(chair.app, headers={"Authorization": f"Bearer {token}"})
    bad = api.post(f"/api{ASK}", json={"employee_id": person, "question": ""})
    assert bad.status_code == 422 and bad.json()["problems"][0].startswith("question:")
    assert len(question_rows(world)) == count and len(audit.trail(world.store, COHORT, "initial")) == trail
    made = api.post(f"/api{ASK}", json={"employee_id": person, "question": "Asked by a script?"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["employee_id"] == person and body["email"]["sent"] == 1
    [row] = question_rows(world, question_id=body["question_id"])
    assert (row["asked_by"], row["question"]) == ("member", "Asked by a script?")


def test_a_link_opens_only_its_own_question_and_expires(console):
    client, world = console
    chair = client("chair")
    people_left = sorted(u["employee_id"] for u in world.store.rows(unmatched, cohort_id=COHORT, round="initial"))
    asked, other = people_left[0], people_left[1]
    field = csrf_of(chair.get(PAGE).text)
    secret = "Is the secret question visible to others?"
    chair.post(ASK, data={"employee_id": asked, "question": secret, "csrf_token": field})
    chair.post(ASK, data={"employee_id": other, "question": "Another person's question", "csrf_token": field})
    [mine] = [m for m in outbox_emails(asked) if secret in m.get_body(("plain",)).get_content()]
    [theirs] = outbox_emails(other)
    link, their_link = link_in(mine), link_in(theirs)
    qid = int(urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["q"][0])
    their_token = urllib.parse.parse_qs(urllib.parse.urlsplit(their_link).query)["token"][0]
    forms = forms_client()
    # another person's link pointed at this question: 404, nothing of it shown, nothing written
    for wrong in (f"/forms/question?token={their_token}&q={qid}", link.replace(f"q={qid}", "q=999999"),
                  link.replace(f"q={qid}", "q=abc")):
        page = forms.get(wrong)
        assert page.status_code == 404 and secret not in page.text, wrong
        assert forms.post(wrong, data={"answer": "taken over"}).status_code == 404
    assert forms.get(link.replace("token=", "token=x")).status_code == 403  # a forged link
    assert question_rows(world, question_id=qid)[0]["answer"] is None
    # after the deadline the page is closed (410), a week later the link itself is refused (403)
    [row] = question_rows(world, question_id=qid)
    deadline = calendar.question_deadline(world.config, "initial", row["asked_at"].replace(tzinfo=dt.timezone.utc))
    late = forms_client(clock=lambda: deadline + dt.timedelta(seconds=1))
    closed = late.get(link)
    assert closed.status_code == 410 and secret not in closed.text
    gone = forms_client(clock=lambda: deadline + calendar.TOKEN_SLACK + dt.timedelta(seconds=1)).get(link)
    assert gone.status_code == 403 and "expired" in gone.text
    assert late.post(link, data={"answer": "too late"}).status_code == 410
    assert question_rows(world, question_id=qid)[0]["answer"] is None
    assert forms.post(f"/api/forms/question?token={their_token}", json={"answer": "x"}).status_code == 404


def test_the_deadline_is_fourteen_days_or_kickoff_whichever_is_earlier(tmp_path):
    from conftest import write_cohort
    from mentorflow.cohorts.loader import load_cohort

    config = load_cohort(write_cohort(tmp_path))
    kickoff = config.at(config.calendar.kickoff)
    early = kickoff - dt.timedelta(days=30)
    assert calendar.question_deadline(config, "initial", early) == early + dt.timedelta(days=14)
    near = kickoff - dt.timedelta(days=3)
    assert calendar.question_deadline(config, "initial", near) == kickoff
    after = kickoff + dt.timedelta(hours=1)  # kickoff passed (a late review): the applicant still gets the days
    assert calendar.question_deadline(config, "initial", after) == after + dt.timedelta(days=14)
    period = calendar.question_period(7, near)
    assert calendar.question_of(period) == (7, near.astimezone(dt.timezone.utc).replace(microsecond=0))
    assert calendar.question_of("garbage")[0] is None
    assert calendar.form_deadline(config, "question", "garbage") < early  # a malformed link is long closed


def test_check_and_choices_are_plain_decisions():
    asked = {"E1": {}, "E2": {}}
    assert asking.check({"employee_id": " E1 ", "question": " Why? "}, asked) == ("E1", "Why?")
    with pytest.raises(asking.QuestionError) as bad:
        asking.check({"employee_id": "E9", "question": ""}, asked)
    assert [p.split(":")[0] for p in bad.value.problems] == ["employee_id", "question"]
    report = {"pairs": [{"mentor_id": "E2", "mentee_id": "E1", "mentor": {"full_name": "Zoe"},
                         "mentee": {"full_name": "Ann"}}],
              "unmatched": [{"employee_id": "E3", "person": {"full_name": "Bob"}},
                            {"employee_id": "E1", "person": {"full_name": "Ann"}}]}
    assert asking.choices(report) == [("E1", "Ann (E1)"), ("E3", "Bob (E3)"), ("E2", "Zoe (E2)")]


def test_retention_purges_the_texts_erasure_the_person_and_export_includes_them(store, cohorts_dir):
    from conftest import run_of, write_cohort
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.personal_data import erasure, export
    from mentorflow.stages import retention
    from mentorflow.store import people

    config = load_cohort(write_cohort(cohorts_dir, "asked-cohort", store={"url": str(store.url)}))
    store.register_cohort(config)
    store.upsert(people, [{"cohort_id": "asked-cohort", "employee_id": pid, "full_name": f"Person {pid}",
                           "email": f"{pid.lower()}@example.com", "eligible": True} for pid in ("E1", "E2")])
    now = dt.datetime.now(dt.timezone.utc)
    with store.begin() as conn:
        for pid in ("E1", "E2"):
            conn.execute(committee_questions.insert().values(
                cohort_id="asked-cohort", round="initial", employee_id=pid, question=f"Question to {pid}",
                asked_by="chair", asked_at=now, answer=f"Answer of {pid}: my divorce", answered_at=now))
    audit.record(store, "asked-cohort", "initial", "chair", "question", {"question_id": 1, "employee_id": "E1"})
    held = export.collect(store, "asked-cohort", "E1")["committee_questions"]
    assert [(q["question"], q["answer"]) for q in held] == [("Question to E1", "Answer of E1: my divorce")]
    done = erasure.apply(store, erasure.plan(store, "asked-cohort", "E1"), performed_by="dpo")
    assert done["committee_questions.employee_id"] == 1
    rows = {r["employee_id"]: r for r in store.rows(committee_questions, cohort_id="asked-cohort")}
    assert "E1" not in rows and rows["E2"]["answer"] == "Answer of E2: my divorce"
    [erased] = [r for pid, r in rows.items() if pid != "E2"]
    assert (erased["question"], erased["answer"]) == (erasure.ERASED_NAME, None)
    assert "E1" not in str(audit.trail(store, "asked-cohort", "initial")[0]["detail"])
    purged = retention.purge_free_text(run_of(config, store))
    assert purged["rows_purged"]["committee_questions"] == 2
    assert [(r["question"], r["answer"], r["asked_by"]) for r in store.rows(committee_questions,
                                                                            cohort_id="asked-cohort")] == [
        ("", None, "chair"), ("", None, "chair")]
    assert "committee_questions" not in retention.purge_free_text(run_of(config, store))["rows_purged"]


@pytest.mark.slow
@needs_chromium
def test_in_chromium_at_phone_width_without_javascript_the_applicant_answers_by_keyboard(console, browser):
    client, world = console
    chair = client("chair")
    person = someone_unmatched(world)
    field = csrf_of(chair.get(PAGE).text)
    chair.post(ASK, data={"employee_id": person, "question": "Which skill matters most to you, and why?",
                          "csrf_token": field})
    link = link_in(outbox_emails(person)[-1])
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    with serving() as base:
        page.goto(base + link)
        assert "Which skill matters most" in page.inner_text("#question")
        page.click("button[type=submit]")  # empty: the error beside the field
        assert page.locator("#answer").get_attribute("aria-invalid") == "true"
        assert "please write your answer" in page.inner_text("#answer-error")
        page.focus("#answer")
        page.keyboard.type("Negotiation: I lead supplier talks next quarter.")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Send my answer"
        page.keyboard.press("Enter")
        page.wait_for_selector("div.success")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
        page.screenshot(path=str(SHOTS / "committee-question-answered.png"), full_page=True)
    context.close()
    answered = [r for r in question_rows(world, employee_id=person) if r["answer"]]
    assert "Negotiation: I lead supplier talks next quarter." in [r["answer"] for r in answered]
