"""What every console route shares: the page renderer, the refusals, who may review which cohort, and the
checks of a post (CSRF for the browser's cookie login; none needed with a Bearer token, which another site
cannot make a browser send).

The routes live by capability: the review page in :mod:`.app`, the committee's decisions (edits, re-solve,
votes) in :mod:`.acting`, questions to applicants in :mod:`.asking`; each gets the one :class:`Console`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import exc as sa_exc

from mentorflow import settings
from mentorflow.cohorts.config import CohortConfig
from mentorflow.committee import auth, csrf, review
from mentorflow.committee.auth import ConsoleUser, LoginRequired
from mentorflow.errors import CohortConfigError, StoreNotReady
from mentorflow.forms.registry import Registry, environment
from mentorflow.forms.request_limits import form_fields

COHORT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HEADERS = {
    # framed by Airflow's UI (same origin), never by another site
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'self'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
NOT_REVIEWER = ("You are not a reviewer of this cohort. Ask the program team to add your Airflow user to the cohort's "
                "committee.reviewers.")
STALE_FORM = ("This form could not be checked (it was open too long, or it came from another site). Nothing was "
              "saved: reload the page and try again.")


class Refused(Exception):
    """A request the console answers with ``status`` and a message (HTML page or JSON, as asked)."""

    def __init__(self, status: int, message: str, problems: list[str] | None = None):
        self.status, self.message, self.problems = status, message, list(problems or [])
        super().__init__(message)


@dataclass
class Console:
    """The console's shared state: where cohorts and stores come from, and the template environment."""

    registry: Registry = field(default_factory=Registry)
    env: Any = field(default_factory=environment)
    folder: str = "committee"  # where its pages' templates are (the HR reports app: "hr")

    # -- requests --------------------------------------------------------------------------------

    @staticmethod
    def root(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/")

    def wants_json(self, request: Request) -> bool:
        accept = request.headers.get("accept", "")
        return request.url.path.startswith(f"{self.root(request)}/api/") or (
            "application/json" in accept and "text/html" not in accept)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(f"{self.folder}/{template}").render(root=self.root(request),
                                                                         logout=auth.logout_url(), **context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def back_to(self, request: Request, cohort: str, round_name: str, anchor: str, **query: Any) -> RedirectResponse:
        """303 to the round's review page after a post (``query``: what the page says happened)."""
        said = "&".join(f"{k}={v}" for k, v in query.items())
        url = f"{self.root(request)}/committee/{cohort}/{round_name}" + (f"?{said}" if said else "") + f"#{anchor}"
        return RedirectResponse(url, status_code=303, headers=HEADERS)

    async def posted(self, request: Request, user: ConsoleUser) -> dict[str, str]:
        """A post's fields, after the CSRF check (skipped only for a Bearer token: a script, not a browser)."""
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                raise Refused(422, "The request body is not JSON.") from None
            fields = {str(k): v for k, v in body.items()} if isinstance(body, dict) else {}
        else:
            fields = await form_fields(request)
        if not self.bearer(request) and not csrf.ok(request, user.id, fields.get(csrf.FIELD)):
            raise Refused(403, STALE_FORM)
        return fields

    def install(self, app: FastAPI, log: logging.Logger, stylesheet: str) -> None:
        """The answers every app of the console kind gives: Airflow's login for an anonymous page request (401 for an
        API call or a post), a refusal as a page or JSON, and 503 when the program's database cannot be reached; and
        its pages' stylesheet (``<folder>/<folder>.css`` of the templates) at the path ``stylesheet``."""

        @app.get(stylesheet, include_in_schema=False)
        def style() -> Response:
            css = (settings.templates_dir() / self.folder / f"{self.folder}.css").read_text(encoding="utf-8")
            return PlainTextResponse(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

        @app.exception_handler(LoginRequired)
        async def to_login(request: Request, exc: LoginRequired) -> Response:
            if request.method == "GET" and not self.wants_json(request):
                return RedirectResponse(auth.login_url(request), status_code=303, headers=HEADERS)
            return JSONResponse({"error": "not authenticated", "detail": exc.reason}, status_code=401,
                                headers={**HEADERS, "WWW-Authenticate": "Bearer"})

        @app.exception_handler(Refused)
        async def refused(request: Request, exc: Refused) -> Response:
            if self.wants_json(request):
                return JSONResponse({"error": exc.message, "problems": exc.problems}, status_code=exc.status,
                                    headers=HEADERS)
            return self.page(request, "refused.html", exc.status, message=exc.message, problems=exc.problems,
                             user=None)

        @app.exception_handler(sa_exc.DBAPIError)
        async def store_unavailable(request: Request, exc: sa_exc.DBAPIError) -> Response:
            log.error("%s: program store error: %s", log.name, type(exc).__name__)
            return await refused(request, Refused(503, "The program's database cannot be reached right now."))

    @staticmethod
    def bearer(request: Request) -> bool:
        return request.headers.get("authorization", "")[:7].lower() == "bearer "

    # -- who may see what ------------------------------------------------------------------------

    def reviewable(self, user: ConsoleUser, cohort: str) -> CohortConfig:
        """The cohort's config when ``user`` may review it (a named reviewer or an admin)."""
        return self.cohort_for(user, cohort, auth.may_review, NOT_REVIEWER)

    def cohort_for(self, user: ConsoleUser, cohort: str, may: Callable[[CohortConfig, ConsoleUser], bool],
                   refusal: str) -> CohortConfig:
        """The cohort's config when ``may(config, user)``; one refusal for unknown and forbidden alike (an outsider
        learns nothing, not even whether the cohort exists; an admin is told it does not)."""
        forbidden = Refused(403, refusal)
        if not COHORT_ID.match(cohort):
            raise forbidden
        try:
            config = self.registry.config(cohort)
        except CohortConfigError:
            raise (Refused(404, "There is no such cohort.") if user.admin else forbidden) from None
        if not may(config, user):
            raise forbidden
        return config

    def store_of(self, config: CohortConfig):
        try:
            return self.registry.store(config)
        except StoreNotReady as exc:
            raise Refused(503, f"The cohort's program store is not ready: {exc}") from None

    @staticmethod
    def round_of(round_name: str) -> str:
        if round_name not in review.ROUNDS:
            raise Refused(404, f"There is no such round (the committee reviews {', '.join(review.ROUNDS)}).")
        return round_name
