"""Real servers on loopback for the email tests and the benchmark.

``FakeSendGrid``: an HTTP server speaking SendGrid's v3 mail-send API (POST /v3/mail/send):
it checks the API key and validates the payload as SendGrid documents (from, 1..1000
personalizations, at most 1,000 recipients, an address once per request, subject, content,
substitution and category limits, attachments with base64 content and a file name), answers
400 with SendGrid's error shape naming the field,
applies each personalization's substitutions to produce the email a recipient would get,
and follows a scripted fault plan: 429 with X-RateLimit-* and/or Retry-After, 5xx, slow
answers, connections dropped before or after accepting.

``SmtpCatcher``: an aiosmtpd server that keeps every message, refuses listed recipients
(5xx or 4xx) and can drop the connection during DATA.
"""

from __future__ import annotations

import base64
import binascii
import collections
import email
import email.policy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mentorflow.demo.airflow_server import free_port  # re-exported: the tests' one free loopback port

ADDRESS = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")  # SendGrid refuses empty domain labels too


@dataclass
class Fault:
    """What the server does with one request (default: accept)."""

    status: int | None = None  # 429, 500, 503 ...: answer this instead of accepting
    retry_after: str | None = None  # Retry-After header value
    reset_in: float | None = None  # X-RateLimit-Reset = now + reset_in (epoch seconds)
    delay: float = 0.0  # answer after this many seconds
    drop: bool = False  # close the connection without answering, before accepting
    accept_then_drop: bool = False  # accept (deliver) and then close without answering


@dataclass
class Delivered:
    to: str
    subject: str
    text: str
    html: str
    mf_key: str
    categories: list[str]
    custom_args: dict[str, str]
    request_number: int
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (file name, type, decoded content)


