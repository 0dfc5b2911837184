"""The value objects that travel between rendering, backends and the ledger."""

from __future__ import annotations

import re
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
    """A file carried with an email (the HR report, a calendar invite), as every backend attaches it.
    ``mime_type`` may carry parameters (``text/calendar; method=REQUEST``)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"

    @property
    def maintype(self) -> str:
        return self.mime_type.partition("/")[0].strip()

    @property
    def subtype(self) -> str:
        return self.mime_type.partition("/")[2].partition(";")[0].strip() or "octet-stream"

    @property
    def params(self) -> dict[str, str]:
        """The type's parameters (``{"method": "REQUEST"}``), without the type itself."""
        pairs = (p.partition("=") for p in self.mime_type.split(";")[1:])
        return {k.strip().lower(): v.strip().strip('"') for k, _, v in pairs if k.strip()}


# what may stand in an address header: one address, no spaces or control characters
ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


def one_line(text: str) -> str:
    """Header text on one line: any run of whitespace or control characters becomes one space."""
    if not text.isprintable():  # (the usual name or subject is, and needs no character-by-character pass)
        text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


@dataclass(frozen=True)
class OutgoingEmail:
    """One email to one person. Names and the subject are kept to one line (a line break in a roster
    name can never start a header of its own); :meth:`address_problem` says why an address cannot be
    used, so that message fails alone."""

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

    def __post_init__(self) -> None:
        for name in ("to_name", "from_name", "subject"):
            object.__setattr__(self, name, one_line(getattr(self, name)))

    def address_problem(self) -> str | None:
        for role, address in (("recipient", self.to_email), ("sender", self.from_email)):
            if not ADDRESS.fullmatch(address or ""):
                return f"the {role} address {address!r} is not one valid email address"
        return None


@dataclass(frozen=True)
class SendResult:
    key: LedgerKey
    ok: bool
    message_id: str | None = None
    error: str | None = None
    permanent: bool = False  # a bounce or invalid address: recorded, never retried
