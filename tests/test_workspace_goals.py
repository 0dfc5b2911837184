"""Goals and milestones on the partnership page, and the monthly pulse pre-filled from the page (docs/workspace.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from forms_fixtures import COHORT, GOOD_PULSE, add_group, make_world

from mentorflow.forms import events, security
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.store import Store, applications, goals, meeting_log, milestones
from mentorflow.workspace import pulse_prefill
from mentorflow.workspace.application_goals import split_goals

E2_GOALS = "- Lead a small team\n- Speak at a conference; learn SQL\n* lead a small team"


@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def world_both(cohorts_dir, store):
    return make_world(cohorts_dir, store.url)


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        yield c


def apply(store_url: str, person: str, text: str, share: bool | None) -> None:
    Store(store_url).upsert(applications, [{"cohort_id": COHORT, "employee_id": person, "role": "mentee",
                                            "goals": text, "share_goals": share, "source": "form",
                                            "status": "valid"}])


def post(client: TestClient, world, person: str, data: dict[str, str], space: str | None = None):
    token = world.token(person, "partnership")
    link = f"/forms/partnership?token={token}" + (f"&space={space}" if space else "")
    assert client.get(link).status_code == 200  # the CSRF cookie
    csrf = security.csrf_field(client.cookies[security.CSRF_COOKIE], token)
    return client.post(link, data={"section": "goals", "csrf_token": csrf, **data}, follow_redirects=False)


def rows(store_url: str) -> tuple[list[dict], list[dict]]:
    store = Store(store_url)
    return (sorted(store.rows(goals), key=lambda r: r["goal_id"]),
            sorted(store.rows(milestones), key=lambda r: r["milestone_id"]))


def goal_id(store_url: str, title: str) -> int:
    return next(r["goal_id"] for r in Store(store_url).rows(goals) if r["title"] == title)


def test_an_application_goals_text_is_split_into_separate_goals():
    assert split_goals(E2_GOALS) == ["Lead a small team", "Speak at a conference", "learn SQL"]
    assert split_goals("1. Give feedback well.\n2) Plan my next role") == ["Give feedback well", "Plan my next role"]
    assert split_goals("Get confident at sql, e.g. reports. Then lead projects") == [
        "Get confident at sql, e.g. reports. Then lead projects"]  # prose stays one goal
    assert split_goals("  \n ; ") == [] and split_goals(None) == []
    assert len(split_goals("x " * 300)[0]) <= 200


def test_the_mentees_application_goals_appear_once_however_often_the_page_is_opened(world_both, client):
    apply(world_both.store_url, "E2", E2_GOALS, True)
    for person in ("E2", "E2", "E1"):
        page = client.get(world_both.link(person, "partnership"))
        assert page.status_code == 200, page.text
    stored, _ = rows(world_both.store_url)
    assert [(g["title"], g["source"], g["owner_id"], g["space_id"]) for g in stored] == [
        ("Lead a small team", "application", "E2", "pair-1"), ("Speak at a conference", "application", "E2", "pair-1"),
        ("learn SQL", "application", "E2", "pair-1")]
    assert page.text.count(">Speak at a conference</h3>") == 1
    assert "No milestones yet" in page.text
    other = client.get(world_both.link("E4", "partnership"))
    assert "Speak at a conference" not in other.text  # another pair's page has none of them


def test_goals_the_mentee_did_not_agree_to_share_are_not_copied(world, client):
    apply(world.store_url, "E2", "Get over my fear of public speaking", False)
    mentor = client.get(world.link("E1", "partnership"))
    assert "add your goals here" in mentor.text and "public speaking" not in mentor.text
    assert "stay with the program team" not in mentor.text  # the mentor is not told about the mentee's choice
    mentee = client.get(world.link("E2", "partnership"))
    assert "stay with the program team" in mentee.text and "public speaking" not in mentee.text
    assert rows(world.store_url) == ([], [])


def test_the_partner_edits_adds_milestones_marks_them_and_archives_a_goal(world, client):
    apply(world.store_url, "E2", E2_GOALS, True)
    client.get(world.link("E2", "partnership"))
    first = goal_id(world.store_url, "Lead a small team")
    edited = post(client, world, "E1", {"goals_action": "edit", "goals_goal": str(first),
                                        f"goals_title-g{first}": "Lead a team of five"})
    assert edited.status_code == 303 and edited.headers["location"].endswith("saved=goals#goals")
    for title, due in (("Run one team meeting", "2027-01-15"), ("Give a review", "")):
        assert post(client, world, "E1", {"goals_action": "milestone", "goals_goal": str(first),
                                          f"goals_milestone-g{first}": title, f"goals_due-g{first}": due}
                    ).status_code == 303
    _, steps = rows(world.store_url)
    assert [(s["title"], s["due_on"]) for s in steps] == [("Run one team meeting", dt.date(2027, 1, 15)),
                                                          ("Give a review", None)]
    assert post(client, world, "E1", {"goals_action": "reached", "goals_goal": str(first),
                                      "goals_milestone": str(steps[0]["milestone_id"])}).status_code == 303
    _, steps = rows(world.store_url)
    assert steps[0]["reached_by"] == "E1" and steps[0]["reached_at"] is not None and steps[1]["reached_at"] is None
    page = client.get(world.link("E2", "partnership"))
    assert "Lead a team of five" in page.text and "1 of 2 milestones reached" in page.text
    assert "by Person 1" in page.text  # who marked it, shown to the mentee
    assert post(client, world, "E2", {"goals_action": "unreached", "goals_goal": str(first),
                                      "goals_milestone": str(steps[0]["milestone_id"])}).status_code == 303
    assert rows(world.store_url)[1][0]["reached_at"] is None
    assert post(client, world, "E1", {"goals_action": "add", "goals_new": "Mentor someone myself"}).status_code == 303
    added = [g for g in rows(world.store_url)[0] if g["source"] == "added"]
    assert [(g["title"], g["owner_id"]) for g in added] == [("Mentor someone myself", "E2")]  # the pair's mentee's
    sql = goal_id(world.store_url, "learn SQL")
    assert post(client, world, "E2", {"goals_action": "archive", "goals_goal": str(sql)}).status_code == 303
    page = client.get(world.link("E1", "partnership"))
    assert "learn SQL" not in page.text and "Mentor someone myself" in page.text
    assert len([g for g in rows(world.store_url)[0] if g["source"] == "application"]) == 3  # archived, not re-copied


@pytest.mark.parametrize("data, field", [
    ({"goals_action": "add", "goals_new": "   "}, "goals_new"),
    ({"goals_action": "add", "goals_new": "x" * 201}, "goals_new"),
    ({"goals_action": "edit", "goals_goal": "{goal}", "goals_title-g{goal}": ""}, "goals_title-g{goal}"),
    ({"goals_action": "milestone", "goals_goal": "{goal}", "goals_milestone-g{goal}": "Step",
      "goals_due-g{goal}": "31/01/2027"}, "goals_due-g{goal}"),
    ({"goals_action": "milestone", "goals_goal": "{goal}", "goals_milestone-g{goal}": "",
      "goals_due-g{goal}": "2027-01-31"}, "goals_milestone-g{goal}"),
    ({"goals_action": "delete-everything", "goals_goal": "{goal}"}, "goals_action"),
    ({"goals_action": "archive", "goals_goal": "{other}"}, "goals_goal"),  # another pair's goal
    ({"goals_action": "reached", "goals_goal": "{goal}", "goals_milestone": "999"}, "goals_milestone"),
])
def test_a_bad_post_is_refused_beside_its_field_and_writes_nothing(world, client, data, field):
    apply(world.store_url, "E2", "Lead a small team", True)
    apply(world.store_url, "E4", "Write a design doc", True)
    client.get(world.link("E2", "partnership"))
    client.get(world.link("E4", "partnership"))
    ids = {"goal": goal_id(world.store_url, "Lead a small team"), "other": goal_id(world.store_url, "Write a design doc")}
    before = rows(world.store_url)
    data = {k.format(**ids): v.format(**ids) for k, v in data.items()}
    refused = post(client, world, "E1", data)
    assert refused.status_code == 422
    beside = f'id="{field.format(**ids)}-error"' if "-g" in field or field in ("goals_new",) else f'id="{field}"'
    assert beside in refused.text and "Nothing was saved" not in refused.text
    assert rows(world.store_url) == before
    assert "Write a design doc" not in refused.text  # another pair's goal is never shown


def test_a_third_person_can_neither_open_nor_change_the_goals(world, client):
    apply(world.store_url, "E2", "Lead a small team", True)
    client.get(world.link("E2", "partnership"))
    goal = goal_id(world.store_url, "Lead a small team")
    page = client.get(world.link("E3", "partnership") + "&space=pair-1")
    assert page.status_code == 403 and "Lead a small team" not in page.text
    token = world.token("E3", "partnership")
    client.get(f"/forms/partnership?token={token}")
    csrf = security.csrf_field(client.cookies[security.CSRF_COOKIE], token)
    stranger = client.post(f"/forms/partnership?token={token}&space=pair-1", data={
        "section": "goals", "csrf_token": csrf, "goals_action": "archive", "goals_goal": str(goal)})
    assert stranger.status_code == 403
    own_space = client.post(f"/forms/partnership?token={token}", data={  # their own page, the other pair's goal id
        "section": "goals", "csrf_token": csrf, "goals_action": "archive", "goals_goal": str(goal)})
    assert own_space.status_code == 422
    assert all(g["archived_at"] is None for g in rows(world.store_url)[0])


def test_in_a_group_each_mentee_owns_their_own_goals(world, client):
    add_group(world.store_url, "G1", ("G2", "G3"), group_id=7)
    apply(world.store_url, "G2", "Negotiate my salary", True)
    apply(world.store_url, "G3", "Something private", False)
    page = client.get(world.link("G1", "partnership"))
    assert "Member G2’s goal" in page.text and "Something private" not in page.text
    assert [(g["owner_id"], g["space_id"]) for g in rows(world.store_url)[0]] == [("G2", "group-7")]
    refused = post(client, world, "G1", {"goals_action": "add", "goals_new": "Plan a talk"})
    assert refused.status_code == 422 and 'id="goals_owner-error"' in refused.text  # the leader must say whose
    assert post(client, world, "G1", {"goals_action": "add", "goals_new": "Plan a talk",
                                      "goals_owner": "G3"}).status_code == 303
    assert post(client, world, "G3", {"goals_action": "add", "goals_new": "Ship a side project"}).status_code == 303
    owners = {g["title"]: g["owner_id"] for g in rows(world.store_url)[0]}
    assert owners == {"Negotiate my salary": "G2", "Plan a talk": "G3", "Ship a side project": "G3"}


# -- the pulse pre-filled from the page ------------------------------------------------------------


def log(store_url: str, space: str, author: str, held_on: dt.date, mode: str = "meeting") -> None:
    with Store(store_url).begin() as conn:
        conn.execute(meeting_log.insert().values(cohort_id=COHORT, space_id=space, author_id=author, held_on=held_on,
                                                 minutes=30, mode=mode, private_note="never read by the pulse"))


def shown(text: str) -> str:
    """Text as the autoescaped page writes it."""
    return str(escape(text))


def meetings_value(page: str) -> str:
    return re.search(r'<input type="number" id="meetings" name="meetings" value="([^"]*)"', page).group(1)


def test_the_pulse_counts_the_logs_entries_of_the_period_it_asks_about(world_both, client):
    start, end = pulse_prefill.asked_about(world_both.config, "pulse-1")
    first = start.date()
    log(world_both.store_url, "pair-1", "E1", first + dt.timedelta(days=2))
    log(world_both.store_url, "pair-1", "E2", first + dt.timedelta(days=2))  # the same meeting logged by both
    log(world_both.store_url, "pair-1", "E2", first + dt.timedelta(days=5), "written")
    log(world_both.store_url, "pair-1", "E1", first - dt.timedelta(days=1))  # before the period
    log(world_both.store_url, "pair-1", "E1", end.date())  # the next period's
    log(world_both.store_url, "pair-2", "E3", first + dt.timedelta(days=3))  # another pair's
    page = client.get(world_both.link("E2", "pulse"))
    assert page.status_code == 200, page.text
    assert meetings_value(page.text) == "2"
    assert shown("from your partnership page's log: 2 entries (1 meeting, 1 written exchange)") in page.text
    assert "never read" not in page.text
    assert 'name="satisfaction" value="3" checked' not in page.text  # still asked, not guessed
    other = client.get(world_both.link("E4", "pulse"))
    assert meetings_value(other.text) == "1"
    as_json = client.get(world_both.link("E1", "pulse"), headers={"Accept": "application/json"}).json()
    assert as_json["answers"]["meetings"] == "2" and "meetings" in as_json["prefilled"]


def test_no_log_in_the_period_asks_the_question_plainly(world, client):
    start, _ = pulse_prefill.asked_about(world.config, "pulse-1")
    log(world.store_url, "pair-1", "E1", start.date() - dt.timedelta(days=3))
    page = client.get(world.link("E2", "pulse"))
    assert meetings_value(page.text) == "" and shown("partnership page's log") not in page.text


def test_milestones_reached_in_the_period_suggest_the_goal_progress(world, client):
    start, end = pulse_prefill.asked_about(world.config, "pulse-1")
    apply(world.store_url, "E2", "Lead a small team", True)
    client.get(world.link("E2", "partnership"))
    goal = goal_id(world.store_url, "Lead a small team")
    with Store(world.store_url).begin() as conn:
        for title, reached in (("one", start + dt.timedelta(days=1)), ("two", end + dt.timedelta(days=1)),
                               ("three", None)):
            conn.execute(milestones.insert().values(goal_id=goal, title=title, created_at=start - dt.timedelta(days=1),
                                                    reached_at=reached, reached_by="E1" if reached else None))
    page = client.get(world.link("E1", "pulse")).text
    assert "1 of 3 open milestones reached in this period" in page
    assert 'name="goal_progress" value="3" checked' in page  # a third of them: some progress
    assert 'id="meetings" name="meetings" value=""' in page  # nothing logged: still asked


def test_a_stored_pulse_answer_wins_over_the_page(world, client):
    start, _ = pulse_prefill.asked_about(world.config, "pulse-1")
    log(world.store_url, "pair-1", "E1", start.date() + dt.timedelta(days=1))
    link = world.link("E2", "pulse")
    page = client.get(link)
    assert meetings_value(page.text) == "1"
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    assert client.post(link, data={**GOOD_PULSE, "meetings": "4", "csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    again = client.get(link).text
    assert meetings_value(again) == "4" and shown("partnership page's log") not in again


def test_a_group_pulse_reads_the_groups_log(world, client):
    add_group(world.store_url, "G1", ("G2", "G3"), group_id=7)
    start, _ = pulse_prefill.asked_about(world.config, "pulse-1")
    for day in (1, 8):
        log(world.store_url, "group-7", "G2", start.date() + dt.timedelta(days=day))
    assert meetings_value(client.get(world.link("G1", "pulse")).text) == "2"


def test_the_window_includes_its_first_day_and_excludes_the_next_periods_first():
    start = dt.datetime(2027, 1, 1, 9, tzinfo=dt.timezone.utc)
    end = dt.datetime(2027, 1, 15, 9, tzinfo=dt.timezone.utc)
    entries = [{"held_on": dt.date(2027, 1, 1), "mode": "call"}, {"held_on": dt.date(2027, 1, 15), "mode": "call"},
               {"held_on": dt.date(2026, 12, 31), "mode": "call"}]
    known = pulse_prefill.known_answers(entries, [], (start, end))
    assert known.values == {"meetings": "1"} and "1 entry (1 call)" in known.sources["meetings"]
    assert pulse_prefill.known_answers([], [], (start, end)) == pulse_prefill.Known()
    many = [{"held_on": dt.date(2027, 1, 1) + dt.timedelta(days=i), "mode": m} for i in range(14)
            for m in ("call", "meeting", "written")]
    assert pulse_prefill.known_answers(many, [], (start, end)).values["meetings"] == "31"  # the question's bound
    assert [pulse_prefill.suggested_progress(r, 4) for r in range(5)] == [1, 3, 4, 5, 5]
