"""The value objects that travel between rendering, backends and the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class LedgerKey:
    """What makes a send unique: the same key is never delivered twice on purpose."""

    cohort_id: str
    person_id: str
    template: str
    period: str

    @property
    def message_key(self) -> str:
        return f"{self.cohort_id}/{self.person_id}/{self.template}/{self.period}"


@dataclass(frozen=True)
class Attachment:
    """A file carried with an email (the HR report), as every backend attaches it."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"

    @property
    def maintype(self) -> str:
        return self.mime_type.partition("/")[0]

    @property
    def subtype(self) -> str:
        return self.mime_type.partition("/")[2] or "octet-stream"


@dataclass(frozen=True)
class OutgoingEmail:
    key: LedgerKey
    to_email: str
    to_name: str
    subject: str
    html: str
    text: str
    from_email: str
    from_name: str
    categories: tuple[str, ...] = field(default=())
    attachments: tuple[Attachment, ...] = field(default=())


@dataclass(frozen=True)
class SendResult:
    key: LedgerKey
    ok: bool
    message_id: str | None = None
    error: str | None = None
    permanent: bool = False  # a bounce or invalid address: recorded, never retried
