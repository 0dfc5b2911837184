"""Signed, expiring form links bound to one person, one cohort and one form.

Tokens are HMAC-signed (itsdangerous) with a secret that never leaves the
server; they carry no personal data beyond the employee id and cannot be forged
or moved to another person or form.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from mentorflow import settings
from mentorflow.errors import TokenError

FORMS = ("application", "gapfill", "pulse", "rematch", "closeout")


@dataclass(frozen=True)
class FormGrant:
    cohort_id: str
    person_id: str
    form: str
    period: str


def secret_key() -> str:
    """MENTORFLOW_SECRET_KEY, else a random key kept (0600) in MENTORFLOW_HOME."""
    configured = settings.current().secret_key
    if configured and configured.get_secret_value():
        return configured.get_secret_value()
    path = settings.home() / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return Path(path).read_text().strip()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt="mentorflow-form-link")


def issue(grant: FormGrant) -> str:
    if grant.form not in FORMS:
        raise ValueError(f"unknown form {grant.form!r}")
    return _serializer().dumps({"c": grant.cohort_id, "p": grant.person_id, "f": grant.form, "t": grant.period})


def verify(token: str, *, form: str, max_age_seconds: float | Callable[[FormGrant], float],
           now: dt.datetime | None = None) -> FormGrant:
    """The grant inside a token for ``form``, or :class:`TokenError` (forged, expired, other form).

    ``max_age_seconds`` may depend on the grant (a link lives until its form's deadline), hence
    the callable; ``now`` lets the forms app and tests run on their own clock.
    """
    try:
        data, issued = _serializer().loads(token, return_timestamp=True)
    except BadSignature:
        raise TokenError("This link is not valid.") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("c", "p", "f")):
        raise TokenError("This link is not valid.")
    if data["f"] != form:
        raise TokenError("This link is not valid for this form.")
    grant = FormGrant(data["c"], data["p"], data["f"], str(data.get("t", "")))
    limit = max_age_seconds(grant) if callable(max_age_seconds) else max_age_seconds
    moment = now or dt.datetime.now(dt.timezone.utc)
    if (moment - issued).total_seconds() > limit:
        raise TokenError("This link has expired. Ask the program team for a new one.")
    return grant


def link(base_url: str, grant: FormGrant) -> str:
    return f"{base_url.rstrip('/')}/forms/{grant.form}?token={issue(grant)}"
