"""What the forms app runs on: its settings (clock, rate limiter, Airflow client), the cohorts and
stores it serves (re-read when a cohort file changes), its templates, and the refusal it answers with."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2
from fastapi import Request
from fastapi.responses import Response

from mentorflow import settings
from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.cohorts.loader import find_cohort
from mentorflow.contract.disclosure import MIN_CELL
from mentorflow.errors import CohortConfigError, TokenError
from mentorflow.forms import controls, events, request_limits, security, selection, shared_limits, tokens
from mentorflow.forms.tokens import FormGrant
from mentorflow.store import Store, url_for


TITLES = {  # each form's page title
    "application": "Apply to the mentoring program",
    "gapfill": "Complete your application",
    "pulse": "Monthly check-in",
    "rematch": "Ask for a different partner",
    "closeout": "End-of-program evaluation",
    "offer": "Choose how you take part", "partnership": "Your partnership page", **selection.TITLES,
}
APPLICATION_FORMS = ("application", "gapfill")


@dataclass
class FormsSettings:
    """What the app runs on; tests and the benchmark swap the clock, limits and Airflow client."""

    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)
    # the per-link rate limit: in-process, or in Redis when MENTORFLOW_FORMS_RATE_LIMIT_REDIS_URL is set (several workers)
    limiter: security.RateLimiter | shared_limits.RedisRateLimiter = field(default_factory=lambda: rate_limiter())
    airflow: events.AirflowClient = field(default_factory=events.AirflowClient.from_env)
    deliver_events: bool = True
    # served alone, the app also retries pending events this often (0: never); mounted inside
    # Airflow it gets no lifespan, so use `mentorflow forms deliver-events` from cron there
    retry_seconds: float = field(default_factory=lambda: settings.current().events_retry_seconds)
    # served alone, the worker threads that run the pages and posts (0: the server's default, 40); the work is
    # mostly Python, so more threads only queue for the interpreter lock (docs/performance.md)
    threads: int = 8
    # how often at most a cohort's file, and the application page's template, skill vocabulary and roster
    # listing, are looked at again on a busy server (forms.application_pages): a change shows within a second
    recheck_seconds: float = 1.0


def rate_limiter() -> security.RateLimiter | shared_limits.RedisRateLimiter:
    """The in-process token bucket, or the same bucket in Redis when the settings name one (opt-in)."""
    url = settings.current().forms_rate_limit_redis_url
    return shared_limits.RedisRateLimiter(url) if url else security.RateLimiter()


class Refusal(Exception):
    """A page the app answers instead of a form; ``cohort``: the program it is about, when known, so the
    page names it and whom to contact (the cohort's ``sender.ops_email``)."""

    def __init__(self, status: int, message: str, cohort: CohortConfig | None = None):
        self.status, self.message, self.cohort = status, message, cohort
        super().__init__(message)


def deadline(config: CohortConfig, grant: FormGrant) -> dt.datetime:
    """When the form of ``grant`` closes: its normal deadline, or the later one the link carries (a link
    made with ``mentorflow forms link --until``)."""
    closes = calendar.form_deadline(config, grant.form, grant.period)
    return max(closes, grant.until) if grant.until is not None else closes


def check_open(config: CohortConfig, grant: FormGrant, now: dt.datetime, title: str) -> dt.datetime:
    """The form's deadline, or the closed page (410) naming the form, the program and when it closed."""
    closes = deadline(config, grant)
    if now >= closes:
        raise Refusal(410, f"{title} ({config.name}) closed on {calendar.describe(closes, config)}. "
                           "Your earlier answers (if any) are kept.", cohort=config)
    return closes


def link_expiry(config: CohortConfig, grant: FormGrant) -> dt.datetime:
    """When the link itself stops working: a grace period after :func:`deadline`."""
    return deadline(config, grant) + calendar.TOKEN_SLACK


# a page post whose CSRF field does not match its cookie
STALE_PAGE = ("This form could not be checked (it was open too long, or it came from another site). Nothing was "
              "saved: reload the page from your email link and try again.")


async def posted_fields(request: Request, form: str, token: str | None, grant_for: Callable,
                        refusal: Callable[..., Response]) -> dict[str, str] | Response:
    """A page post's fields (the pages with routes of their own), or the refusal: the link is checked before the
    body is read, so a forged or expired link costs nothing; a body over the limit is refused unread."""
    try:
        grant_for(form, token)
    except Refusal as exc:
        return refusal(request, exc, False)
    try:
        return await request_limits.form_fields(request)
    except request_limits.BodyTooLarge:
        return refusal(request, Refusal(413, request_limits.TOO_LARGE), False)


async def submitted(request: Request, form: str, token: str | None, grant_for: Callable,
                    refusal: Callable[..., Response], submit: Callable[..., Response], target: str | None) -> Response:
    """A page post of its own route: :func:`posted_fields`, then ``submit(request, token, target, fields)`` on a
    worker thread (it reads and writes the store)."""
    from starlette.concurrency import run_in_threadpool

    fields = await posted_fields(request, form, token, grant_for, refusal)
    if isinstance(fields, Response):
        return fields
    return await run_in_threadpool(submit, request, token, target, fields)


class Registry:
    """Cohort configs (re-read when their file changes; the file looked at once per ``recheck_seconds`` at most)
    and one store per URL."""

    def __init__(self, recheck_seconds: float = 0.0) -> None:
        self.recheck_seconds = recheck_seconds
        self._configs: dict[str, tuple[float, float, CohortConfig]] = {}  # (file's mtime, looked at, config)
        self._stores: dict[str, Store] = {}
        self._lock = threading.Lock()

    def config(self, cohort_id: str) -> CohortConfig:
        cached = self._configs.get(cohort_id)
        now = time.monotonic()
        if cached:
            if now - cached[1] < self.recheck_seconds:
                return cached[2]
            path = cached[2].source_path
            try:
                if path is not None and path.stat().st_mtime == cached[0]:
                    self._configs[cohort_id] = (cached[0], now, cached[2])
                    return cached[2]
            except OSError:  # the file is gone: look the cohort up again
                pass
        config = find_cohort(cohort_id)
        self._configs[cohort_id] = (config.source_path.stat().st_mtime if config.source_path else 0.0, now, config)
        return config

    def grant(self, form: str, token: str | None, now: dt.datetime) -> tuple[FormGrant, CohortConfig, Store]:
        """(grant, cohort, store) of a valid link to ``form``, else the refusal (404, 403; an expired link of a
        known cohort names whom to ask)."""
        if form not in tokens.FORMS:
            raise Refusal(404, "There is no such form.")
        if not token:
            raise Refusal(403, "This page needs the personal link from your email.")
        signed_for: list[CohortConfig] = []  # the cohort of a genuine link: an expired one names whom to ask

        def expires_at(grant: FormGrant) -> dt.datetime:
            try:
                signed_for.append(self.config(grant.cohort_id))
            except CohortConfigError:
                raise TokenError("This link is not valid.") from None
            return link_expiry(signed_for[0], grant)

        try:
            grant = tokens.verify(token, form=form, expires_at=expires_at, now=now)
        except TokenError as exc:
            raise Refusal(403, str(exc), cohort=signed_for[0] if signed_for else None) from None
        config = signed_for[0]  # read by expires_at: a grant that got this far has its cohort
        return grant, config, self.store(config)

    def store(self, config: CohortConfig) -> Store:
        url = url_for(config.store)
        with self._lock:
            if url not in self._stores:
                self._stores[url] = Store.for_cohort(config)
            return self._stores[url]


def environment() -> jinja2.Environment:
    """The forms' templates, autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(settings.templates_dir())),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.globals["min_cell"] = MIN_CELL  # what the forms promise about disclosure
    # the application page's controls and option lists, built in Python (forms/controls.py)
    env.globals.update(form_open=controls.form_open, saved_notice=controls.saved_notice,
                       skill_levels=controls.SKILL_LEVELS, tipi_options=controls.TIPI_OPTIONS)
    return env
