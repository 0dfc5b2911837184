"""CSRF protection and per-link rate limiting for form posts.

CSRF (double submit, bound to the link): a GET sets a random ``mf_csrf`` cookie (HttpOnly,
SameSite=Strict) and puts HMAC(secret, cookie + link token) in a hidden field. A POST is accepted
only when the field matches the cookie it came with, so another site can neither read nor forge
the pair, and a field copied from one link is useless on another.

Rate limiting: an in-process token bucket per link token (the default). With several worker processes
each process keeps its own buckets, so the effective limit is multiplied by the number of workers: set
``MENTORFLOW_FORMS_RATE_LIMIT_REDIS_URL`` to keep the same bucket in Redis, shared by all of them
(:mod:`mentorflow.forms.shared_limits`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from mentorflow.forms import tokens

CSRF_COOKIE = "mf_csrf"
CSRF_FIELD = "csrf_token"


def new_csrf_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_field(nonce: str, link_token: str) -> str:
    key = hashlib.sha256(("mentorflow-csrf:" + tokens.secret_key()).encode()).digest()
    return hmac.new(key, f"{nonce}\x00{link_token}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(nonce: str | None, link_token: str, submitted: str | None) -> bool:
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(csrf_field(nonce, link_token), submitted)


@dataclass
class RateLimiter:
    """Allow ``burst`` posts per link at once, refilled at ``per_minute`` posts a minute."""

    burst: float = 10
    per_minute: float = 6
    max_links: int = 100_000  # buckets kept; full ones are forgotten first
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, link_token: str, now: float | None = None) -> tuple[bool, float]:
        """(allowed, seconds to wait before the next post would be allowed)."""
        key = hashlib.sha256(link_token.encode()).hexdigest()
        now = time.monotonic() if now is None else now
        rate = self.per_minute / 60.0
        with self._lock:
            if key not in self._buckets and len(self._buckets) >= self.max_links:
                self._forget_full(now, rate)
            level, seen = self._buckets.get(key, (self.burst, now))
            level = min(self.burst, level + (now - seen) * rate)
            if level >= 1:
                self._buckets[key] = (level - 1, now)
                return True, 0.0
            self._buckets[key] = (level, now)
            return False, (1 - level) / rate if rate > 0 else float("inf")

    def _forget_full(self, now: float, rate: float) -> None:
        """Drop buckets that have refilled (they behave exactly like new ones), else the oldest half."""
        full = [k for k, (level, seen) in self._buckets.items() if level + (now - seen) * rate >= self.burst]
        for key in full or sorted(self._buckets, key=lambda k: self._buckets[k][1])[: len(self._buckets) // 2]:
            del self._buckets[key]
