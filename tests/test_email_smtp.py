"""SMTP delivery through the ledger, against a real aiosmtpd server on loopback."""

from __future__ import annotations

import collections
import dataclasses

import pytest
from email_fixtures import SmtpCatcher, free_port, kickoff_messages
from mentorflow.errors import DeliveryIncomplete, ProviderBusy
from mentorflow.messaging.ledger import send_once, undeliverable
from mentorflow.messaging.message import Attachment
from mentorflow.messaging.retry import RetryPolicy
from mentorflow.messaging.smtp_backend import SmtpBackend, SmtpSettings
from mentorflow.store import email_ledger

FAST = RetryPolicy(base_delay=0.02, max_delay=0.1, timeout=5, max_tries=3)


def smtp(catcher: SmtpCatcher, **kw) -> SmtpBackend:
    return SmtpBackend(SmtpSettings(host="127.0.0.1", port=catcher.port), policy=FAST, **kw)


def received_keys(catcher: SmtpCatcher) -> collections.Counter:
    return collections.Counter(m["X-Mentorflow-Key"] for m in catcher.messages)


def test_each_message_arrives_once_with_both_parts_and_a_stable_message_id(store):
    sent = kickoff_messages(12)
    with SmtpCatcher() as catcher:
        summary = send_once(store, smtp(catcher, batch_size=5), sent)
        assert summary["sent"] == 12
        assert received_keys(catcher) == collections.Counter({m.key.message_key: 1 for m in sent})
        by_key = {m["X-Mentorflow-Key"]: m for m in catcher.messages}
        for message in sent:
            got = by_key[message.key.message_key]
            assert got["Subject"] == message.subject and message.to_email in got["To"]
            # on the wire every line ends in CRLF and a part ends with one; otherwise it is what was rendered
            for subtype, rendered in (("plain", message.text), ("html", message.html)):
                assert got.get_body((subtype,)).get_content().replace("\r\n", "\n").rstrip() == rendered.rstrip()
            assert got["Message-ID"] == f"<{message.key.message_key.replace('/', '-')}@example.com>"
        assert catcher.envelopes[0] == (sent[0].from_email, [sent[0].to_email])
        assert catcher.connections == 1  # one connection, kept open from batch to batch
        assert {r["message_id"] for r in store.rows(email_ledger)} == {m["Message-ID"] for m in catcher.messages}
        send_once(store, smtp(catcher), sent)
        assert len(catcher.messages) == 12


REPORT = (Attachment("hr-report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3 not text\n", "application/pdf"),
          Attachment("hr-report.html", "<!DOCTYPE html><p>Zoë's report</p>".encode(), "text/html"))


def test_attachments_arrive_after_both_parts_and_keep_the_message_id(sqlite_store):
    sent = [dataclasses.replace(m, attachments=REPORT) for m in kickoff_messages(2)]
    with SmtpCatcher() as catcher:
        assert send_once(sqlite_store, smtp(catcher), sent)["sent"] == 2
        by_key = {m["X-Mentorflow-Key"]: m for m in catcher.messages}
        for message in sent:
            got = by_key[message.key.message_key]
            assert got.get_content_type() == "multipart/mixed"
            assert got.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip() == message.text.rstrip()
            assert got.get_body(("html",)).get_content().replace("\r\n", "\n").rstrip() == message.html.rstrip()
            assert [(a.get_filename(), a.get_content_type(), a.get_payload(decode=True))
                    for a in got.iter_attachments()] == [(a.filename, a.mime_type, a.content) for a in REPORT]
            assert got["Message-ID"] == f"<{message.key.message_key.replace('/', '-')}@example.com>"
        send_once(sqlite_store, smtp(catcher), sent)  # once only, attachments or not
        assert len(catcher.messages) == 2


def test_a_refused_recipient_is_recorded_as_permanent_and_the_rest_delivered(sqlite_store):
    sent = kickoff_messages(6)
    gone = sent[2].to_email
    with SmtpCatcher(refuse={gone: "550 5.1.1 mailbox unavailable"}) as catcher:
        summary = send_once(sqlite_store, smtp(catcher), sent)
        assert summary["sent"] == 5 and summary["failed"] == 1
        assert received_keys(catcher) == collections.Counter({m.key.message_key: 1 for m in sent if m is not sent[2]})
        (row,) = undeliverable(sqlite_store, "crash-cohort")
        assert row["recipient"] == gone and row["last_error"].startswith(f"SMTP 550 for {gone}: 5.1.1 mailbox")
        catcher.refuse.clear()
        send_once(sqlite_store, smtp(catcher), sent)  # a permanent failure is not retried
        assert len(catcher.messages) == 5


