"""``mentorflow email``: template list, previews, and the undeliverable list for ops."""

from __future__ import annotations

import dataclasses
import json

from conftest import ready_store, write_cohort
from email_fixtures import SmtpCatcher, kickoff_messages
from mentorflow.cli.main import main
from mentorflow.cohorts.loader import load_cohort
from mentorflow.messaging import samples
from mentorflow.messaging.ledger import send_once
from mentorflow.messaging.retry import RetryPolicy
from mentorflow.messaging.smtp_backend import SmtpBackend, SmtpSettings
from mentorflow.store import Store


def test_templates_lists_every_template_with_its_subject(capsys):
    assert main(["email", "templates"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == samples.template_names()
    assert {"invitation", "kickoff", "pulse_reminder", "report_ready"} <= set(samples.template_names())
    assert not [line for line in lines if "no sample data" in line]
    assert "Meet your mentoring partner" in next(line for line in lines if line.startswith("kickoff"))


def test_preview_writes_html_or_text_with_sample_data(tmp_path, capsys):
    html_file, text_file = tmp_path / "out" / "kickoff.html", tmp_path / "kickoff.txt"
    assert main(["email", "preview", "kickoff", "--out", str(html_file)]) == 0
    assert main(["email", "preview", "pulse_reminder", "--out", str(text_file), "--format", "text"]) == 0
    html = html_file.read_text()
    assert html.startswith("<!DOCTYPE html>") and "Priya Natarajan 1" in html and "First meeting agenda" in html
    text = text_file.read_text()
    assert text.startswith("Subject: Reminder: two minutes for your mentoring check-in (pulse-2)\n\n")
    assert "<" not in text and "Priya Natarajan 1" in text
    assert f"wrote {html_file} (html)" in capsys.readouterr().out


def test_preview_of_an_unknown_template_names_the_known_ones(tmp_path, capsys):
    assert main(["email", "preview", "kickof", "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "no email template 'kickof'" in err and "kickoff" in err
    assert not (tmp_path / "x.html").exists()


def test_failures_lists_what_will_not_be_delivered(cohorts_dir, capsys):
    config = load_cohort(write_cohort(cohorts_dir))
    ready_store(config)
    assert main(["email", "failures", "test-cohort"]) == 0
    assert "every email was delivered" in capsys.readouterr().out
    sent = [dataclasses.replace(m, key=dataclasses.replace(m.key, cohort_id="test-cohort")) for m in kickoff_messages(3)]
    with SmtpCatcher(refuse={sent[1].to_email: "550 5.1.1 no such user"}) as catcher:
        send_once(Store.for_cohort(config), SmtpBackend(SmtpSettings(port=catcher.port), policy=RetryPolicy()), sent)
    assert main(["email", "failures", "test-cohort"]) == 0
    out = capsys.readouterr().out
    assert "1 email(s) will not be delivered" in out and sent[1].to_email in out and "SMTP 550 for alex.2@example.com: 5.1.1 no such user" in out
    assert main(["email", "failures", "test-cohort", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["person_id"] == sent[1].key.person_id and row["template"] == "kickoff" and row["attempts"] == 1


def test_failures_of_an_unknown_cohort_is_a_clear_error(capsys):
    assert main(["email", "failures", "no-such-cohort"]) == 1
    assert "no such cohort file" in capsys.readouterr().err


def test_preview_without_out_writes_the_default_file_and_says_where(mentorflow_home, capsys):
    from mentorflow import settings

    assert main(["email", "preview", "kickoff"]) == 0
    written = settings.home() / "previews" / "kickoff.html"
    assert f"wrote {written} (html)" in capsys.readouterr().out
    assert "Priya Natarajan 1" in written.read_text()
    assert main(["email", "preview", "pulse", "--format", "text"]) == 0
    assert (settings.home() / "previews" / "pulse.txt").read_text().startswith("Subject: ")


def test_preview_reasons_are_the_matchers_own(tmp_path):
    """The kickoff preview says why the pair was made in the words the matcher wrote for the sample pair
    (matching.example run through the real matcher), not in words written for the sample."""
    from mentorflow.contract.disclosure import participant_reasons
    from mentorflow.matching.example import MENTEE, MENTOR, example_input, pair_explanation
    from mentorflow.matching import propose

    result = propose(example_input(), certify=False)
    assert result.pairs[["mentor_id", "mentee_id"]].values.tolist() == [[MENTOR, MENTEE]]
    reasons = participant_reasons(pair_explanation(), True)
    assert len(reasons) >= 2 and any("negotiation" in r for r in reasons)
    out = tmp_path / "kickoff.txt"
    assert main(["email", "preview", "kickoff", "--out", str(out), "--format", "text"]) == 0
    text = " ".join(out.read_text().split())
    for reason in reasons:
        assert reason in text
    # the fixed copy the tests use without the matcher still says what the matcher says
    assert samples.MATCHER_WORDING == reasons
