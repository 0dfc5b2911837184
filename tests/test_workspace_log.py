"""The meeting and exchange log on the partnership page (docs/workspace.md, "Meeting log"): entries, private
notes seen by their author alone, next steps with owners, refusals that write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from forms_fixtures import add_group, make_world

from mentorflow.forms import events, security
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, meeting_log, next_steps

NOTE = "She seemed tired; ask about the reorg next time"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, cohorts_dir, tmp_path):
    """The forms world on SQLite, then on PostgreSQL; kickoff was 19 days ago, so there are past dates to log."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        Store(url).drop_all()
    world = make_world(cohorts_dir, url, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))
    yield world
    if request.param == "postgresql":
        Store(url).drop_all()


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        yield c


def days_ago(days: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()


def post(client, world, person, **fields):
    token = world.token(person, "partnership")
    link = f"/forms/partnership?token={token}"
    assert client.get(link).status_code == 200  # the CSRF cookie
    data = {"section": "log", "csrf_token": security.csrf_field(client.cookies[security.CSRF_COOKIE], token), **fields}
    return client.post(link, data=data, follow_redirects=False)


def entry(**overrides):
    return {"log_action": "entry", "log_held_on": days_ago(3), "log_minutes": "45", "log_mode": "written",
            "log_note": NOTE, **overrides}


def test_a_logged_entry_with_a_next_step_is_listed_for_both_partners(world, client):
    saved = post(client, world, "E2", **entry(**{"log_step-0-text": "Read the design doc", "log_step-0-owner": "E1",
                                                 "log_step-0-due": days_ago(-7)}))
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=log#log")
    store = Store(world.store_url)
    (row,) = store.rows(meeting_log)
    assert (row["space_id"], row["author_id"], row["mode"], row["minutes"]) == ("pair-1", "E2", "written", 45)
    (step,) = store.rows(next_steps)
    assert (step["owner_id"], step["entry_id"], step["done_at"]) == ("E1", row["entry_id"], None)
    mentor = client.get(world.link("E1", "partnership")).text
    assert "written exchange, 45 minutes, logged by Person 2" in mentor
    assert "Read the design doc" in mentor and "Owner: you" in mentor


def test_the_private_note_is_seen_by_its_author_alone(world, client):
    assert post(client, world, "E2", **entry()).status_code == 303
    own = client.get(world.link("E2", "partnership")).text
    assert NOTE.replace("'", "&#39;") in own and "logged by you" in own
    partner = client.get(world.link("E1", "partnership"))
    assert partner.status_code == 200 and "logged by Person 2" in partner.text
    assert "reorg" not in partner.text and "Your private note" not in partner.text


def test_a_third_person_cannot_open_the_space_or_post_to_its_log(world, client):
    assert post(client, world, "E2", **entry()).status_code == 303
    link = world.link("E3", "partnership") + "&space=pair-1"
    page = client.get(link)
    assert page.status_code == 403 and "reorg" not in page.text and "Person 2" not in page.text
    token = world.token("E3", "partnership")
    client.get(world.link("E3", "partnership"))  # E3's own page sets the cookie
    forged = client.post(link, data={"section": "log", **entry(),
                                     "csrf_token": security.csrf_field(client.cookies[security.CSRF_COOKIE], token)})
    assert forged.status_code == 403
    assert Store(world.store_url).count(meeting_log) == 1


@pytest.mark.parametrize("fields, field, reason", [
    ({"log_held_on": days_ago(-2)}, "log_held_on", "cannot be in the future"),  # tomorrow in any timezone
    ({"log_held_on": days_ago(25)}, "log_held_on", "before the program"),
    ({"log_held_on": "yesterday"}, "log_held_on", "is not a date"),
    ({"log_minutes": "0"}, "log_minutes", "between 5 and 600"),
    ({"log_minutes": "601"}, "log_minutes", "between 5 and 600"),
    ({"log_mode": "carrier pigeon"}, "log_mode", "not one of the choices"),
    ({"log_step-0-text": "Share slides", "log_step-0-owner": "E3"}, "log_step-0-owner", "members of this partnership"),
    ({"log_step-0-text": "Share slides"}, "log_step-0-owner", "choose who"),
    ({"log_step-1-owner": "E1"}, "log_step-1-text", "write the step"),
    ({"log_step-0-text": "x", "log_step-0-owner": "E1", "log_step-0-due": days_ago(9)}, "log_step-0-due",
     "before the date of the entry"),
])
def test_a_bad_answer_is_refused_beside_its_field_and_nothing_is_written(world, client, fields, field, reason):
    refused = post(client, world, "E2", **entry(**fields))
    assert refused.status_code == 422
    assert f'id="{field}-error"' in refused.text and reason in refused.text
    assert "ask about the reorg next time</textarea>" in refused.text  # what was typed is kept on the page
    store = Store(world.store_url)
    assert store.count(meeting_log) == 0 and store.count(next_steps) == 0


def test_the_owner_is_chosen_by_name_among_members(world, client):
    page = client.get(world.link("E2", "partnership")).text
    assert '<option value="E1">Person 1</option>' in page and '<option value="E2">Person 2 (you)</option>' in page
    assert 'name="log_step-0-owner"' in page and 'type="text" id="log_step-0-owner"' not in page
    assert 'value="E3"' not in page  # nobody outside the pair is offered


def test_marking_a_next_step_done_and_a_repost_changes_nothing(world, client):
    fields = entry(**{"log_step-0-text": "Book a room", "log_step-0-owner": "E2"})
    assert post(client, world, "E2", **fields).status_code == 303
    assert post(client, world, "E2", **fields).status_code == 303  # the same post again
    store = Store(world.store_url)
    assert store.count(meeting_log) == 1 and store.count(next_steps) == 1
    (step,) = store.rows(next_steps)
    done = post(client, world, "E1", log_action="done", log_step=str(step["step_id"]))
    assert done.status_code == 303
    first = store.rows(next_steps)[0]["done_at"]
    assert first is not None
    assert post(client, world, "E1", log_action="done", log_step=str(step["step_id"])).status_code == 303
    assert store.rows(next_steps)[0]["done_at"] == first
    page = client.get(world.link("E2", "partnership")).text
    assert "No open next steps." in page and "Book a room (you)" in page


def test_a_step_of_another_space_cannot_be_marked_done(world, client):
    assert post(client, world, "E4", **entry(**{"log_step-0-text": "Theirs", "log_step-0-owner": "E3"})).status_code == 303
    (step,) = Store(world.store_url).rows(next_steps)
    refused = post(client, world, "E2", log_action="done", log_step=str(step["step_id"]))
    assert refused.status_code == 422 and "no such next step" in refused.text
    assert Store(world.store_url).rows(next_steps)[0]["done_at"] is None


def test_a_group_member_can_give_a_step_to_any_member(world, client):
    add_group(world.store_url, "G1", ("G2", "G3"), group_id=7)
    assert post(client, world, "G2", **entry(**{"log_step-0-text": "Share notes", "log_step-0-owner": "G3"})).status_code == 303
    (row,) = Store(world.store_url).rows(meeting_log)
    assert row["space_id"] == "group-7"
    page = client.get(world.link("G3", "partnership")).text
    assert "Share notes" in page and "Owner: you" in page and "reorg" not in page


# -- pair health reads the log (outcomes/health.py, workspace/contact.py) ---------------------------------------

def _answers(match_id: int, people: tuple[str, str], **overrides) -> list[dict]:
    return [{"match_id": match_id, "respondent_id": p, "meetings": 0, "satisfaction": 4, "goal_progress": 4,
             "follow_through": 4, "wants_end": False, **overrides} for p in people]


def test_written_exchanges_in_the_log_are_contact_for_an_async_pair():
    import pandas as pd
    from mentorflow.cohorts.config import Health
    from mentorflow.outcomes.health import CHECK_IN, ON_TRACK, score_pairs

    pairs = pd.DataFrame({"match_id": [1], "mentor_id": ["M1"], "mentee_id": ["E1"]})
    # "we did not meet": they write to each other instead, and rate the month middling
    answers = pd.DataFrame(_answers(1, ("M1", "E1"), satisfaction=3, goal_progress=3, follow_through=3))
    contact = pd.DataFrame([{"match_id": 1, "logged": 3, "meeting": 0, "call": 0, "written": 3,
                             "steps_due": 0, "steps_done": 0}])
    before = score_pairs(pairs, answers, None, Health()).iloc[0]
    after = score_pairs(pairs, answers, None, Health(), contact).iloc[0]
    assert "did not meet" in before["reasons"] and before["state"] == CHECK_IN
    assert "did not meet" not in after["reasons"] and after["state"] == ON_TRACK and after["score"] > before["score"]
    assert "3 contacts logged (3 written exchanges), more than the 0 meetings reported" in after["reasons"]
    silent = score_pairs(pairs, answers.iloc[:0], None, Health(), contact).iloc[0]
    assert (silent["state"], silent["silent_streak"]) == (CHECK_IN, 0)  # logged contact is not silence
    assert "no answer from either partner, but 3 contacts logged" in silent["reasons"]


def test_next_steps_due_and_not_done_weigh_on_follow_through():
    import pandas as pd
    from mentorflow.cohorts.config import Health
    from mentorflow.outcomes.health import score_pairs

    pairs = pd.DataFrame({"match_id": [1], "mentor_id": ["M1"], "mentee_id": ["E1"]})
    answers = pd.DataFrame(_answers(1, ("M1", "E1"), meetings=2))
    steps = {"match_id": 1, "logged": 0, "meeting": 0, "call": 0, "written": 0, "steps_due": 4}
    kept = score_pairs(pairs, answers, None, Health(), pd.DataFrame([{**steps, "steps_done": 4}])).iloc[0]
    dropped = score_pairs(pairs, answers, None, Health(), pd.DataFrame([{**steps, "steps_done": 1}])).iloc[0]
    assert kept["score"] > dropped["score"]
    assert "1 of 4 next steps due were done" in dropped["reasons"] and "next steps" not in kept["reasons"]


def test_the_pulse_stage_scores_an_async_pair_from_its_log(world):
    from conftest import run_of
    from mentorflow.cohorts import calendar
    from mentorflow.stages import pulse
    from mentorflow.store import pair_health, pulse_responses

    config, store = world.config, Store(world.store_url)
    first, second = calendar.pulse_dates(config)[:2]
    assert pulse.send_pulse(run_of(config, store, first))["period"] == "pulse-1"
    store.upsert(pulse_responses, [{"cohort_id": config.cohort, "period": "pulse-1", **a}
                                   for a in _answers(1, ("E1", "E2")) + _answers(2, ("E3", "E4"))])
    kickoff = config.at(config.calendar.kickoff)
    logged_at = first - dt.timedelta(hours=1)
    with store.begin() as conn:  # pair 1 writes to each other twice in the month the check-in asks about
        for author, day in (("E2", 2), ("E2", 9), ("E1", 2)):  # both logged the first exchange: one contact
            conn.execute(meeting_log.insert().values(
                cohort_id=config.cohort, space_id="pair-1", author_id=author, held_on=(kickoff + dt.timedelta(days=day)).date(),
                minutes=30, mode="written", private_note=NOTE, created_at=logged_at))
        conn.execute(meeting_log.insert().values(  # after the month asked about: counts for the next period
            cohort_id=config.cohort, space_id="pair-2", author_id="E3", held_on=first.date(), minutes=30,
            mode="call", created_at=first))
    pulse.assess_previous_period(run_of(config, store, second))
    scored = {r["match_id"]: r for r in store.rows(pair_health, cohort_id=config.cohort, period="pulse-1")}
    assert "did not meet" not in scored[1]["reasons"]
    assert "2 contacts logged (2 written exchanges)" in scored[1]["reasons"]
    assert "did not meet" in scored[2]["reasons"]
    assert scored[1]["score"] > scored[2]["score"]
    assert "reorg" not in repr(scored)
    again = dict(scored)
    pulse.assess_previous_period(run_of(config, store, second))  # a re-run gives the same scores
    assert {r["match_id"]: r for r in store.rows(pair_health, cohort_id=config.cohort, period="pulse-1")} == again
