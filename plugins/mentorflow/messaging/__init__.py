"""Email: templates, one sender interface with interchangeable backends, and a send ledger."""

from mentorflow.messaging.message import Attachment, LedgerKey, OutgoingEmail, SendResult
from mentorflow.messaging.render import render_email

__all__ = ["Attachment", "LedgerKey", "OutgoingEmail", "SendResult", "render_email"]
