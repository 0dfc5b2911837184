"""Email: templates, one sender interface with interchangeable backends, and a send ledger."""

from mentorflow.emailing.message import LedgerKey, OutgoingEmail, SendResult
from mentorflow.emailing.render import render_email

__all__ = ["LedgerKey", "OutgoingEmail", "SendResult", "render_email"]
