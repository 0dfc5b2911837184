"""SMTP backend (smtplib): an Airflow connection's server, or the compose stack's mail catcher.

One connection per batch, one transaction per message. A recipient the server refuses with
a 5xx reply is a permanent failure (recorded, never retried); 4xx replies are transient (the
task retry sends them). A dropped connection is reopened with exponential backoff and the
message tried again; a server that stays unreachable stops the run (``ProviderBusy``). Every
copy of one ledger key carries the same ``Message-ID``.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mentorflow.errors import ProviderBusy, ProviderConfigError
from mentorflow.messaging.backends import chunked, stable_message_id, to_mime
from mentorflow.messaging.message import OutgoingEmail, SendResult
from mentorflow.messaging.retry import RetryPolicy

log = logging.getLogger("mentorflow.email")


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 1025  # the mail catcher's SMTP port
    login: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False


class SmtpBackend:
    name = "smtp"

    def __init__(self, settings: SmtpSettings, *, policy: RetryPolicy | None = None, batch_size: int = 1,
                 sleep: Callable[[float], None] = time.sleep):
        # one message per batch: the ledger claims a batch before handing it over, so a crash can leave
        # at most the one message in flight unrecorded (resent by the next run); the connection stays
        # open from one message to the next
        self.settings = settings
        self.policy = policy or RetryPolicy()
        self.batch_size = batch_size
        self._sleep = sleep
        self._server: smtplib.SMTP | None = None

    def batches(self, messages: list[OutgoingEmail]) -> Iterator[list[OutgoingEmail]]:
        return chunked(messages, self.batch_size)

    def send(self, messages: list[OutgoingEmail]) -> list[SendResult]:
        results: list[SendResult] = []
        try:
            for message in messages:
                self._server, result = self._deliver(self._server, message)
                results.append(result)
        except ProviderBusy as exc:
            self._server = None
            raise ProviderBusy(str(exc), settled=results) from None
        except BaseException:
            self.close()
            raise
        return results

    def close(self) -> None:
        """End the connection kept open between batches (the ledger calls it when a send is done)."""
        server, self._server = self._server, None
        if server is not None:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                server.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        cls = smtplib.SMTP_SSL if s.ssl else smtplib.SMTP
        server = cls(s.host, s.port, timeout=self.policy.timeout)
        if s.starttls:
            server.starttls()
        if s.login:
            try:
                server.login(s.login, s.password or "")
            except smtplib.SMTPAuthenticationError as exc:
                server.close()
                raise ProviderConfigError(f"SMTP server {s.host}:{s.port} refused login {s.login!r}: {exc}") from None
        return server

    def _deliver(self, server: smtplib.SMTP | None, message: OutgoingEmail) -> tuple[smtplib.SMTP | None, SendResult]:
        """Send one message, reconnecting after dropped connections; returns the live connection."""
        domain = message.from_email.rsplit("@", 1)[-1]
        message_id = stable_message_id(message, domain)
        data = to_mime(message, message_id).as_bytes(policy=email.policy.SMTP)  # CRLF line ends on the wire
        last_error = "no attempt"
        for try_number in range(1, self.policy.max_tries + 1):
            try:
                if server is None:
                    server = self._connect()
                refused = server.sendmail(message.from_email, [message.to_email], data)
                if refused:  # only when some of several recipients were refused; we send to one
                    code, reply = refused[message.to_email]
                    return server, _refusal(message, code, reply)
                return server, SendResult(message.key, True, message_id=message_id)
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = exc.recipients.get(message.to_email, (550, b"refused"))
                return server, _refusal(message, code, reply)
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                return server, _refusal(message, exc.smtp_code, exc.smtp_error)
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
                last_error = f"SMTP {self.settings.host}:{self.settings.port}: {type(exc).__name__}: {exc}"
                if server is not None:
                    server.close()
                server = None
            except smtplib.SMTPResponseException as exc:  # e.g. 421 service closing, mid-command
                last_error = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
                if exc.smtp_code >= 500:
                    return server, SendResult(message.key, False, error=last_error, permanent=True)
                server.close()
                server = None
            if try_number < self.policy.max_tries:
                wait = self.policy.backoff(try_number)
                log.warning("SMTP try %d for %s failed (%s); next in %.1fs", try_number, message.key.message_key,
                            last_error, wait)
                self._sleep(wait)
        if server is not None:
            server.close()
        raise ProviderBusy(f"{last_error} (after {self.policy.max_tries} tries)")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refusal(message: OutgoingEmail, code: int, reply: bytes | str) -> SendResult:
    """5xx: the address or message is refused for good; 4xx: try again later."""
    return SendResult(message.key, False, error=f"SMTP {code} for {message.to_email}: {_text(reply)}",
                      permanent=code >= 500)
