"""The application forms' usual post answered on the event loop, its row committed together with the other
posts that arrive meanwhile (:mod:`mentorflow.forms.group_commit`).

A whole company applies within a few days, so this is the forms' busiest request. Its usual case needs no page
and no read before the write: the link is checked already, the rate limit, the CSRF pair and the answers'
model are checks in memory, and whether the applicant is still on the roster and eligible (and the partners they
chose are on it) is read in the batch's transaction, for the whole batch in one statement. Anything else (a
closed form, a refused limit or CSRF pair, a name search, field errors, an applicant or partner the roster does
not have) goes the general way, ``submit`` in :mod:`mentorflow.forms.app`, which says why: nothing was written
for it here.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mentorflow.forms import partners, registry, security, service
from mentorflow.forms import fields as form_fields
from mentorflow.forms.group_commit import GroupCommit
from mentorflow.forms.models import ApplicationAnswers, FieldErrors
from mentorflow.forms.request_limits import SECURITY_HEADERS
from mentorflow.store import Store


# the post route reads its form and link from the request itself (no parameters for FastAPI to solve on the forms'
# busiest request); this is how the API description still lists them
POST_PARAMETERS = {"parameters": [
    {"name": "form", "in": "path", "required": True, "schema": {"type": "string"}},
    {"name": "token", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "the personal link's token"}]}


def saved(form: str, token: str, as_json: bool, queued: bool = False, match_id: Any = None) -> Response:
    """The answer to a stored submission: JSON, or the form again with its saved notice (post, redirect, get)."""
    if as_json:
        return JSONResponse({"status": "saved", "form": form, "event_queued": queued}, headers=SECURITY_HEADERS)
    target = f"{form}?token={urllib.parse.quote(token)}&saved=1"
    if match_id is not None:
        target += f"&match_id={match_id}"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


class ApplicationPosts:
    """``await posts.save(...)`` -> (the answer, or None for the general way; whether the rate limit let the post
    through already, so the general way does not count it twice)."""

    def __init__(self, forms_settings: registry.FormsSettings) -> None:
        self.settings = forms_settings
        self._writes: dict[int, GroupCommit[service.Application]] = {}

    async def save(self, request: Request, token: str, granted: tuple, fields: dict[str, str] | None,
                   payload: Any, as_json: bool) -> tuple[Response | None, bool]:
        grant, config, store = granted
        try:
            registry.check_open(config, grant, self.settings.clock(), registry.TITLES[grant.form])
        except registry.Refusal:
            return None, False
        if not await self._allowed(token):
            return None, False
        if fields is not None and (partners.searched(grant.form, fields) or not security.csrf_ok(
                request.cookies.get(security.CSRF_COOKIE), token, fields.get(security.CSRF_FIELD))):
            return None, True
        try:
            answers = form_fields.parse(grant.form, fields) if fields is not None else \
                form_fields.parse_json(grant.form, payload)
        except FieldErrors:
            return None, True
        if not isinstance(answers, ApplicationAnswers):  # pragma: no cover - APPLICATION_FORMS have this model
            return None, True
        if not await self._writer(store).submit(service.Application(config, grant, answers)):
            return None, True
        return saved(grant.form, token, as_json), True

    def close(self) -> None:
        """Commit what is queued and stop the writing threads."""
        for writes in list(self._writes.values()):
            writes.close()

    async def _allowed(self, token: str) -> bool:
        limiter = self.settings.limiter
        if isinstance(limiter, security.RateLimiter):  # in memory: no need for a thread
            return limiter.allow(token)[0]
        return (await limiter.allow_async(token))[0]  # the shared limit: a round trip to Redis, awaited here

    def _writer(self, store: Store) -> GroupCommit[service.Application]:
        key = id(store)
        if key not in self._writes:
            self._writes[key] = GroupCommit(store.engine, lambda conn, batch: service.save_applications(
                conn, store, batch))
        return self._writes[key]
