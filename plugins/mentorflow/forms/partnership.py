"""The partnership page's routes (``/forms/partnership``): one page per space with one form per section.

The link is the member's own signed ``partnership`` link; ``space`` picks one of their pairs or groups.
Posts carry the section's name and the same CSRF field as every form; a saved post redirects back to
the section (no JavaScript needed), a refused one shows the page again with the errors beside the fields.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mentorflow.cohorts import calendar
from mentorflow.forms import models, security
from mentorflow.forms.registry import STALE_PAGE, FormsSettings, Refusal, deadline, submitted
from mentorflow.forms.request_limits import SECURITY_HEADERS
from mentorflow.workspace import page as workspace

FORM = "partnership"
TITLE = "Your partnership"


def add_routes(app: FastAPI, forms_settings: FormsSettings, *, grant_for: Callable, check_deadline: Callable,
               page: Callable[..., HTMLResponse], refusal: Callable[..., Response]) -> None:
    """Mount the page on ``app`` with the forms app's own link, deadline and page helpers."""

    def opened(request: Request, token: str | None, space: str | None) -> tuple | Response:
        try:
            grant, config, store = grant_for(FORM, token)
            check_deadline(config, grant)
            view, mine = workspace.open_space(config, store, grant.person_id, space, forms_settings.clock())
        except Refusal as exc:
            return refusal(request, exc, False)
        except workspace.NoSpace as exc:
            return refusal(request, Refusal(403, str(exc)), False)
        return grant, config, view, mine

    def render(request: Request, token: str, grant: Any, config: Any, view: workspace.SpaceView, mine: list, *,
               saved: str | None = None, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
               posted: str | None = None, status: int = 200, notice: str | None = None) -> HTMLResponse:
        nonce = request.cookies.get(security.CSRF_COOKIE) or security.new_csrf_nonce()
        quoted = urllib.parse.quote(token)
        response = page(
            "partnership.html", status, title=TITLE, cohort=config, person=view.person, space=view.space,
            spaces=mine, token=token, sections=workspace.SECTIONS, data=workspace.contents(view),
            link=lambda space_id: f"{FORM}?token={quoted}&space={urllib.parse.quote(space_id)}",
            action=f"{FORM}?token={quoted}&space={urllib.parse.quote(view.space.space_id)}",
            csrf_field=security.CSRF_FIELD, csrf_value=security.csrf_field(nonce, token),
            saved=saved, errors=errors or {}, values=values or {}, posted=posted, notice=notice,
            field_label=models.field_label, me=view.person_id,
            deadline=calendar.describe(deadline(config, grant), config))
        response.set_cookie(security.CSRF_COOKIE, nonce, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
        return response

    @app.get(f"/forms/{FORM}", response_class=HTMLResponse)
    def show(request: Request, token: str | None = None, space: str | None = None, saved: str | None = None) -> Response:
        result = opened(request, token, space)
        if isinstance(result, Response):
            return result
        return render(request, token, *result, saved=saved if workspace.section(saved) else None)

    def submit(request: Request, token: str | None, space: str | None, fields: dict[str, str]) -> Response:
        result = opened(request, token, space)
        if isinstance(result, Response):
            return result
        grant, config, view, mine = result
        allowed, wait = forms_settings.limiter.allow(token or "")
        if not allowed:
            response = render(request, token, *result, status=429, notice=(
                f"Too many changes from this link. Please wait {int(wait) + 1} seconds and try again."))
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        if not security.csrf_ok(request.cookies.get(security.CSRF_COOKIE), token, fields.get(security.CSRF_FIELD)):
            return refusal(request, Refusal(403, STALE_PAGE), False)
        section = workspace.section(fields.get("section"))
        if section is None:
            return refusal(request, Refusal(404, "There is no such part of this page."), False)
        visible = {k: v for k, v in fields.items() if k != security.CSRF_FIELD}
        try:
            section.save(view, visible)
        except models.FieldErrors as exc:
            return render(request, token, *result, errors=exc.errors, values=visible, posted=section.name,
                          status=422)
        target = (f"{FORM}?token={urllib.parse.quote(token)}&space={urllib.parse.quote(view.space.space_id)}"
                  f"&saved={section.name}#{section.name}")
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)

    @app.post(f"/forms/{FORM}")
    async def post(request: Request, token: str | None = None, space: str | None = None) -> Response:
        return await submitted(request, FORM, token, grant_for, refusal, submit, space)