def test_a_temporary_refusal_fails_the_task_and_its_retry_sends_only_that_one(sqlite_store):
    sent = kickoff_messages(6)
    busy = sent[4].to_email
    with SmtpCatcher(refuse={busy: "451 4.3.0 try again later"}) as catcher:
        with pytest.raises(DeliveryIncomplete, match="1 message"):
            send_once(sqlite_store, smtp(catcher), sent)
        assert len(catcher.messages) == 5
        catcher.refuse.clear()
        summary = send_once(sqlite_store, smtp(catcher), sent)
        assert summary == {**summary, "sent": 1, "skipped": 5}
        assert received_keys(catcher) == collections.Counter({m.key.message_key: 1 for m in sent})


def test_a_connection_dropped_during_data_is_reopened_and_the_message_sent_once(sqlite_store):
    sent = kickoff_messages(4)
    with SmtpCatcher(drop_data_times=1) as catcher:
        summary = send_once(sqlite_store, smtp(catcher), sent)
        assert summary["sent"] == 4
        assert received_keys(catcher) == collections.Counter({m.key.message_key: 1 for m in sent})
        assert catcher.connections == 2


def test_an_unreachable_server_stops_the_run_and_loses_no_one(sqlite_store):
    sent = kickoff_messages(3)
    closed = SmtpBackend(SmtpSettings(host="127.0.0.1", port=free_port()), policy=FAST)
    with pytest.raises(ProviderBusy, match="ConnectionRefusedError"):
        send_once(sqlite_store, closed, sent)
    statuses = [r["status"] for r in sorted(sqlite_store.rows(email_ledger), key=lambda r: r["person_id"])]
    assert statuses == ["retry", "pending", "pending"]  # the message in hand is queued again, the rest untouched
    with SmtpCatcher() as catcher:
        send_once(sqlite_store, smtp(catcher), sent)
        assert received_keys(catcher) == collections.Counter({m.key.message_key: 1 for m in sent})


def test_backend_for_smtp_uses_the_airflow_connection_else_the_mail_catcher_settings(cohorts_dir, monkeypatch,
                                                                                      sqlite_store):
    from conftest import write_cohort
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.messaging.delivery import backend_for

    with SmtpCatcher() as catcher:
        # the URI form, as the compose stack defines its mail catcher's connection
        monkeypatch.setenv("AIRFLOW_CONN_MAIL_SMTP", f"smtp://127.0.0.1:{catcher.port}")
        config = load_cohort(write_cohort(cohorts_dir, sender={"backend": "smtp", "conn_id": "mail_smtp"}))
        backend = backend_for(config)
        assert backend.settings == SmtpSettings(host="127.0.0.1", port=catcher.port)
        send_once(sqlite_store, backend, kickoff_messages(2))
        assert len(catcher.messages) == 2
        monkeypatch.setenv("MENTORFLOW_SMTP_PORT", str(catcher.port))
        plain = load_cohort(write_cohort(cohorts_dir, "plain-smtp", sender={"backend": "smtp"}))
        other = [dataclasses.replace(m, key=dataclasses.replace(m.key, cohort_id="plain-smtp"))
                 for m in kickoff_messages(2)]
        send_once(sqlite_store, backend_for(plain), other)
        assert len(catcher.messages) == 4


def test_an_outage_mid_batch_keeps_what_was_delivered_and_queues_only_the_rest(store):
    sent = kickoff_messages(8)
    with SmtpCatcher(drop_after=3) as catcher:
        with pytest.raises(ProviderBusy, match="after 3 tries"):
            send_once(store, smtp(catcher), sent)  # one message per batch: the server goes away after 3
        status = {r["person_id"]: r["status"] for r in store.rows(email_ledger)}
        assert [status[m.key.person_id] for m in sent] == ["sent"] * 3 + ["retry"] + ["pending"] * 4
        catcher.drop_after = None
        summary = send_once(store, smtp(catcher), sent)
        assert summary["sent"] == 5 and summary["skipped"] == 3
        assert received_keys(catcher) == collections.Counter({m.key.message_key: 1 for m in sent})


