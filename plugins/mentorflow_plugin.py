"""Airflow plugin entry point for mentorflow: mounts the participant forms app at /mentorflow, the matching
committee's console at /mentorflow-committee and HR's reports at /mentorflow-reports, and lists the console in
Airflow's navigation (Browse menu).

Cheap to import (the plugin manager loads it in every Airflow process): each app is imported on its first
request, not here.
"""

from __future__ import annotations

import importlib
from typing import Any

from airflow.plugins_manager import AirflowPlugin


class LazyASGIApp:
    """An ASGI app that imports ``module:attribute`` on first use and hands every call to it."""

    def __init__(self, target: str):
        self.target = target
        self._app: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self._app is None:
            module, _, attribute = self.target.partition(":")
            self._app = getattr(importlib.import_module(module), attribute)
        await self._app(scope, receive, send)


class MentorflowPlugin(AirflowPlugin):
    name = "mentorflow"
    fastapi_apps = [
        {"app": LazyASGIApp("mentorflow.forms.app:app"), "url_prefix": "/mentorflow", "name": "mentorflow forms"},
        {"app": LazyASGIApp("mentorflow.committee.app:app"), "url_prefix": "/mentorflow-committee",
         "name": "mentorflow committee console"},
        {"app": LazyASGIApp("mentorflow.hr.app:app"), "url_prefix": "/mentorflow-reports", "name": "mentorflow reports"},
    ]
    # relative href (resolved against the UI's base href, so a [api] base_url with a path keeps working);
    # url_route shows the console inside Airflow's UI frame at /plugin/mentorflow-committee
    external_views = [
        {"name": "Matching committee", "href": "mentorflow-committee/", "url_route": "mentorflow-committee",
         "destination": "nav", "category": "browse"},
    ]
