"""Signed, expiring form links bound to one person, one cohort and one form.

Tokens are HMAC-signed (itsdangerous) with a secret that never leaves the
server; they carry no personal data beyond the employee id and cannot be forged
or moved to another person or form.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from mentorflow import settings
from mentorflow.errors import TokenError, WeakSecretKey
from mentorflow.privacy import private_dir, write_private_text

FORMS = ("application", "gapfill", "pulse", "rematch", "closeout", "recommendations", "requests", "offer",
         "partnership", "question")


@dataclass(frozen=True)
class FormGrant:
    cohort_id: str
    person_id: str
    form: str
    period: str
    # a deadline ops gave this one link explicitly (``mentorflow forms link --until``), later than the form's own
    until: dt.datetime | None = None


MIN_KEY_LENGTH = 32
# words of the placeholders in .env.example and the docs: a key containing one was never set for real
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "placeholder", "example", "your-secret")


def secret_keys() -> list[str]:
    """The link-signing keys, newest first: MENTORFLOW_SECRET_KEY (several keys separated by commas while
    one is being rotated out), else a random key kept (0600) in MENTORFLOW_HOME. Every key must be strong.

    The key file is written whole under a temporary name and then linked into place, so processes
    starting at once either create it or read the complete key another one created.
    """
    configured = settings.current().secret_key
    if configured and configured.get_secret_value().strip():
        return list(_configured_keys(configured.get_secret_value()))
    path = settings.home() / "secret.key"
    if not path.exists():
        _create_key_file(path)
    return [_strong(path.read_text().strip(), str(path))]


@functools.lru_cache(maxsize=4)
def _configured_keys(value: str) -> tuple[str, ...]:
    """MENTORFLOW_SECRET_KEY's keys, checked once per value (every link and CSRF field needs them)."""
    return tuple(_strong(k, "MENTORFLOW_SECRET_KEY") for k in (k.strip() for k in value.split(",")) if k)


def secret_key() -> str:
    """The key that signs new links (the newest)."""
    return secret_keys()[0]


def _create_key_file(path: Path) -> None:
    private_dir(path.parent)
    temporary = path.with_name(f".secret.key.{os.getpid()}.{secrets.token_hex(4)}")
    write_private_text(temporary, secrets.token_urlsafe(48))
    try:
        os.link(temporary, path)  # atomic: fails if another process linked its key first
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


def _strong(key: str, source: str) -> str:
    lowered = key.lower()
    if len(key) < MIN_KEY_LENGTH or any(word in lowered for word in PLACEHOLDER_WORDS) or len(set(key)) < 8:
        raise WeakSecretKey(
            f"{source}: the form-link signing key must be at least {MIN_KEY_LENGTH} random characters and not a "
            "placeholder (make one with: python -c \"import secrets; print(secrets.token_urlsafe(48))\"); "
            "links signed with a weak key could be forged")
    return key


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(tuple(secret_keys()))


@functools.lru_cache(maxsize=4)
def _serializer_for(keys: tuple[str, ...]) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key of its list and accepts any: ours are newest first
    return URLSafeTimedSerializer(list(reversed(keys)), salt="mentorflow-form-link")


def issue(grant: FormGrant) -> str:
    if grant.form not in FORMS:
        raise ValueError(f"unknown form {grant.form!r}")
    data = {"c": grant.cohort_id, "p": grant.person_id, "f": grant.form, "t": grant.period}
    if grant.until is not None:
        data["u"] = grant.until.astimezone(dt.timezone.utc).isoformat()
    return _serializer().dumps(data)


def verify(token: str, *, form: str, expires_at: Callable[[FormGrant], dt.datetime],
           now: dt.datetime | None = None) -> FormGrant:
    """The grant inside a token for ``form``, or :class:`TokenError` (forged, expired, other form).

    A link ends at a fixed moment that depends on its grant (``expires_at``: its form's deadline plus
    a grace period, :func:`mentorflow.cohorts.calendar.link_expiry`), whenever it was issued; ``now``
    lets the forms app and tests run on their own clock.
    """
    grant = _signed_grant(tuple(secret_keys()), token)
    if grant.form != form:
        raise TokenError("This link is not valid for this form.")
    if (now or dt.datetime.now(dt.timezone.utc)) >= expires_at(grant):
        raise TokenError("This link has expired. Ask the program team for a new one.")
    return grant


VERIFIED_KEPT = 10_000  # genuine links whose signature is not checked again while they are in use


@functools.lru_cache(maxsize=VERIFIED_KEPT)
def _signed_grant(keys: tuple[str, ...], token: str) -> FormGrant:
    """The grant a genuine token carries, else :class:`TokenError`. Kept per signing keys for the links in use
    lately (a page, its post and the page after saving check the same link): the signature and the payload
    decide it for good, while the expiry is checked on every use. A refused token is never kept."""
    try:
        data = _serializer_for(keys).loads(token)
    except BadSignature:
        raise TokenError("This link is not valid.") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("c", "p", "f")):
        raise TokenError("This link is not valid.")
    return FormGrant(data["c"], data["p"], data["f"], str(data.get("t", "")), _until(data.get("u")))


def _until(value: object) -> dt.datetime | None:
    """The extended deadline a signed link carries (None when it has none)."""
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise TokenError("This link is not valid.") from None


def link(base_url: str, grant: FormGrant) -> str:
    return f"{base_url.rstrip('/')}/forms/{grant.form}?token={issue(grant)}"