@dataclass
class FakeSendGrid:
    api_key: str = "SG.test-key"
    plan: list[Fault] = field(default_factory=list)
    delivered: list[Delivered] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every POST: number, time, outcome

    def __post_init__(self):
        self._lock = threading.Lock()
        self._plan = collections.deque(self.plan)
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> FakeSendGrid:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                fake._handle(self)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that timed out and left is part of the fault plan, not a server error

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_faults(self, *faults: Fault) -> None:
        with self._lock:
            self._plan.extend(faults)

    def keys(self) -> collections.Counter:
        return collections.Counter(d.mf_key for d in self.delivered)

    # -- one request ----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        with self._lock:
            number = len(self.requests) + 1
            fault = self._plan.popleft() if self._plan else Fault()
            record = {"number": number, "at": time.time(), "outcome": None}
            self.requests.append(record)
        if handler.path != "/v3/mail/send":
            return self._answer(handler, record, 404, {"errors": [{"message": "not found", "field": None}]})
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            return self._answer(handler, record, 401, {"errors": [{"message": "The provided authorization grant is "
                                                                   "invalid, expired, or revoked", "field": None}]})
        if fault.drop:
            record["outcome"] = "dropped"
            handler.close_connection = True
            return
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status:
            headers = {}
            if fault.status == 429:
                headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0"}
                if fault.reset_in is not None:
                    headers["X-RateLimit-Reset"] = str(int(time.time() + fault.reset_in + 0.999))
                if fault.retry_after is not None:
                    headers["Retry-After"] = fault.retry_after
            return self._answer(handler, record, fault.status, {"errors": [{"message": f"fault {fault.status}"}]},
                                headers)
        try:
            payload = json.loads(body)
        except ValueError:
            return self._answer(handler, record, 400, {"errors": [{"message": "Bad Request", "field": None}]})
        errors = validate(payload)
        if errors:
            return self._answer(handler, record, 400, {"errors": errors})
        with self._lock:
            self.delivered.extend(_deliver(payload, number))
        record["personalizations"] = len(payload["personalizations"])
        if fault.accept_then_drop:
            record["outcome"] = "accepted, dropped"
            handler.close_connection = True
            return
        self._answer(handler, record, 202, None, {"X-Message-Id": uuid.uuid4().hex[:22]})

    @staticmethod
    def _answer(handler, record, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        record["outcome"] = status
        record["headers"] = dict(headers or {})
        data = json.dumps(body).encode() if body is not None else b""
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def validate(payload: dict[str, Any]) -> list[dict[str, str]]:
    """SendGrid's documented checks on a mail-send body; errors as SendGrid words them (message, field)."""
    errors = []

    def err(message: str, field_name: str | None) -> None:
        errors.append({"message": message, "field": field_name, "help": None})

    sender = payload.get("from") or {}
    if not ADDRESS.match(str(sender.get("email") or "")):
        err("The from email does not contain a valid address.", "from.email")
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        err("The personalizations field is required and must have at least one personalization.", "personalizations")
        return errors
    if len(personalizations) > 1000:
        err(f"The personalization block is limited to 1000 personalizations per API request. You have provided "
            f"{len(personalizations)} personalizations.", "personalizations")
    seen: set[str] = set()
    recipients = 0
    for i, p in enumerate(personalizations):
        to = p.get("to")
        if not isinstance(to, list) or not to:
            err("The to array is required for all personalization objects, and must have at least one email "
                "object with a valid email address.", f"personalizations.{i}.to")
            continue
        for j, person in enumerate(to + (p.get("cc") or []) + (p.get("bcc") or [])):
            recipients += 1
            address = str(person.get("email") or "")
            if not ADDRESS.match(address):
                err("Does not contain a valid address.", f"personalizations.{i}.to.{j}.email")
            elif address.lower() in seen:
                err("Each unique email address in the personalizations array should only be included once.",
                    f"personalizations.{i}.to.{j}.email")
            seen.add(address.lower())
        if not (p.get("subject") or payload.get("subject")):
            err("The subject is required. You can get around this requirement if you use a template with a subject "
                "defined or if every personalization has a subject defined.", "subject")
        substitutions = p.get("substitutions") or {}
        if not all(isinstance(v, str) for v in substitutions.values()):
            err("Substitution values must be strings.", f"personalizations.{i}.substitutions")
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in substitutions.items())
        if size > 10_000:
            err("The total size of substitutions may not exceed 10,000 bytes per personalization.",
                f"personalizations.{i}.substitutions")
        custom = {**(payload.get("custom_args") or {}), **(p.get("custom_args") or {})}
        if sum(len(k.encode()) + len(str(v).encode()) for k, v in custom.items()) > 10_000:
            err("Custom args may not exceed 10,000 bytes.", f"personalizations.{i}.custom_args")
    if recipients > 1000:
        err("There is a limit of 1000 total recipients (to + cc + bcc) per request.", "personalizations")
    content = payload.get("content")
    if not isinstance(content, list) or not content:
        err("Unless a valid template_id is provided, the content parameter is required.", "content")
    else:
        for k, part in enumerate(content):
            if not part.get("type") or not part.get("value"):
                err("The content value must be a string at least one character in length.", f"content.{k}.value")
        types = [part.get("type") for part in content]
        if "text/plain" in types and types.index("text/plain") != 0:
            err("If present, text/plain content must be first, followed by text/html.", "content.0.type")
    for k, attachment in enumerate(payload.get("attachments") or []):
        if not attachment.get("filename"):
            err("The attachment filename parameter is required.", f"attachments.{k}.filename")
        try:
            base64.b64decode(attachment.get("content") or "", validate=True)
        except (binascii.Error, ValueError):
            err("The attachment content must be base64 encoded.", f"attachments.{k}.content")
        if not attachment.get("content"):
            err("The attachment content is required.", f"attachments.{k}.content")
        if attachment.get("disposition", "attachment") not in ("attachment", "inline"):
            err("The disposition of your attachment can be either \"inline\" or \"attachment\".",
                f"attachments.{k}.disposition")
    categories = payload.get("categories") or []
    if len(categories) > 10 or any(len(c) > 255 for c in categories) or len(set(categories)) != len(categories):
        err("Categories: at most 10, unique, 255 characters each.", "categories")
    return errors


def _deliver(payload: dict[str, Any], number: int) -> list[Delivered]:
    """The emails SendGrid would send: each personalization's substitutions applied to the content."""
    out = []
    parts = {c["type"]: c["value"] for c in payload["content"]}
    files = [(a["filename"], a.get("type", ""), base64.b64decode(a["content"])) for a in payload.get("attachments") or []]
    for p in payload["personalizations"]:
        substitutions = p.get("substitutions") or {}

        def fill(value: str, subs=substitutions) -> str:
            for tag, replacement in subs.items():
                value = value.replace(tag, replacement)
            return value

        custom = {**(payload.get("custom_args") or {}), **(p.get("custom_args") or {})}
        for person in p["to"]:
            out.append(Delivered(to=person["email"], subject=fill(p.get("subject") or payload.get("subject")),
                                 text=fill(parts.get("text/plain", "")), html=fill(parts.get("text/html", "")),
                                 mf_key=custom.get("mf_key", ""), categories=list(payload.get("categories") or []),
                                 custom_args=custom, request_number=number, attachments=list(files)))
    return out


# -- SMTP -------------------------------------------------------------------------------------


