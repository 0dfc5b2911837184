"""SendGrid (v3 mail send) backend: up to 1,000 individually rendered emails per API call.

Our bodies are rendered per person, yet one request carries one ``content``. Emails of one
template share most of their bytes (layout, agenda, footer), so a request's content is the
batch's common prefix and suffix around one substitution tag per part, and each
personalization's ``substitutions`` carries only the part that differs for that person
(greeting, partner, goals...). SendGrid replaces the tag per recipient, so every recipient
receives exactly the email we rendered. 10,000 emails of one template without attachments are 10
requests (the kickoff carries each reader's own calendar invite, so each kickoff is its own request).

Rules kept: at most 1,000 personalizations (one recipient each) per request, an address at
most once per request, substitutions at most 10,000 bytes per personalization (an email
whose own part is larger goes alone in a request, without substitutions), a request at most
``max_request_bytes``. ``categories`` and ``custom_args`` carry the cohort, template and
each message's ledger key (``mf_key``), so ops can find and fold a duplicate. Attachments are
request-wide in v3 (``attachments``, base64 content), so only emails carrying the same files
share a request.

Failures: 429 waits as long as ``Retry-After`` and ``X-RateLimit-Reset`` ask (the later of the
two), 5xx and dropped connections back off exponentially; when retries run out or the wait is
too long, the run stops (``ProviderBusy``) and the task retry resumes from the ledger. A 400
that names personalizations marks those recipients permanently failed and sends the rest again;
any other 4xx fails the batch permanently; 401/403 stop the task (no email can go through with
that key).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import os
import secrets
import time
import urllib.error
from collections.abc import Callable
from typing import Any

from mentorflow.errors import ProviderBusy, ProviderConfigError
from mentorflow.messaging.message import OutgoingEmail, SendResult
from mentorflow.messaging.retry import RetryPolicy, describe_wait, rate_limit_wait

log = logging.getLogger("mentorflow.email")

DEFAULT_HOST = "https://api.sendgrid.com"
MAX_PERSONALIZATIONS = 1000
MAX_SUBSTITUTION_BYTES = 10_000
MAX_REQUEST_BYTES = 20 * 1024 * 1024  # SendGrid refuses above 30 MB; stay well below


# -- planning (pure) --------------------------------------------------------------------------


def _group_key(message: OutgoingEmail) -> tuple:
    """Emails that may share one request: same sender, template, categories and attachments."""
    files = tuple((a.filename, a.mime_type, hashlib.sha256(a.content).hexdigest()) for a in message.attachments)
    return (message.from_email, message.from_name, message.key.cohort_id, message.key.template, message.categories,
            files)


def _attachment_bytes(message: OutgoingEmail) -> int:
    """What a message's attachments add to a request (base64: 4 bytes for every 3)."""
    return sum(4 * ((len(a.content) + 2) // 3) + len(a.filename) + len(a.mime_type) + 64 for a in message.attachments)


def _common_prefix(texts: list[str]) -> str:
    return os.path.commonprefix(texts)


def _split(texts: list[str]) -> tuple[str, str, list[str]]:
    """(prefix, suffix, middles): ``prefix + middles[i] + suffix == texts[i]`` with the longest shared ends."""
    prefix = _common_prefix(texts)
    rests = [t[len(prefix):] for t in texts]
    suffix = _common_prefix([r[::-1] for r in rests])[::-1]
    return prefix, suffix, [r[: len(r) - len(suffix)] for r in rests]


def _own_bytes(messages: list[OutgoingEmail]) -> list[int]:
    """Per message, the bytes its substitutions would take in a request with all of ``messages``."""
    _, _, html = _split([m.html for m in messages])
    _, _, text = _split([m.text for m in messages])
    return [len(h.encode()) + len(t.encode()) + 64 for h, t in zip(html, text)]


def plan_requests(messages: list[OutgoingEmail], *, max_personalizations: int = MAX_PERSONALIZATIONS,
                  max_substitution_bytes: int = MAX_SUBSTITUTION_BYTES,
                  max_request_bytes: int = MAX_REQUEST_BYTES) -> list[list[OutgoingEmail]]:
    """Split messages into batches, one API request each, in a stable order."""
    groups: dict[tuple, list[OutgoingEmail]] = {}
    for message in messages:
        groups.setdefault(_group_key(message), []).append(message)
    batches: list[list[OutgoingEmail]] = []
    for group in groups.values():
        own = _own_bytes(group) if len(group) > 1 else [0]
        open_batches: list[tuple[list[OutgoingEmail], set[str], list[int]]] = []
        for message, size in zip(group, own):
            if size > max_substitution_bytes:
                batches.append([message])
                continue
            for batch, addresses, used in open_batches:
                if (len(batch) < max_personalizations and message.to_email.lower() not in addresses
                        and used[0] + size <= max_request_bytes):
                    break
            else:
                batch, addresses, used = [], set(), [len(message.html.encode()) + len(message.text.encode())
                                                     + _attachment_bytes(message)]
                open_batches.append((batch, addresses, used))
            batch.append(message)
            addresses.add(message.to_email.lower())
            used[0] += size
        batches.extend(batch for batch, _, _ in open_batches)
    return batches


def build_payload(batch: list[OutgoingEmail]) -> dict[str, Any]:
    """The v3 mail-send body for one batch (see the module docstring for the substitution scheme)."""
    first = batch[0]
    payload: dict[str, Any] = {
        "from": {"email": first.from_email, "name": first.from_name},
        "categories": [c[:255] for c in dict.fromkeys(first.categories)][:10],
        "custom_args": {"mf_cohort": first.key.cohort_id, "mf_template": first.key.template},
    }
    personalizations = [
        {"to": [{"email": m.to_email, "name": m.to_name}], "subject": m.subject,
         "custom_args": {"mf_key": m.key.message_key}}
        for m in batch
    ]
    if len(batch) == 1:
        payload["content"] = [{"type": "text/plain", "value": first.text}, {"type": "text/html", "value": first.html}]
    else:
        text_prefix, text_suffix, texts = _split([m.text for m in batch])
        html_prefix, html_suffix, htmls = _split([m.html for m in batch])
        text_tag, html_tag = _fresh_tags(texts + htmls + [text_prefix, text_suffix, html_prefix, html_suffix])
        payload["content"] = [{"type": "text/plain", "value": text_prefix + text_tag + text_suffix},
                              {"type": "text/html", "value": html_prefix + html_tag + html_suffix}]
        for personalization, text, html in zip(personalizations, texts, htmls):
            personalization["substitutions"] = {text_tag: text, html_tag: html}
    if first.attachments:  # request-wide: plan_requests groups only emails carrying the same files
        payload["attachments"] = [{"content": base64.b64encode(a.content).decode("ascii"), "type": a.mime_type,
                                   "filename": a.filename, "disposition": "attachment"} for a in first.attachments]
    payload["personalizations"] = personalizations
    return payload


def _fresh_tags(values: list[str]) -> tuple[str, str]:
    """Substitution tags no value contains (random, so no participant can type one into a form)."""
    while True:
        nonce = secrets.token_hex(6)
        text_tag, html_tag = f"-mf{nonce}t-", f"-mf{nonce}h-"
        if not any(text_tag in v or html_tag in v for v in values):
            return text_tag, html_tag


def _personalization_errors(body: bytes) -> tuple[dict[int, str], str]:
    """Indexes of personalizations a 400 names, with the message; and the whole error text."""
    try:
        errors = json.loads(body or b"{}").get("errors") or []
    except (ValueError, AttributeError):
        return {}, (body or b"").decode("utf-8", "replace")[:500]
    named: dict[int, str] = {}
    for error in errors:
        field = str(error.get("field") or "")
        parts = field.split(".")
        if len(parts) > 1 and parts[0] == "personalizations" and parts[1].isdigit():
            named[int(parts[1])] = f"{error.get('message')} ({field})"
    text = "; ".join(f"{e.get('message')} ({e.get('field')})" for e in errors) or "bad request"
    return named, text


# -- the backend ------------------------------------------------------------------------------


class SendGridBackend:
    """One API call per planned batch, with the retries described in the module docstring."""

    name = "sendgrid"

    def __init__(self, api_key: str, host: str = DEFAULT_HOST, *, policy: RetryPolicy | None = None,
                 batch_size: int = MAX_PERSONALIZATIONS, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time):
        from sendgrid import SendGridAPIClient

        if not api_key:
            raise ProviderConfigError("SendGrid needs an API key (connection password or MENTORFLOW_SENDGRID_API_KEY)")
        if not 1 <= batch_size <= MAX_PERSONALIZATIONS:
            raise ValueError(f"SendGrid batch_size must be 1..{MAX_PERSONALIZATIONS}, got {batch_size}")
        self.host = host.rstrip("/")
        self.batch_size = batch_size
        self.policy = policy or RetryPolicy()
        self._client = SendGridAPIClient(api_key, host=self.host)
        self._client.client.timeout = self.policy.timeout
        self._sleep, self._clock = sleep, clock
        self.api_calls = 0

    def batches(self, messages: list[OutgoingEmail]) -> list[list[OutgoingEmail]]:
        return plan_requests(messages, max_personalizations=self.batch_size)

    def send(self, messages: list[OutgoingEmail]) -> list[SendResult]:
        results: dict[int, SendResult] = {}
        remaining = list(enumerate(messages))
        while remaining:
            batch = [m for _, m in remaining]
            try:
                status, detail = self._post(build_payload(batch))
            except ProviderBusy as exc:  # keep the recipients a 400 already refused
                raise ProviderBusy(str(exc), settled=list(results.values())) from None
            if status == "ok":
                results.update((i, SendResult(m.key, True, message_id=detail)) for i, m in remaining)
                break
            named: dict[int, str] = detail if status == "bad_personalizations" else {}
            if named and max(named) < len(remaining):
                for position, (i, m) in enumerate(remaining):
                    if position in named:
                        results[i] = SendResult(m.key, False, error=f"SendGrid 400: {named[position]}", permanent=True)
                remaining = [item for position, item in enumerate(remaining) if position not in named]
                continue
            reason = detail if status == "permanent" else f"SendGrid 400 naming unknown personalizations: {detail}"
            results.update((i, SendResult(m.key, False, error=reason, permanent=True)) for i, m in remaining)
            break
        return [results[i] for i in range(len(messages))]

    def _post(self, payload: dict[str, Any]) -> tuple[str, Any]:
        """('ok', x-message-id) | ('bad_personalizations', {index: reason}) | ('permanent', reason).

        Raises :class:`ProviderBusy` when SendGrid stays unavailable, so the run stops instead of
        spending every remaining batch's retries on an outage or a rate limit.
        """
        from python_http_client.exceptions import HTTPError

        last_error = "no attempt"
        for try_number in range(1, self.policy.max_tries + 1):
            self.api_calls += 1
            try:
                response = self._client.send(payload)
                return "ok", response.headers.get("X-Message-Id") or ""
            except HTTPError as exc:
                code, headers = exc.status_code, dict(exc.headers or {})
                last_error = f"SendGrid {code}: {(exc.body or b'').decode('utf-8', 'replace')[:300]}"
                if code == 429:
                    wait = rate_limit_wait(headers, self._clock())
                    if wait is None:
                        wait = self.policy.backoff(try_number)
                    elif wait > self.policy.max_rate_wait:
                        raise ProviderBusy(f"SendGrid 429: {describe_wait(wait, self._clock())}")
                elif code >= 500:
                    wait = self.policy.backoff(try_number)
                elif code in (401, 403):
                    raise ProviderConfigError(f"SendGrid refused the API key for {self.host}: {last_error}") from None
                elif code == 400:
                    named, text = _personalization_errors(exc.body)
                    if named:
                        return "bad_personalizations", named
                    return "permanent", f"SendGrid 400: {text}"
                else:
                    return "permanent", last_error
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                last_error = f"connection to SendGrid failed: {type(reason).__name__}: {reason}"
                wait = self.policy.backoff(try_number)
            if try_number < self.policy.max_tries:
                log.warning("SendGrid try %d failed (%s); next in %.1fs", try_number, last_error, wait)
                self._sleep(wait)
        raise ProviderBusy(f"{last_error} (after {self.policy.max_tries} tries)")
