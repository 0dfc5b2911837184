"""CSRF protection for the console's posts: the forms' double submit (:mod:`mentorflow.forms.security`), bound to
the Airflow user instead of a form link.

A page sets a random ``mf_committee_csrf`` cookie (HttpOnly, SameSite=Strict, sent inside Airflow's UI frame too:
same site) and puts HMAC(secret, cookie + user id) in a hidden field. A post is accepted only when the field matches
the cookie it came with and the user it is made by: another site can neither read nor forge the pair, and a field
taken from one reviewer's page is useless to another. Airflow's own cookie (SameSite=Lax) is not enough on its own.
"""

from __future__ import annotations

from fastapi import Request, Response

from mentorflow.forms import security

COOKIE = "mf_committee_csrf"
FIELD = security.CSRF_FIELD


def _bound(user_id: str) -> str:
    return f"committee\x00{user_id}"


def field_for(request: Request, user_id: str) -> tuple[str, str]:
    """(nonce for the cookie, value for the hidden field) of a page shown to ``user_id``."""
    nonce = request.cookies.get(COOKIE) or security.new_csrf_nonce()
    return nonce, security.csrf_field(nonce, _bound(user_id))


def set_cookie(response: Response, request: Request, nonce: str, path: str) -> None:
    response.set_cookie(COOKIE, nonce, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path=path)


def ok(request: Request, user_id: str, submitted: str | None) -> bool:
    return security.csrf_ok(request.cookies.get(COOKIE), _bound(user_id), submitted)
