"""The composed MIME message is the standard library's, byte for byte: the remembering header factory
(``backends.POLICY``) only saves work. Every template x sample x variant (tests/email_cases.py), with names and
subjects that need encoding or folding and with attachments, is serialized as the outbox writes it and as SMTP
sends it, once with the factory and once with the stdlib's own default policy; the boundaries come from the
same seeded random numbers, so the bytes must be equal."""

from __future__ import annotations

import email
import email.policy
import random

import email_cases
import pytest
from mentorflow.messaging import backends
from mentorflow.messaging.message import Attachment, LedgerKey, OutgoingEmail
from mentorflow.messaging.render import render_email

ATTACHMENTS = (Attachment("hr-report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3 not text\n", "application/pdf"),
               Attachment("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar; method=REQUEST"))
NAMES = ("Ann Lee", "João Pedro Brito-Ñúñez", "O'Neil, Ann \"Annie\"", "李小龍 " * 12, "x" * 90)


def _emails() -> list[OutgoingEmail]:
    emails = []
    for number, (case, template, ctx) in enumerate(email_cases.cases()):
        subject, html, text = render_email(template, ctx)
        name = NAMES[number % len(NAMES)]
        emails.append(OutgoingEmail(
            LedgerKey("cohort-1", f"E{number:06d}", template, case.replace("/", "-")), f"p{number}@example.com",
            name, subject + (f" for {name}" if number % 3 == 0 else ""), html, text, "ops@example.com",
            "Mentoring Prögram" if number % 2 else "Mentoring Program",
            attachments=ATTACHMENTS[: number % 3]))
    return emails


EMAILS = _emails()


def _serialized(monkeypatch, policy, wire=None) -> list[bytes]:
    monkeypatch.setattr(backends, "POLICY", policy)
    out = []
    for number, message in enumerate(EMAILS):
        random.seed(number)  # the multipart boundaries
        mime = backends.to_mime(message, backends.stable_message_id(message, "example.com"))
        out.append(mime.as_bytes(policy=wire) if wire else mime.as_bytes())
    return out


@pytest.mark.parametrize("wire", [None, email.policy.SMTP], ids=["outbox", "smtp"])
def test_every_email_is_the_standard_librarys_byte_for_byte(monkeypatch, wire):
    remembering = backends.POLICY
    assert isinstance(remembering.header_factory, backends.RememberingHeaders)
    plain = _serialized(monkeypatch, email.policy.default, wire)
    twice = [_serialized(monkeypatch, remembering, wire) for _ in range(2)]  # the second from remembered headers
    assert twice[0] == plain and twice[1] == plain
    assert any(b"=?utf-8?" in data for data in plain) and any(b"\n " in data.split(b"\n\n")[0] for data in plain)
    parsed = email.message_from_bytes(plain[1], policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == EMAILS[1].to_name
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["hr-report.pdf"]


def test_remembered_headers_are_shared_values_and_the_memory_is_bounded():
    headers = backends.RememberingHeaders(remembered=3)
    first = headers("To", "Ann Lee <ann@example.com>")
    assert headers("To", "Ann Lee <ann@example.com>") is first
    assert first.addresses[0].addr_spec == "ann@example.com" and first.name == "To"
    assert headers("to", "Ann Lee <ann@example.com>").name == "to"  # the name as given, not the first one's
    for number in range(5):
        headers("Subject", f"subject {number}")
    assert len(headers._made) <= 3
    assert headers("To", "Ann Lee <ann@example.com>") == first


def test_the_outbox_writes_every_message_whole_and_a_failed_write_fails_the_batch_and_leaves_no_temporary_file(
        tmp_path):
    """Files are written by threads while the next messages are built: each file is a whole message, a write that
    fails fails the batch (the ledger retries it) and leaves no ``.tmp`` behind, and the retry writes them all."""
    outbox = backends.OutboxBackend(tmp_path / "outbox")
    batch = EMAILS[:40]
    blocked = outbox.path_for(batch[25])
    blocked.mkdir(parents=True)
    (blocked / "in-the-way").write_text("a folder where the message's file goes")
    with pytest.raises(OSError):
        outbox.send(batch)
    assert list((tmp_path / "outbox").rglob("*.tmp")) == []
    (blocked / "in-the-way").unlink()
    blocked.rmdir()
    results = outbox.send(batch)
    assert [r.key for r in results] == [m.key for m in batch] and all(r.ok for r in results)
    for message, result in zip(batch, results):
        parsed = email.message_from_bytes(outbox.path_for(message).read_bytes(), policy=email.policy.default)
        assert parsed["Message-ID"].strip() == result.message_id and parsed["X-Mentorflow-Key"].strip() == message.key.message_key
        assert parsed.get_body(("plain",)) is not None and parsed.get_body(("html",)) is not None  # whole
    assert sorted((tmp_path / "outbox").rglob("*.eml")) == sorted(outbox.path_for(m) for m in batch)
    assert list((tmp_path / "outbox").rglob("*.tmp")) == []
