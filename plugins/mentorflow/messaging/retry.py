"""When to try a provider call again, and how long to wait first.

Pure functions over status codes and response headers, so the policy is tested
without a server and shared by the SendGrid and SMTP backends.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 6  # per provider request, counting the first
    base_delay: float = 0.5  # seconds; doubles on each try (5xx, dropped connection)
    max_delay: float = 30.0
    max_rate_wait: float = 120.0  # a 429 asking us to wait longer stops this run (the task retry resumes)
    timeout: float = 60.0  # per HTTP request / SMTP command

    def backoff(self, try_number: int, rng: random.Random | None = None) -> float:
        """Exponential backoff with jitter (half fixed, half random) before try ``try_number + 1``."""
        delay = min(self.max_delay, self.base_delay * 2 ** (try_number - 1))
        return delay / 2 + (rng or random).uniform(0, delay / 2)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def rate_limit_wait(headers: Mapping[str, str] | None, now: float) -> float | None:
    """Seconds a 429 asks us to wait: the later of ``Retry-After`` and ``X-RateLimit-Reset`` (epoch seconds).

    None when neither header is usable (the caller then backs off exponentially).
    """
    waits = []
    retry_after = _header(headers, "Retry-After")
    if retry_after:
        retry_after = retry_after.strip()
        if retry_after.isdigit():
            waits.append(float(retry_after))
        else:
            try:
                waits.append(parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                pass
    reset = _header(headers, "X-RateLimit-Reset")
    if reset:
        try:
            waits.append(float(reset) - now)
        except ValueError:
            pass
    if not waits:
        return None
    return max(0.0, *waits)


def describe_wait(seconds: float, now: float) -> str:
    until = dt.datetime.fromtimestamp(now + seconds, dt.timezone.utc)
    return f"rate limited until {until.isoformat(timespec='seconds')} ({seconds:.0f}s)"
