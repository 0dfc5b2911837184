"""The kickoff step through the outbox: one introduction per person, naming every partner they gain and
quoting a partner's goals only when that partner agreed to share them."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

from conftest import run_of, write_cohort
from mentorflow import settings
from mentorflow.cohorts.loader import load_cohort
from mentorflow.stages import kickoff
from mentorflow.store import applications, email_ledger, matches, people


def _person(employee_id: str, name: str) -> dict:
    return {"cohort_id": "test-cohort", "employee_id": employee_id, "full_name": name,
            "email": f"{employee_id.lower()}@example.com", "job_title": "Analyst", "department": "Finance",
            "level": 3, "on_pip": False, "eligible": True, "hire_date": dt.date(2020, 1, 1)}


def test_a_mentor_of_two_mentees_gets_one_kickoff_naming_both(store, cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir))
    store.register_cohort(config)
    store.upsert(people, [_person("M1", "Mia Mentor"), _person("A1", "Ann Mentee"), _person("B1", "Bo Mentee")])
    store.upsert(applications, [{"cohort_id": "test-cohort", "employee_id": pid, "role": role, "goals": goals,
                                 "share_goals": True, "source": "form", "status": "valid",
                                 "submitted_at": dt.datetime.now(dt.timezone.utc)}
                                for pid, role, goals in [("M1", "mentor", "coach two people"),
                                                         ("A1", "mentee", "learn SQL"), ("B1", "mentee", "negotiate")]])
    store.upsert(matches, [{"cohort_id": "test-cohort", "round": "initial", "mentor_id": "M1", "mentee_id": mentee,
                            "score": 0.8, "explanation": why, "status": "approved",
                            "created_at": dt.datetime.now(dt.timezone.utc)}
                           for mentee, why in [("A1", "Mia offers SQL (5/5)"), ("B1", "Mia offers negotiation (4/5)")]])
    summary = kickoff.send_kickoff(run_of(config, store))
    assert summary["sent"] == 3 and summary["pairs"] == 2
    assert sorted(r["person_id"] for r in store.rows(email_ledger, template="kickoff")) == ["A1", "B1", "M1"]
    outbox = settings.outbox_dir("test-cohort") / "kickoff" / "kickoff"
    mentor = email.message_from_bytes((outbox / "M1.eml").read_bytes(), policy=email.policy.default)
    assert mentor["Subject"] == "Meet your mentoring partners: Ann Mentee and Bo Mentee"
    text = mentor.get_body(("plain",)).get_content()
    assert "Mia offers SQL (5/5)" in text and "Mia offers negotiation (4/5)" in text
    assert "learn SQL" in text and "negotiate" in text and "coach two people" in text
    mentee = email.message_from_bytes((outbox / "B1.eml").read_bytes(), policy=email.policy.default)
    assert mentee["Subject"] == "Meet your mentoring partner: Mia Mentor"
    assert "Mia offers SQL" not in mentee.get_body(("plain",)).get_content()
    assert {m["status"] for m in store.rows(matches)} == {"active"}


def test_kickoff_quotes_a_partners_goals_only_when_that_partner_agreed_to_share_them(store, cohorts_dir):
    """The application form promises answers stay with the program team: goals are quoted to a partner
    only when their owner ticked 'share my goals with my partner'."""
    config = load_cohort(write_cohort(cohorts_dir))
    store.register_cohort(config)
    store.upsert(people, [_person("M1", "Mia Mentor"), _person("A1", "Ann Mentee")])
    store.upsert(applications, [{"cohort_id": "test-cohort", "employee_id": pid, "role": role, "goals": goals,
                                 "share_goals": shared, "source": "form", "status": "valid",
                                 "submitted_at": dt.datetime.now(dt.timezone.utc)}
                                for pid, role, goals, shared in [("M1", "mentor", "coach someone outside my team", True),
                                                                 ("A1", "mentee", "recover from a rough review", False)]])
    store.upsert(matches, [{"cohort_id": "test-cohort", "round": "initial", "mentor_id": "M1", "mentee_id": "A1",
                            "score": 0.8,
                            "explanation": "Mia offers SQL (5/5); goals meet what the mentor can teach: 'review'",
                            "status": "approved", "created_at": dt.datetime.now(dt.timezone.utc)}])
    assert kickoff.send_kickoff(run_of(config, store))["sent"] == 2
    outbox = settings.outbox_dir("test-cohort") / "kickoff" / "kickoff"
    mentor, mentee = (email.message_from_bytes((outbox / f"{pid}.eml").read_bytes(), policy=email.policy.default)
                      for pid in ("M1", "A1"))
    mentor_text, mentor_html = (mentor.get_body((part,)).get_content() for part in ("plain", "html"))
    mentee_text, mentee_html = (mentee.get_body((part,)).get_content() for part in ("plain", "html"))
    assert "coach someone outside my team" in mentee_text and "coach someone outside my team" in mentee_html
    assert "recover from a rough review" not in mentor_text and "recover from a rough review" not in mentor_html
    assert "recover from a rough review" in mentee_text  # your own goals are yours to read
    assert "Ann Mentee's goals: to talk about at your first meeting" in mentor_text
    assert "Your partner does not see them" in mentee_text and "Your partner sees them" in mentor_text
    # the matcher's reason naming words both goals share quotes them too: only with the partner's consent
    assert "goals meet what the mentor can teach: 'review'" in mentee_text and "'review'" not in mentor_text
    assert "Mia offers SQL (5/5)" in mentor_text


def test_no_one_is_told_whom_their_partner_listed_as_a_preferred_partner(cohorts_dir):
    """The matcher's reason 'mentee ranked this partner as choice #1' is the mentee's answer: the committee
    reads it, the partners' emails do not carry it (confidentiality issue, item 2)."""
    config = load_cohort(write_cohort(cohorts_dir))
    everyone = {"M1": _person("M1", "Mia Mentor"), "E1": _person("E1", "Eli Mentee")}
    pair = {"mentor_id": "M1", "mentee_id": "E1",
            "explanation": "mentor offers python at level 4; mentee ranked this partner as choice #1"}
    emails = kickoff.introductions(config, [pair], "kickoff", "kickoff", everyone, apps={})
    assert len(emails) == 2
    for message in emails:
        assert "ranked this partner" not in message.text and "choice #1" not in message.html
        assert "offers python" in message.text
