"""What a form's page template is given: one place for the app's rendering and the application page's shell
(:mod:`mentorflow.forms.application_pages`), so both render the same page from the same values."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from mentorflow import settings
from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract import skills
from mentorflow.forms import controls, models, partners, security
from mentorflow.forms import fields as form_fields
from mentorflow.forms.registry import APPLICATION_FORMS, TITLES
from mentorflow.forms.tokens import FormGrant


def template(form: str) -> str:
    return f"forms/{'application' if form == 'gapfill' else form}.html"


def action(form: str, token: str) -> str:
    """Where the page posts to: the same form and link."""
    return f"{form}?token={urllib.parse.quote(token)}"


def context(form: str, config: CohortConfig, grant: FormGrant, *, person: Mapping[str, Any], token: str,
            csrf_value: str, deadline: str, values: Mapping[str, str], errors: Mapping[str, str],
            partner_choices: partners.PartnerChoices | None = None, partnerships: Sequence = (),
            offer: Any = None, selection: Any = None, notice: str | None = None, saved: bool = False,
            rematch_link: str | None = None, prefilled: Mapping[str, str] | None = None,
            posts_to: str | None = None) -> dict[str, Any]:
    """The template's variables for one page of ``form`` (``deadline``: when it closes, in words; ``posts_to``:
    the form's action, else :func:`action`)."""
    required = form_fields.required(form)
    return dict(
        form=form, title=TITLES[form], cohort=config, person=person, token=token, action=posts_to or action(form, token),
        values=values, errors=errors, csrf_field=security.CSRF_FIELD, csrf_value=csrf_value,
        partnerships=partnerships, offer=offer, deadline=deadline, notice=notice, saved=saved,
        rematch_link=rematch_link, prefilled=prefilled or {}, tipi_items=models.TIPI_ITEMS,
        rematch_reasons=models.REMATCH_REASONS, pulse_outcomes=models.PULSE_OUTCOMES, selection=selection,
        field_label=models.field_label, skill_rows=models.SKILL_ROWS, partner_rows=models.PARTNER_ROWS,
        period=grant.period, required_fields=required, partner_find=partners.FIND,
        skill_options=controls.skill_options(skills.vocabulary(settings.include_dir())) if form in APPLICATION_FORMS
        else "", controls=controls.Controls(values, errors, required), partner_choices=partner_choices)


def nonce(request: Request) -> str:
    """The page's CSRF cookie: the one the browser has (if it is one this app could have made), else a new one."""
    kept = request.cookies.get(security.CSRF_COOKIE)
    return kept if kept and _NONCE.fullmatch(kept) else security.new_csrf_nonce()


_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")  # security.new_csrf_nonce: 32 URL-safe characters


def keep_nonce(response: Response, request: Request, value: str) -> Response:
    """The CSRF cookie on the page (HttpOnly, SameSite=Strict; Secure over https). The nonce is URL-safe base64,
    so the header is written as is (what ``set_cookie`` writes, without its cost on every page)."""
    secure = "; Secure" if request.scope.get("scheme") == "https" else ""
    response.raw_headers.append((b"set-cookie", f"{security.CSRF_COOKIE}={value}; HttpOnly; Path=/; "
                                                f"SameSite=strict{secure}".encode("latin-1")))
    return response
