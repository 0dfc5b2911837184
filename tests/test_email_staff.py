"""Emails to the program team and to HR, as the stages send them: each carries its audience's footer
(never the participants'), says what to do, and HR's report-ready email carries the report itself
(PDF and HTML) through the outbox, SMTP and SendGrid, once."""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy

import pandas as pd
import pytest
from conftest import ready_store, run_of, write_cohort
from email_fixtures import FakeSendGrid, SmtpCatcher
from mentorflow import settings
from mentorflow.cohorts.loader import load_cohort
from mentorflow.stages import closeout, pulse, triage
from mentorflow.stages.common import send
from mentorflow.store import matches, people

PARTICIPANT_FOOTER = "Your answers are confidential to the program team."
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = "<!DOCTYPE html><html><body><h1>Close-out report</h1><p>Zoë's cohort</p></body></html>".encode()


def _parsed(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def _received(message: email.message.EmailMessage) -> dict:
    return {"to": message["To"], "subject": message["Subject"],
            "text": message.get_body(("plain",)).get_content(), "html": message.get_body(("html",)).get_content(),
            "files": sorted((a.get_filename(), a.get_content_type(), a.get_payload(decode=True))
                            for a in message.iter_attachments())}


@pytest.fixture
def written_report(monkeypatch, tmp_path):
    """The close-out gate and the report writer stood in for by files: what is tested is HR's email."""
    folder = tmp_path / "reports"
    folder.mkdir()
    files = {"html": folder / "hr-report.html", "pdf": folder / "hr-report.pdf",
             "weights": folder / "suggested-weights.yaml", "funnel": folder / "hr-report-funnel.csv"}
    files["html"].write_bytes(HTML)
    files["pdf"].write_bytes(PDF)
    files["weights"].write_text("weights: {}\n", encoding="utf-8")
    files["funnel"].write_text("stage,people\n", encoding="utf-8")
    monkeypatch.setattr(closeout.stage_gates, "check_closeout", lambda config, store: None)
    monkeypatch.setattr(closeout.hr_report, "write", lambda config, store, evaluations, suggestion, **_: files)
    return files


@pytest.mark.parametrize("backend", ["outbox", "smtp", "sendgrid"])
def test_hr_is_sent_the_report_attached_with_its_own_footer(backend, cohorts_dir, monkeypatch, written_report):
    config = load_cohort(write_cohort(cohorts_dir, sender={"backend": backend}))
    store = ready_store(config)
    store.register_cohort(config)
    with contextlib.ExitStack() as servers:
        if backend == "smtp":
            catcher = servers.enter_context(SmtpCatcher())
            monkeypatch.setenv("MENTORFLOW_SMTP_HOST", "127.0.0.1")
            monkeypatch.setenv("MENTORFLOW_SMTP_PORT", str(catcher.port))
        elif backend == "sendgrid":
            fake = servers.enter_context(FakeSendGrid())
            monkeypatch.setenv("MENTORFLOW_SENDGRID_API_KEY", fake.api_key)
            monkeypatch.setenv("MENTORFLOW_SENDGRID_HOST", fake.url)
        summary = closeout.build_hr_report(run_of(config, store))
        assert summary["notice"]["sent"] == 1
        assert closeout.build_hr_report(run_of(config, store))["notice"]["skipped"] == 1  # once, however often
        if backend == "outbox":
            (path,) = (settings.outbox_dir(config.cohort) / "report_ready" / "closeout").glob("*.eml")
            got = _received(_parsed(path.read_bytes()))
        elif backend == "smtp":
            (message,) = catcher.messages
            got = _received(message)
        else:
            (delivered,) = fake.delivered
            got = {"to": delivered.to, "subject": delivered.subject, "text": delivered.text, "html": delivered.html,
                   "files": sorted(delivered.attachments)}
    assert config.sender.hr_email in got["to"] and got["subject"] == f"HR report ready: {config.name}"
    assert got["files"] == [("hr-report.html", "text/html", HTML), ("hr-report.pdf", "application/pdf", PDF)]
    assert PARTICIPANT_FOOTER not in got["html"] and "You receive this as the HR contact of" in got["html"]
    assert "attached to this email: hr-report.pdf and hr-report.html" in got["text"]
    assert str(written_report["html"].parent) not in got["text"]  # no path on a server HR cannot open


def test_ops_alerts_carry_the_program_teams_footer_and_say_what_to_do(store, cohorts_dir):
    config = load_cohort(write_cohort(cohorts_dir))
    store.register_cohort(config)
    store.upsert(people, [{"cohort_id": config.cohort, "employee_id": pid, "full_name": name,
                           "email": f"{pid.lower()}@example.com", "level": 3, "on_pip": False, "eligible": True}
                          for pid, name in (("M1", "Mia Mentor"), ("E1", "Eli Mentee"))])
    now = dt.datetime(2026, 1, 5, 9, 45, tzinfo=dt.timezone.utc)
    store.upsert(matches, [{"cohort_id": config.cohort, "round": "initial", "mentor_id": "M1", "mentee_id": "E1",
                            "score": 0.8, "explanation": "skills", "status": "active", "created_at": now}])
    (pair,) = store.rows(matches, cohort_id=config.cohort)
    run = run_of(config, store, now)
    triage.record_triage(run, {"match_id": pair["match_id"], "reason": "rematch", "requester": "E1"})
    at_risk = pd.DataFrame([{"match_id": pair["match_id"], "score": 0.2, "reasons": "no meeting in pulse-1",
                             "mentor_id": "M1", "mentee_id": "E1"}])
    send(run, pulse.at_risk_alert(run, "pulse-1", at_risk))
    outbox = settings.outbox_dir(config.cohort)
    (triage_file,) = (outbox / "triage").glob("*/*.eml")
    (alert_file,) = (outbox / "at_risk" / "pulse-1").glob("*.eml")
    for path, what_to_do in ((triage_file, "Please contact them within two working days"),
                             (alert_file, "within two working days, contact both partners of each pair")):
        got = _received(_parsed(path.read_bytes()))
        assert config.sender.ops_email in got["to"]
        assert PARTICIPANT_FOOTER not in got["html"] and PARTICIPANT_FOOTER not in got["text"]
        assert "You receive this as the program team of" in got["html"]
        assert what_to_do in " ".join(got["text"].split()) and got["files"] == []
