"""Email backends behind one interface: ``batches(messages)`` then ``send(batch) -> results``.

A batch is what one provider call carries; the ledger claims and records one batch at a
time, so a crash leaves at most one batch in doubt. The outbox backend (default) writes one
``.eml`` file per message; its file name is derived from the ledger key, so a retried send
overwrites rather than duplicates. The outbox and SMTP write the same MIME message
(:func:`to_mime`): text and HTML alternatives, then the message's attachments, if any.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Protocol, TypeVar

from mentorflow.messaging.message import OutgoingEmail, SendResult
from mentorflow.privacy import private_dir


class EmailBackend(Protocol):
    name: str

    def batches(self, messages: list[OutgoingEmail]) -> Iterable[list[OutgoingEmail]]:
        """The messages grouped as the backend will hand them to its provider, one call per batch."""
        ...

    def send(self, messages: list[OutgoingEmail]) -> list[SendResult]:
        """One result per message; transient failures are ``ok=False, permanent=False``."""
        ...


T = TypeVar("T")


def chunked(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stable_message_id(message: OutgoingEmail, domain: str) -> str:
    """The same Message-ID for every copy of one ledger key, so a resend can be recognised.

    Readable when it fits the ledger's ``message_id`` column (200), else a digest of the key.
    """
    readable = f"<{_safe(message.key.message_key)}@{domain}>"
    if len(readable) <= 200:
        return readable
    return f"<{hashlib.sha256(message.key.message_key.encode()).hexdigest()}@{domain[:120]}>"


class RememberingHeaders(HeaderRegistry):
    """The standard library's header factory, remembering what it made. The stdlib makes a new class for every
    header it sets (``type()`` at each call) and parses every header's text afresh; an email sets about fifteen,
    most of them the same text in every email (the sender, ``MIME-Version``, each part's type and transfer
    encoding), so an outbox of thousands spent half of its composing time there. A header is an immutable value of
    its name and text: equal inputs share one object, and the message is the same, byte for byte."""

    def __init__(self, remembered: int = 256):
        super().__init__()
        self.remembered = remembered
        self._classes: dict[str, type] = {}
        self._made: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type:
        cls = self._classes.get(name.lower())
        if cls is None:
            cls = self._classes[name.lower()] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: str) -> BaseHeader:
        made = self._made.get((name, value))
        if made is None:
            if len(self._made) >= self.remembered:  # bounded: most names and subjects are seen once (27 MB at 4,096)
                self._made.clear()
            made = self._made[(name, value)] = self[name](name, value)
        return made


# the standard library's default policy (what EmailMessage() uses), with the remembering header factory
POLICY = default_policy.clone(header_factory=RememberingHeaders())


def to_mime(message: OutgoingEmail, message_id: str | None = None) -> EmailMessage:
    mime = EmailMessage(policy=POLICY)
    mime["From"] = formataddr((message.from_name, message.from_email))
    mime["To"] = formataddr((message.to_name, message.to_email))
    mime["Subject"] = message.subject
    mime["Message-ID"] = message_id or make_msgid(domain="mentorflow.local")
    mime["X-Mentorflow-Key"] = message.key.message_key
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:  # the body becomes the first part of a multipart/mixed
        mime.add_attachment(attachment.content, maintype=attachment.maintype, subtype=attachment.subtype,
                            filename=attachment.filename, params=attachment.params)
    return mime


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", part)


WRITERS = 4  # threads that write the .eml files while the next messages are built: creating a file waits on the disk


def write_atomically(target: Path, data: bytes) -> None:
    """``data`` as ``target``, whole or not at all (a temporary file in the same folder, then a rename)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")  # 0600: messages to people are owner-only
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class OutboxBackend:
    """Writes ``<outbox>/<template>/<period>/<person>.eml`` atomically."""

    name = "outbox"

    def __init__(self, directory: Path, batch_size: int = 500):
        self.directory = Path(directory)
        self.batch_size = batch_size

    def batches(self, messages: list[OutgoingEmail]) -> Iterator[list[OutgoingEmail]]:
        return chunked(messages, self.batch_size)

    def path_for(self, message: OutgoingEmail) -> Path:
        key = message.key
        return self.directory / _safe(key.template) / _safe(key.period) / f"{_safe(key.person_id)}.eml"

    def send(self, messages: list[OutgoingEmail]) -> list[SendResult]:
        """Each message's MIME bytes are built here and written by :data:`WRITERS` threads meanwhile; the batch
        returns once every file is in place, and a failed write fails the batch (the ledger retries it; the
        file names come from the ledger keys, so a retry overwrites)."""
        results, folders = [], set()
        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="outbox") as writers:
            writes = []
            for message in messages:
                target = self.path_for(message)
                if target.parent not in folders:
                    folders.add(private_dir(target.parent))  # messages to people: owner only
                message_id = stable_message_id(message, "mentorflow.outbox")
                writes.append(writers.submit(write_atomically, target, to_mime(message, message_id).as_bytes()))
                results.append(SendResult(message.key, True, message_id=message_id))
            for write in writes:
                write.result()
        return results
