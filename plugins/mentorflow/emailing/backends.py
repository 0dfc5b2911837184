"""Email backends behind one interface: ``send(messages) -> results``.

The outbox backend (default) writes one ``.eml`` file per message; its file name
is derived from the ledger key, so a retried send overwrites rather than duplicates.
"""

from __future__ import annotations

import os
import re
import tempfile
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Protocol

from mentorflow.emailing.message import OutgoingEmail, SendResult


class EmailBackend(Protocol):
    name: str

    def send(self, messages: list[OutgoingEmail]) -> list[SendResult]: ...


def to_mime(message: OutgoingEmail, message_id: str | None = None) -> EmailMessage:
    mime = EmailMessage()
    mime["From"] = formataddr((message.from_name, message.from_email))
    mime["To"] = formataddr((message.to_name, message.to_email))
    mime["Subject"] = message.subject
    mime["Message-ID"] = message_id or make_msgid(domain="mentorflow.local")
    mime["X-Mentorflow-Key"] = message.key.message_key
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    return mime


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", part)


class OutboxBackend:
    """Writes ``<outbox>/<template>/<period>/<person>.eml`` atomically."""

    name = "outbox"

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def path_for(self, message: OutgoingEmail) -> Path:
        key = message.key
        return self.directory / _safe(key.template) / _safe(key.period) / f"{_safe(key.person_id)}.eml"

    def send(self, messages: list[OutgoingEmail]) -> list[SendResult]:
        results = []
        for message in messages:
            target = self.path_for(message)
            target.parent.mkdir(parents=True, exist_ok=True)
            message_id = f"<{_safe(message.key.message_key)}@mentorflow.outbox>"
            data = to_mime(message, message_id).as_bytes()
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
            results.append(SendResult(message.key, True, message_id=message_id))
        return results
