"""Who is asking: the Airflow user of a console request, checked by Airflow's own auth manager.

Airflow gives a plugin app no authentication of its own, so every console route calls :func:`airflow_user`.
It reads the token the Airflow UI keeps in its ``_token`` cookie (or an ``Authorization: Bearer`` header from a
script) and validates it with ``resolve_user_from_token``: the same signature, expiry and revocation checks as
Airflow's REST API. A reviewer of a cohort is a user whose id is in the cohort's ``committee.reviewers``; an
admin may review every cohort.

Served inside the api-server the auth manager exists already; served alone (tests, ``uvicorn``) it is created
on first use from the same Airflow configuration (``AIRFLOW__CORE__AUTH_MANAGER``, ``AIRFLOW__API_AUTH__JWT_SECRET``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import HTTPException, Request

from mentorflow.cohorts.config import CohortConfig

_init_lock = threading.Lock()


class LoginRequired(Exception):
    """No valid Airflow token: HTML requests go to Airflow's login, API requests get 401."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class ConsoleUser:
    """The Airflow user behind a request. ``token`` is the request's own credential (to call Airflow's API on the
    user's behalf within the request); it is never stored or logged."""

    id: str
    name: str
    admin: bool
    airflow_user: object = field(repr=False, compare=False)
    token: str = field(repr=False, compare=False)


def auth_manager():
    """Airflow's auth manager, created from the Airflow configuration when this process has none yet."""
    from airflow.api_fastapi.app import get_auth_manager, init_auth_manager  # lazy: Airflow's API app is heavy

    try:
        return get_auth_manager()
    except RuntimeError:
        with _init_lock:
            try:
                return get_auth_manager()
            except RuntimeError:
                return init_auth_manager()


def request_token(request: Request) -> str | None:
    """A Bearer header wins (scripts), else the Airflow UI's cookie."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN  # lazy: see auth_manager

    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.cookies.get(COOKIE_NAME_JWT_TOKEN) or None


async def airflow_user(request: Request) -> ConsoleUser:
    """The request's Airflow user, or :class:`LoginRequired` (missing, expired, invalid or revoked token)."""
    from airflow.api_fastapi.core_api.security import resolve_user_from_token  # lazy: see auth_manager

    manager = auth_manager()
    token = request_token(request)
    try:
        user = await resolve_user_from_token(token)
    except HTTPException as exc:
        raise LoginRequired(str(exc.detail)) from None
    return ConsoleUser(id=str(user.get_id()), name=str(user.get_name()), admin=is_admin(manager, user),
                       airflow_user=user, token=token or "")


def is_admin(manager, user) -> bool:
    """An Airflow admin: the ``admin`` role of the simple auth manager; with another auth manager, a user Airflow
    allows to change its configuration."""
    role = getattr(user, "role", None)
    if role is not None:
        return str(role).lower() == "admin"
    return bool(manager.is_authorized_configuration(method="PUT", user=user))


def may_review(config: CohortConfig, user: ConsoleUser) -> bool:
    """A named reviewer of the cohort (``committee.reviewers`` holds Airflow user ids), or an admin."""
    return user.admin or user.id in config.committee.reviewers


def login_url(request: Request) -> str:
    """Airflow's login, coming back to this page afterwards (Airflow checks that ``next`` is on this host)."""
    from airflow.api_fastapi.app import get_cookie_path  # lazy: see auth_manager

    return f"{get_cookie_path()}api/v2/auth/login?" + urlencode({"next": str(request.url)})


def logout_url() -> str:
    from airflow.api_fastapi.app import get_cookie_path  # lazy: see auth_manager

    return f"{get_cookie_path()}api/v2/auth/logout"
