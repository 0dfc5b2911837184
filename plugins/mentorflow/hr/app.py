"""The HR reports web app (FastAPI), mounted by the Airflow plugin at ``/mentorflow-reports``.

Routes (below the mount point); every one needs an Airflow login, checked as the committee console checks it
(:mod:`mentorflow.committee.auth`):

- ``GET /``                    the cohorts whose reports this user may read, each with its report files
- ``GET /{cohort}/``           one cohort's report files
- ``GET /{cohort}/{name}``     one file, only if the store records it as an HR report of the cohort

Who is HR for a cohort: the Airflow user ids in the cohort YAML's ``hr.viewers``, and every admin. Anonymous HTML
requests go to Airflow's login and come back; anyone else gets 403 and learns nothing of the cohort; a name that is
not one of the cohort's HR report files gets 404.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from mentorflow.cohorts.config import CohortConfig
from mentorflow.cohorts.loader import load_cohorts
from mentorflow.committee import auth
from mentorflow.committee.auth import ConsoleUser
from mentorflow.committee.web import HEADERS, Console, Refused
from mentorflow.errors import StoreNotReady
from mentorflow.forms.registry import Registry
from mentorflow.reports import served

log = logging.getLogger("mentorflow.hr")

# a served report: its own inline styles and SVG charts, never a script, a form or a frame of another site
FILE_HEADERS = {**HEADERS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                                      "form-action 'none'; frame-ancestors 'self'; base-uri 'none'; "
                                                      "sandbox allow-popups"}
NOT_HR = "You may not read this cohort's reports. Ask the program team to add your Airflow user to the cohort's hr.viewers."


def may_read(config: CohortConfig, user: ConsoleUser) -> bool:
    """HR of the cohort (``hr.viewers`` holds Airflow user ids) or an admin."""
    return user.admin or user.id in config.hr.viewers


def create_app(registry: Registry | None = None) -> FastAPI:
    console = Console(registry or Registry(), folder="hr")
    app = FastAPI(title="mentorflow reports", docs_url=None, redoc_url=None, openapi_url=None)

    page = console.page
    console.install(app, log, stylesheet="/_assets/hr.css")

    def readable(user: ConsoleUser, cohort: str) -> CohortConfig:
        """The cohort's config when ``user`` may read its reports; one refusal for unknown and forbidden alike."""
        return console.cohort_for(user, cohort, may_read, NOT_HR)

    def listing(config: CohortConfig) -> dict[str, Any]:
        try:
            files = served.hr_files(console.registry.store(config), config.cohort)
        except StoreNotReady:
            files = []
        return {"cohort": config.cohort, "name": config.name, "files": files}

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        cohorts = [listing(config) for config in load_cohorts()[0] if may_read(config, user)]
        return page(request, "index.html", user=user, cohorts=cohorts)

    @app.get("/{cohort}/", response_class=HTMLResponse)
    def cohort_page(request: Request, cohort: str, user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        return page(request, "index.html", user=user, cohorts=[listing(readable(user, cohort))])

    @app.get("/{cohort}/{name}")
    def report_file(cohort: str, name: str, user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config = readable(user, cohort)
        found = served.hr_file(console.store_of(config), config.cohort, name)
        if found is None:
            raise Refused(404, "There is no such report for this cohort.")
        log.info("mentorflow reports: %s opened %s of %s", user.id, found.name, config.cohort)
        return FileResponse(found.path, media_type=found.media_type, headers=FILE_HEADERS, filename=found.name,
                            content_disposition_type="inline" if found.inline else "attachment")

    return app


app = create_app()
