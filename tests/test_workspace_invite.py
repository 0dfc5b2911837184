"""The partnership link in every email a partnered participant gets, and the kickoff's calendar invite
(docs/workspace.md, "Invite and links"): the slot in both partners' working hours, the file a calendar
reads, sent once through a real SMTP server."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from conftest import run_of, write_cohort
from email_fixtures import FakeSendGrid, SmtpCatcher
from fastapi.testclient import TestClient
from forms_fixtures import COHORT, add_group, make_world

from mentorflow.cohorts.loader import load_cohort
from mentorflow.forms import events, tokens
from mentorflow.forms.app import FormsSettings, create_app
from mentorflow.stages import alternatives_mail, closeout, groups, kickoff, midpoint, pulse
from mentorflow.stages.common import people_index, send
from mentorflow.store import Store, applications, matches, people
from mentorflow.workspace import invite

BERLIN, NEW_YORK, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
MONDAY_KICKOFF = dt.datetime(2027, 3, 29, 9, 0, tzinfo=BERLIN)
CALENDAR = {"application_open": "2027-03-01T09:00:00", "application_close": "2027-03-15T17:00:00",
            "kickoff": "2027-03-29T09:00:00", "midpoint": "2027-06-28T09:00:00", "close_out": "2027-09-27T09:00:00",
            "pulse_cadence": "monthly", "reminder_after_days": 5, "intake_check_every_hours": 24,
            "evaluation_days": 14}
LINK = re.compile(r"https?://[^\s\"'<>]+/forms/partnership\?token=[A-Za-z0-9_.\-]+")


# -- the slot ------------------------------------------------------------------------------------

def test_berlin_and_new_york_meet_at_the_start_of_their_overlap_two_days_after_kickoff():
    start, end, overlap = invite.first_meeting("Europe/Berlin", "America/New_York", MONDAY_KICKOFF)
    assert overlap and start.tzinfo == dt.timezone.utc and end - start == dt.timedelta(minutes=45)
    assert start.astimezone(BERLIN) == dt.datetime(2027, 3, 31, 15, 0, tzinfo=BERLIN)  # overlap 15:00-17:00 Berlin
    assert start.astimezone(NEW_YORK).time() == dt.time(9, 0)


def test_two_people_in_one_timezone_meet_at_nine_and_never_on_a_weekend():
    start, _, overlap = invite.first_meeting("Europe/Berlin", "Europe/Berlin", MONDAY_KICKOFF)
    assert overlap and start.astimezone(BERLIN) == dt.datetime(2027, 3, 31, 9, 0, tzinfo=BERLIN)
    thursday = dt.datetime(2027, 4, 1, 16, 0, tzinfo=BERLIN)  # two days later is a Saturday
    start, _, _ = invite.first_meeting("Europe/Berlin", "Europe/Berlin", thursday)
    assert start.astimezone(BERLIN) == dt.datetime(2027, 4, 5, 9, 0, tzinfo=BERLIN)  # Monday


def test_tokyo_and_new_york_have_no_overlap_and_get_the_time_nearest_to_both_flagged():
    start, end, overlap = invite.first_meeting("Asia/Tokyo", "America/New_York", MONDAY_KICKOFF)
    assert overlap is False
    tokyo, new_york = start.astimezone(TOKYO), end.astimezone(NEW_YORK)
    # early morning in Tokyo, early evening in New York: each under two hours outside their day
    assert dt.time(7, 0) <= tokyo.time() < dt.time(9, 0) and tokyo.weekday() < 5
    assert dt.time(17, 0) < new_york.time() <= dt.time(19, 0) and new_york.weekday() < 5
    assert "do not overlap" in invite.description(None, overlap, "Test Cohort")


def test_a_missing_or_unknown_timezone_is_the_cohorts_and_a_naive_moment_is_refused():
    assert invite.zone(None, "Europe/Berlin") == BERLIN and invite.zone("Mars/Olympus", "Asia/Tokyo") == TOKYO
    assert invite.zone("America/New_York", "Europe/Berlin") == NEW_YORK
    with pytest.raises(ValueError, match="aware"):
        invite.first_meeting("Europe/Berlin", "Europe/Berlin", dt.datetime(2027, 3, 29, 9, 0))


# -- the link in every email -----------------------------------------------------------------------

@pytest.fixture
def world(cohorts_dir, tmp_path):
    return make_world(cohorts_dir, f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def client():
    with TestClient(create_app(FormsSettings(airflow=events.AirflowClient("http://127.0.0.1:9")))) as c:
        yield c


def _links(message) -> tuple[set[str], set[str]]:
    return set(LINK.findall(message.text)), set(LINK.findall(message.html.replace("&amp;", "&")))


def _path(link: str) -> str:
    return link[link.index("/forms/"):]


def _every_partnered_email(world) -> dict[str, list]:
    """Each email the stages send a partnered participant from kickoff on, rendered by the stages themselves."""
    config, store = world.config, Store(world.store_url)
    add_group(world.store_url, "G1", ("G2", "G3"), group_id=7)
    store.upsert(matches, [{"cohort_id": COHORT, "round": "async", "mentor_id": "E3", "mentee_id": "E5",
                            "score": 0.6, "explanation": "written mentoring", "status": "active",
                            "created_at": dt.datetime.now(dt.timezone.utc)}])
    everyone, run = people_index(store, COHORT), run_of(config, store)
    active = store.rows(matches, cohort_id=COHORT, status="active")
    pairs, grouped = groups.split([m for m in active if m["round"] == "initial"])
    async_rows = [m for m in active if m["round"] == "async"]
    return {
        "kickoff": kickoff.introductions(config, pairs, "kickoff", "kickoff", everyone, {},
                                         meeting_after=config.at(config.calendar.kickoff)),
        "group_kickoff": groups.group_introductions(config, grouped, everyone, {}, "kickoff",
                                                    meeting_after=config.at(config.calendar.kickoff)),
        "async_start": alternatives_mail.async_introductions(config, async_rows, everyone, {}),
        "pulse": pulse.check_ins(run, "pulse", "pulse-1", {"E1": ["E2"], "E2": ["E1"]}, grouped),
        "pulse_reminder": pulse.check_ins(run, "pulse_reminder", "pulse-1", {"E2": ["E1"]}),
        # E1 and E2's pair as if it were formed at the midpoint: both gain a partner
        "rematch": midpoint.midpoint_notices(config, [], [], [m for m in pairs if m["mentor_id"] == "E1"],
                                             everyone, {}),
        "closeout": closeout.evaluation_emails(run, "closeout", ["E1", "E2", "G2"]),
        "closeout_reminder": closeout.evaluation_emails(run, "closeout_reminder", ["E2"]),
    }


def test_every_email_of_a_partnered_participant_carries_their_link_to_the_partnership_page(world, client):
    sent = _every_partnered_email(world)
    for template, messages in sent.items():
        assert messages, template
        for message in messages:
            in_text, in_html = _links(message)
            assert len(in_text) == 1 and in_text == in_html, (template, message.key)
            (link,) = in_text
            grant = tokens.verify(link.split("token=")[1], form="partnership",
                                  expires_at=lambda g: dt.datetime.max.replace(tzinfo=dt.timezone.utc))
            assert grant.person_id == message.key.person_id  # the reader's own link, nobody else's
            page = client.get(_path(link))
            assert page.status_code == 200, (template, page.text[:300])
            assert "Your partnership" in page.text


def test_whoever_has_no_partnership_left_gets_no_link(world):
    config, store = world.config, Store(world.store_url)
    with store.engine.begin() as conn:
        conn.execute(matches.update().where(matches.c.mentor_id == "E3").values(status="ended"))
    everyone, run = people_index(store, COHORT), run_of(config, store)
    ended = store.rows(matches, cohort_id=COHORT, status="ended")
    (alone,) = [m for m in midpoint.midpoint_notices(config, ended, [], [], everyone, {}) if m.key.person_id == "E4"]
    assert _links(alone) == (set(), set()) and "Your partnership page" not in alone.html
    by_person = {m.key.person_id: m for m in closeout.evaluation_emails(run, "closeout", ["E2", "E4"])}
    assert _links(by_person["E4"]) == (set(), set())  # their pair ended: no page to look back on
    assert len(_links(by_person["E2"])[0]) == 1


# -- the invite with the kickoff email -------------------------------------------------------------

def _kickoff_cohort(cohorts_dir, store, backend: str, zones: tuple[str | None, str]):
    config = load_cohort(write_cohort(cohorts_dir, sender={"backend": backend}, timezone="Europe/Berlin",
                                      calendar=CALENDAR))
    store.register_cohort(config)
    store.upsert(people, [{"cohort_id": config.cohort, "employee_id": pid, "full_name": name,
                           "email": f"{pid.lower()}@example.com", "job_title": "Analyst", "department": "Finance",
                           "level": 3, "on_pip": False, "eligible": True, "hire_date": dt.date(2020, 1, 1),
                           "timezone": zone}
                          for pid, name, zone in [("M1", "Mia Mentor", zones[0]), ("A1", "Ann Mentée", zones[1])]])
    store.upsert(applications, [{"cohort_id": config.cohort, "employee_id": pid, "role": role, "goals": goals,
                                 "share_goals": False, "source": "form", "status": "valid",
                                 "submitted_at": dt.datetime.now(dt.timezone.utc)}
                                for pid, role, goals in [("M1", "mentor", "coach quietly"),
                                                         ("A1", "mentee", "recover from a rough review")]])
    store.upsert(matches, [{"cohort_id": config.cohort, "round": "initial", "mentor_id": "M1", "mentee_id": "A1",
                            "score": 0.8, "explanation": "Mia offers SQL (5/5)", "status": "approved",
                            "created_at": dt.datetime.now(dt.timezone.utc)}])
    return config


def _calendar_parts(message: email.message.EmailMessage) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_payload(decode=True)) for part in message.iter_attachments()
            if part.get_content_type() == "text/calendar"]


def test_the_kickoff_email_over_smtp_carries_a_calendar_invite_in_both_partners_working_hours(
        store, cohorts_dir, monkeypatch):
    # the mentor's timezone is missing: the cohort's (Berlin) stands in
    config = _kickoff_cohort(cohorts_dir, store, "smtp", (None, "America/New_York"))
    with SmtpCatcher() as catcher:
        monkeypatch.setenv("MENTORFLOW_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("MENTORFLOW_SMTP_PORT", str(catcher.port))
        assert kickoff.send_kickoff(run_of(config, store))["sent"] == 2
        received = {m["To"].addresses[0].username: m for m in catcher.messages}
        assert sorted(received) == ["a1", "m1"]
        uids = set()
        for who, zone in (("m1", BERLIN), ("a1", NEW_YORK)):
            (part,) = _calendar_parts(received[who])
            name, data = part
            assert name.endswith(".ics") and b"\r\n" in data
            event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
            uids.add(str(event["uid"]))
            assert str(event["summary"]) == "Mentoring: first meeting"
            attendees = sorted((str(a), a.params["CN"]) for a in event["attendee"])
            assert attendees == [("mailto:a1@example.com", "Ann Mentée"), ("mailto:m1@example.com", "Mia Mentor")]
            start, end = event.decoded("dtstart"), event.decoded("dtend")
            assert start.utcoffset() == dt.timedelta(0) and end - start == dt.timedelta(minutes=45)
            assert data.count(b"DTSTART:") == 1 and b"Z\r\n" in data.split(b"DTSTART:")[1][:20]  # written in UTC
            for tz in (BERLIN, NEW_YORK):  # inside both people's working day
                assert start.astimezone(tz).weekday() < 5
                assert dt.time(9) <= start.astimezone(tz).time() and end.astimezone(tz).time() <= dt.time(17)
            assert start.astimezone(BERLIN).date() >= dt.date(2027, 3, 31)  # two days after kickoff
            description = str(event["description"])
            (link,) = LINK.findall(description)
            grant = tokens.verify(link.split("token=")[1], form="partnership",
                                  expires_at=lambda g: dt.datetime.max.replace(tzinfo=dt.timezone.utc))
            assert grant.person_id == who.upper()  # the reader's own link
            for private in (b"coach quietly", b"recover from a rough review", b"Mia offers"):
                assert private not in data  # no answer from an application
            body = received[who].get_body(("plain",)).get_content()
            assert "FIRST MEETING: Wednesday 31 March 2027" in body and "YOUR PARTNERSHIP PAGE" in body
        assert len(uids) == 1  # one event, both copies

        # a re-run sends nothing twice (the ledger), and a rebuilt invite carries the same UID
        approved = [{**m, "status": "approved"} for m in store.rows(matches, cohort_id=config.cohort)]
        everyone = people_index(store, config.cohort)
        again = kickoff.introductions(config, approved, "kickoff", "kickoff", everyone, {},
                                      meeting_after=config.at(config.calendar.kickoff))
        assert send(run_of(config, store), again)["skipped"] == 2 and len(catcher.messages) == 2
        rebuilt = {str(icalendar.Calendar.from_ical(a.content).walk("VEVENT")[0]["uid"])
                   for message in again for a in message.attachments}
        assert rebuilt == uids


def test_tokyo_and_new_york_partners_are_told_their_hours_do_not_overlap(store, cohorts_dir):
    config = _kickoff_cohort(cohorts_dir, store, "outbox", ("Asia/Tokyo", "America/New_York"))
    everyone = people_index(store, config.cohort)
    pairs = store.rows(matches, cohort_id=config.cohort)
    (message, _) = kickoff.introductions(config, pairs, "kickoff", "kickoff", everyone, {},
                                         meeting_after=config.at(config.calendar.kickoff))
    (attachment,) = message.attachments
    assert attachment.mime_type.startswith("text/calendar")
    event = icalendar.Calendar.from_ical(attachment.content).walk("VEVENT")[0]
    assert "do not overlap" in str(event["description"]) and "do not overlap" in message.text


def test_each_partner_gets_their_own_invite_through_sendgrid(store, cohorts_dir, monkeypatch):
    """Each copy carries its reader's link, so no two kickoffs share a request's attachments: every one is
    delivered whole, with exactly its own file."""
    config = _kickoff_cohort(cohorts_dir, store, "sendgrid", ("Europe/Berlin", "America/New_York"))
    with contextlib.ExitStack() as servers:
        fake = servers.enter_context(FakeSendGrid())
        monkeypatch.setenv("MENTORFLOW_SENDGRID_API_KEY", fake.api_key)
        monkeypatch.setenv("MENTORFLOW_SENDGRID_HOST", fake.url)
        assert kickoff.send_kickoff(run_of(config, store))["sent"] == 2
    assert sorted(d.to for d in fake.delivered) == ["a1@example.com", "m1@example.com"]
    for delivered in fake.delivered:
        ((name, kind, data),) = delivered.attachments
        assert kind.startswith("text/calendar") and name.endswith(".ics")
        (link,) = LINK.findall(str(icalendar.Calendar.from_ical(data).walk("VEVENT")[0]["description"]))
        grant = tokens.verify(link.split("token=")[1], form="partnership",
                              expires_at=lambda g: dt.datetime.max.replace(tzinfo=dt.timezone.utc))
        assert f"{grant.person_id.lower()}@example.com" == delivered.to


def test_a_group_invite_names_only_the_members_the_reader_may_see(world):
    config, store = world.config, add_group(world.store_url, "G1", ("G2", "G3"), group_id=7)
    apps = {"G2": {"group_consent": True}, "G3": {"group_consent": False}}
    everyone = people_index(store, COHORT)
    grouped = store.rows(matches, cohort_id=COHORT, group_id=7)
    emails = {m.key.person_id: m for m in groups.group_introductions(
        config, grouped, everyone, apps, "kickoff", meeting_after=config.at(config.calendar.kickoff))}

    def attendees(person: str) -> list[str]:
        (attachment,) = emails[person].attachments
        event = icalendar.Calendar.from_ical(attachment.content).walk("VEVENT")[0]
        return sorted(str(a) for a in event["attendee"])

    every = ["mailto:g1@example.com", "mailto:g2@example.com", "mailto:g3@example.com"]
    assert attendees("G1") == every  # the leader sees every member
    assert attendees("G3") == every  # G2 agreed to be named
    assert attendees("G2") == ["mailto:g1@example.com", "mailto:g2@example.com"]  # G3 did not
