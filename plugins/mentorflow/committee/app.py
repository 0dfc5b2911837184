"""The committee console web app (FastAPI), mounted by the Airflow plugin at ``/mentorflow-committee``.

Routes (below the mount point); every one needs an Airflow login (:mod:`.auth`):

- ``GET  /``                                   the cohorts and rounds this user may review
- ``GET  /committee/{cohort}/{round}``         the review page of a round (each view is recorded)
- ``POST /committee/{cohort}/{round}/notes``   add a note (CSRF field bound to the user)
- ``POST /committee/{cohort}/{round}/questions`` ask an applicant (and ``/api/…``: JSON; :mod:`.asking`)
- ``GET  /api/me``                             who Airflow says this is, and what they may review (JSON)
- the committee's actions on a round (edits, re-solve, accept, votes, reopen) and its JSON API: :mod:`.acting`

Anonymous: HTML pages redirect to Airflow's login and come back; ``/api/`` routes and posts answer 401. A user who
is neither a named reviewer of the cohort nor an admin gets 403 and nothing of the cohort.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from sqlalchemy import exc as sa_exc

from mentorflow.cohorts.loader import load_cohorts
from mentorflow.committee import acting, asking, audit, auth, csrf, deciding, resolve, review, voting
from mentorflow.committee.auth import ConsoleUser
from mentorflow.committee.web import Console, Refused
from mentorflow.errors import StoreNotReady
from mentorflow.forms.registry import Registry

log = logging.getLogger("mentorflow.committee")


def create_app(registry: Registry | None = None) -> FastAPI:
    console = Console(registry or Registry())
    registry = console.registry
    app = FastAPI(title="mentorflow committee console", docs_url=None, redoc_url=None, openapi_url=None)
    page, reviewable, store_of, round_of = console.page, console.reviewable, console.store_of, console.round_of

    console.install(app, log, stylesheet="/assets/committee.css")

    def cohorts_for(user: ConsoleUser) -> list[dict[str, Any]]:
        listed = []
        for config in load_cohorts()[0]:
            if not auth.may_review(config, user):
                continue
            try:
                rounds = review.rounds_with_proposal(registry.store(config), config.cohort)
            except (StoreNotReady, sa_exc.DBAPIError):
                rounds = []
            listed.append({"cohort": config.cohort, "name": config.name, "rounds": rounds,
                           "reviewer": user.id in config.committee.reviewers})
        return listed

    # -- routes ----------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        return page(request, "index.html", user=user, cohorts=cohorts_for(user))

    @app.get("/api/me")
    def me(user: ConsoleUser = Depends(auth.airflow_user)) -> dict[str, Any]:
        return {"id": user.id, "name": user.name, "admin": user.admin, "cohorts": cohorts_for(user)}

    @app.get("/committee/{cohort}/{round_name}", response_class=HTMLResponse)
    def review_page(request: Request, cohort: str, round_name: str,
                    user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config = reviewable(user, cohort)
        round_name = round_of(round_name)
        store = store_of(config)
        context = review.load_review(config, store, round_name)
        audit.record(store, config.cohort, round_name, user.id, "view",
                     {"pairs": len(context["pairs"]), "unmatched": len(context["unmatched"])})
        trail = audit.trail(store, config.cohort, round_name)
        decide = deciding.panel(config, store, round_name, user.id, resolve.current(config, store, round_name))
        nonce, token = csrf.field_for(request, user.id)
        response = page(request, "review.html", user=user, cohort=config, report=context, trail=trail,
                        notes=audit.notes(trail), describe=audit.describe, csrf_field=csrf.FIELD, csrf_value=token,
                        note_max=audit.NOTE_MAX, said=said(request), decide=decide, vote_max=voting.MAX_COMMENT,
                        asking=asking.section(config, store, round_name, context))
        csrf.set_cookie(response, request, nonce, f"{console.root(request)}/" if console.root(request) else "/")
        return response

    @app.post("/committee/{cohort}/{round_name}/notes")
    async def add_note(request: Request, cohort: str, round_name: str,
                       user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config = reviewable(user, cohort)
        round_name = round_of(round_name)
        fields = await console.posted(request, user)
        text = (fields.get("note") or "").strip()
        if not text or len(text) > audit.NOTE_MAX:
            raise Refused(422, f"note: write between 1 and {audit.NOTE_MAX} characters.")
        store = store_of(config)
        await run_in_threadpool(audit.record, store, config.cohort, round_name, user.id, "note", {"text": text})
        return console.back_to(request, config.cohort, round_name, "notes", noted=1)

    acting.add_routes(app, console)
    asking.add_routes(app, console)
    return app


def said(request: Request) -> list[str]:
    """What the page says happened, from the query the last post redirected with (counts and states only)."""
    q = request.query_params
    out = []
    if q.get("noted"):
        out.append("Your note was added.")
    if q.get("asked") == "unsent":
        out.append("Your question was saved, but its email could not be sent yet: it goes out with the next question "
                   "asked in this round.")
    elif q.get("asked"):
        out.append("Your question was saved and emailed to the applicant; their answer will appear under Questions.")
    if q.get("edited") is not None:
        out.append("The edit was saved." if q.get("edited") != "0" else "Nothing changed: the edit set had it already.")
    if q.get("accepted") is not None:
        out.append("The re-solved proposal is now the round's proposal; earlier votes were cleared."
                   if q.get("accepted") == "1" else "The re-solve gave the same proposal: nothing changed.")
    if q.get("voted") in ("pending", "approved", "rejected"):
        out.append(f"Your vote was counted. The round is {q['voted']}.")
    if q.get("sent") is not None:
        out.append(f"The decision was sent to Airflow ({q['sent']} waiting task(s) answered).")
    if q.get("unsent"):
        out.append("The decision is recorded, but Airflow did not take it yet: use 'Send the decision to Airflow' "
                   "once the review task waits.")
    if q.get("reopened"):
        out.append("The round is open again: its votes were cleared.")
    return out


app = create_app()