def test_message_ids_fit_the_ledger_even_for_the_longest_keys():
    from mentorflow.messaging.backends import stable_message_id
    from mentorflow.messaging.message import LedgerKey

    message = kickoff_messages(1)[0]
    longest = dataclasses.replace(message, key=LedgerKey("c" * 50, "p" * 64, "t" * 40, "q" * 40))
    ids = {stable_message_id(m, "mail.example.com") for m in (longest, longest)}
    (only,) = ids  # stable
    assert len(only) <= 200 and only.endswith("@mail.example.com>")
    assert stable_message_id(message, "example.com") == "<crash-cohort-E00001-kickoff-sample@example.com>"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback test server, no TLS
def test_login_from_the_connection_is_used_and_a_refused_login_stops_the_task(sqlite_store, monkeypatch):
    from mentorflow.errors import ProviderConfigError
    from mentorflow.messaging.delivery import smtp_settings

    sent = kickoff_messages(3)
    with SmtpCatcher(credentials=("mentoring", "s3cret")) as catcher:
        monkeypatch.setenv("AIRFLOW_CONN_MAIL_AUTH", f"smtp://mentoring:wrong@127.0.0.1:{catcher.port}")
        with pytest.raises(ProviderConfigError, match="refused login 'mentoring'"):
            send_once(sqlite_store, SmtpBackend(smtp_settings("mail_auth"), policy=FAST), sent)
        assert not catcher.messages
        assert {(r["status"], r["attempts"]) for r in sqlite_store.rows(email_ledger)} == {("retry", 0), ("pending", 0)}
        monkeypatch.setenv("AIRFLOW_CONN_MAIL_AUTH", f"smtp://mentoring:s3cret@127.0.0.1:{catcher.port}")
        send_once(sqlite_store, SmtpBackend(smtp_settings("mail_auth"), policy=FAST), sent)
        assert received_keys(catcher) == collections.Counter({m.key.message_key: 1 for m in sent})


@pytest.mark.parametrize("crash_after", [1, 7, 20])
def test_a_crash_over_smtp_resends_at_most_the_one_message_in_flight(sqlite_store, crash_after):
    """kill -9 right after the server accepted a message and before the ledger recorded it: the next
    run sends everything not yet sent, and at most that one message arrives twice."""
    from collections import Counter

    from email_fixtures import CRASH_EXIT_CODE, SmtpCatcher, kickoff_messages, run_crashing_smtp_sender
    from mentorflow.messaging.ledger import send_once
    from mentorflow.messaging.smtp_backend import SmtpBackend, SmtpSettings

    count = 30
    with SmtpCatcher() as catcher:
        code = run_crashing_smtp_sender(sqlite_store.url, catcher.port, count, crash_after)
        assert code == CRASH_EXIT_CODE
        send_once(sqlite_store, SmtpBackend(SmtpSettings(port=catcher.port)), kickoff_messages(count))
        copies = Counter(m["X-Mentorflow-Key"] for m in catcher.messages)
    assert len(copies) == count
    assert sum(n - 1 for n in copies.values()) <= 1, {k: n for k, n in copies.items() if n > 1}


def test_a_line_break_in_a_name_or_address_fails_that_message_alone(sqlite_store):
    """A roster name or address with a line break: the name is kept to one line (no header of its own),
    the address cannot be used and that one message is recorded as failed; everyone else gets one email."""
    sent = kickoff_messages(6)
    sent[1] = dataclasses.replace(sent[1], to_name="Ann\r\nBcc: everyone@example.com")
    sent[3] = dataclasses.replace(sent[3], to_email="bob@example.com\nBcc: everyone@example.com")
    with SmtpCatcher() as catcher:
        summary = send_once(sqlite_store, smtp(catcher), sent)
        assert summary["sent"] == 5 and summary["failed"] == 1
        assert received_keys(catcher) == collections.Counter(
            {m.key.message_key: 1 for i, m in enumerate(sent) if i != 3})
        assert all(m["Bcc"] is None for m in catcher.messages)
        assert all(rcpt == [m.to_email] for (_, rcpt), m in zip(catcher.envelopes, [s for i, s in enumerate(sent)
                                                                                   if i != 3]))
        named = next(m for m in catcher.messages if m["X-Mentorflow-Key"] == sent[1].key.message_key)
        assert "Ann Bcc: everyone@example.com" in str(named["To"])
        (failed,) = undeliverable(sqlite_store, "crash-cohort")
        assert failed["person_id"] == sent[3].key.person_id and "not one valid email address" in failed["last_error"]
        send_once(sqlite_store, smtp(catcher), sent)  # never retried
        assert len(catcher.messages) == 5
