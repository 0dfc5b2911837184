"""Signed, expiring form links bound to one person, one cohort and one form.

Tokens are HMAC-signed (itsdangerous) with a secret that never leaves the
server; they carry no personal data beyond the employee id and cannot be forged
or moved to another person or form.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from mentorflow import paths

FORMS = ("application", "gapfill", "pulse", "rematch", "closeout")


class TokenError(ValueError):
    """A token that must be refused; the message is safe to show (it names no one)."""


@dataclass(frozen=True)
class FormGrant:
    cohort_id: str
    person_id: str
    form: str
    period: str


def secret_key() -> str:
    """MENTORFLOW_SECRET_KEY, else a random key kept (0600) in MENTORFLOW_HOME."""
    key = os.environ.get("MENTORFLOW_SECRET_KEY")
    if key:
        return key
    path = paths.home() / "secret.key"
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


def verify(token: str, *, form: str, max_age_seconds: float) -> FormGrant:
    """The grant inside a token for ``form``, or :class:`TokenError` (forged, expired, other form)."""
    try:
        data = _serializer().loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise TokenError("This link has expired. Ask the program team for a new one.") from None
    except BadSignature:
        raise TokenError("This link is not valid.") from None
    if not isinstance(data, dict) or data.get("f") != form:
        raise TokenError("This link is not valid for this form.")
    return FormGrant(data["c"], data["p"], data["f"], data.get("t", ""))


def link(base_url: str, grant: FormGrant) -> str:
    return f"{base_url.rstrip('/')}/forms/{grant.form}?token={issue(grant)}"