class SmtpCatcher:
    """aiosmtpd on 127.0.0.1: ``refuse`` maps an address to a reply ('550 ...' or '451 ...');
    ``drop_data_times`` closes the connection during DATA that many times (the message is not kept);
    once it holds ``drop_after`` messages, every further DATA closes the connection (an outage)."""

    def __init__(self, refuse: dict[str, str] | None = None, drop_data_times: int = 0, drop_after: int | None = None,
                 credentials: tuple[str, str] | None = None):
        self.credentials = credentials  # when set, AUTH with exactly these is required before MAIL
        self.refuse = {k.lower(): v for k, v in (refuse or {}).items()}
        self.drop_data_times = drop_data_times
        self.drop_after = drop_after
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 (aiosmtpd hooks)
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        outage = self.drop_after is not None and len(self.messages) >= self.drop_after
        if self.drop_data_times > 0 or outage:
            self.drop_data_times -= not outage
            server.transport.close()
            return "421 closing"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"

    def __enter__(self) -> SmtpCatcher:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        auth = {}
        if self.credentials:
            auth = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)
        self._controller.start()
        return self

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        given = (auth_data.login.decode(), auth_data.password.decode())
        ok = given == self.credentials
        return AuthResult(success=ok, handled=ok)  # not handled: aiosmtpd answers 535 itself

    def __exit__(self, *exc):
        self._controller.stop()


# -- a sender process that dies mid-send (for the crash tests) ----------------------------------

CRASH_EXIT_CODE = 17


def kickoff_messages(count: int, cohort_id: str = "crash-cohort", first: int = 1) -> list:
    """``count`` rendered kickoff emails for distinct people (the same on every call)."""
    from mentorflow.messaging.samples import sample_email

    return [sample_email("kickoff", n, cohort_id) for n in range(first, first + count)]


def run_crashing_sender(store_url: str, sendgrid_url: str, api_key: str, count: int, batch_size: int,
                        crash_on_batch: int, moment: str) -> int:
    """Run ``send_once`` in a child process that exits hard (``os._exit``) on batch ``crash_on_batch``,
    ``moment`` 'before-call' (claimed, nothing sent) or 'after-accept' (SendGrid answered 202, ledger not
    yet written). Returns the child's exit code."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, __file__, store_url, sendgrid_url, api_key, str(count), str(batch_size),
         str(crash_on_batch), moment],
        env={**__import__("os").environ, "PYTHONPATH": f"{root / 'plugins'}:{root / 'tests'}"},
        capture_output=True, text=True, timeout=120,
    ).returncode


def run_crashing_smtp_sender(store_url: str, port: int, count: int, crash_after: int) -> int:
    """Run ``send_once`` over SMTP (the backend's default batching) in a child process that exits hard
    right after the server accepted message number ``crash_after``, before the ledger hears of it."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, __file__, "smtp", store_url, str(port), str(count), str(crash_after)],
        env={**__import__("os").environ, "PYTHONPATH": f"{root / 'plugins'}:{root / 'tests'}"},
        capture_output=True, text=True, timeout=120,
    ).returncode


def _crashing_smtp_sender_main(argv: list[str]) -> None:
    import os

    from mentorflow.messaging.ledger import send_once
    from mentorflow.messaging.smtp_backend import SmtpBackend, SmtpSettings
    from mentorflow.store import Store

    store_url, port, count, crash_after = argv

    class DiesAfterAccept(SmtpBackend):
        accepted = 0

        def _deliver(self, server, message):
            server, result = super()._deliver(server, message)
            self.accepted += result.ok
            if self.accepted == int(crash_after):
                os._exit(CRASH_EXIT_CODE)
            return server, result

    send_once(Store(store_url), DiesAfterAccept(SmtpSettings(port=int(port))), kickoff_messages(int(count)))


def _crashing_sender_main(argv: list[str]) -> None:
    import os

    from mentorflow.messaging.ledger import send_once
    from mentorflow.messaging.sendgrid_backend import SendGridBackend
    from mentorflow.store import Store

    store_url, sendgrid_url, api_key, count, batch_size, crash_on_batch, moment = argv
    crash_on_batch_number = int(crash_on_batch)

    class DiesMidSend(SendGridBackend):
        batch_number = 0

        def send(self, messages):
            self.batch_number += 1
            if self.batch_number == crash_on_batch_number and moment == "before-call":
                os._exit(CRASH_EXIT_CODE)
            results = super().send(messages)
            if self.batch_number == crash_on_batch_number and moment == "after-accept":
                os._exit(CRASH_EXIT_CODE)
            return results

    send_once(Store(store_url), DiesMidSend(api_key, sendgrid_url, batch_size=int(batch_size)),
              kickoff_messages(int(count)))


if __name__ == "__main__":
    import sys

    if sys.argv[1] == "smtp":
        _crashing_smtp_sender_main(sys.argv[2:])
    else:
        _crashing_sender_main(sys.argv[1:])


@pytest.fixture
def sqlite_store(tmp_path):
    """An empty program store in an SQLite file (the email tests' own, beside conftest's two-backend one)."""
    from mentorflow.store import Store

    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.upgrade()
    yield store
    store.engine.dispose()
