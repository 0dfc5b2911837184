"""The participant forms web app (FastAPI).

Routes (below the mount point, ``/mentorflow`` inside Airflow's API server):

- ``GET  /forms/{form}?token=…``      the form, prefilled with earlier answers
- ``POST /forms/{form}?token=…``      an HTML form post (CSRF field + cookie); answers
  ``application/json`` instead of a page when the client asks for it (``Accept``)
- ``POST /api/forms/{form}?token=…``  the same form as a JSON body; 422 with field errors
- ``GET|POST /forms/partnership?token=…&space=…``  the partnership page (``forms.partnership``)
- ``GET|POST /forms/question?token=…&q=…``  the answer to a question of the matching committee (``forms.question``)

Served alone: ``mentorflow forms serve`` or ``uvicorn mentorflow.forms.app:app``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import json
import logging
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from sqlalchemy import exc as sa_exc

from mentorflow import settings
from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.cohorts.loader import load_cohorts
from mentorflow.forms import application_pages, application_posts, events, form_page, models, offer, partners
from mentorflow.forms import partnership, question, request_limits, security, selection, service, tokens
from mentorflow.forms import fields as form_fields
from mentorflow.forms.registry import APPLICATION_FORMS, TITLES, FormsSettings, Refusal, Registry, check_open, deadline
from mentorflow.forms.registry import environment
from mentorflow.forms.request_limits import SECURITY_HEADERS, wants_json
from mentorflow.privacy import redact_logger
from mentorflow.store import Store

log = logging.getLogger("mentorflow.forms")


def create_app(forms_settings: FormsSettings | None = None) -> FastAPI:
    forms_settings = forms_settings or FormsSettings()
    for logger_name in ("uvicorn.access", "uvicorn.error", "mentorflow.forms"):
        redact_logger(logger_name)  # access log lines carry the link (token=…); errors may quote addresses
    registry, env = Registry(forms_settings.recheck_seconds), environment()
    delivering = threading.Lock()
    application_writes = application_posts.ApplicationPosts(forms_settings)
    application_reads = application_pages.ApplicationPages(forms_settings, env)

    def deliver_everywhere() -> None:
        for config in load_cohorts()[0]:
            deliver(registry.store(config), config.cohort)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        import anyio.to_thread
        from starlette.concurrency import run_in_threadpool

        if forms_settings.threads > 0:  # a few threads serve more pages than 40 fighting over one interpreter lock
            anyio.to_thread.current_default_thread_limiter().total_tokens = forms_settings.threads
        async def retry_forever() -> None:
            while True:
                await asyncio.sleep(forms_settings.retry_seconds)
                await run_in_threadpool(deliver_everywhere)

        retrying = asyncio.create_task(retry_forever()) if forms_settings.retry_seconds > 0 else None
        gc.collect()  # what start-up made lives as long as the process: the collector need not look at it again
        gc.freeze()  # (a full collection over it took 70-80 ms, 16 times in 10 s of posts: the slowest answers)
        yield
        if retrying:
            retrying.cancel()
        await run_in_threadpool(application_writes.close)
        await run_in_threadpool(application_reads.close)
        gc.unfreeze()  # an app stopped within a longer process (the tests) leaves nothing the collector cannot see

    app = FastAPI(title="mentorflow forms", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  lifespan=lifespan)
    app.state.settings, app.state.registry = forms_settings, registry

    # -- helpers ---------------------------------------------------------------------------------

    def grant_for(form: str, token: str | None) -> tuple[tokens.FormGrant, CohortConfig, Store]:
        return registry.grant(form, token, forms_settings.clock())

    def check_deadline(config: CohortConfig, grant: tokens.FormGrant) -> dt.datetime:
        return check_open(config, grant, forms_settings.clock(), TITLES.get(grant.form, "This form"))

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(f"forms/{template}").render(**context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def refusal(request: Request, exc: Refusal, as_json: bool) -> Response:
        if as_json:
            return JSONResponse({"error": exc.message}, status_code=exc.status, headers=SECURITY_HEADERS)
        title = "This form is closed" if exc.status == 410 else "This link cannot be used"
        about = {"cohort": exc.cohort, "contact": exc.cohort.sender.ops_email} if exc.cohort else {"contact": None}
        return page("refused.html", exc.status, title=title, message=exc.message, **about)

    def render_form(request: Request, form: str, token: str, config: CohortConfig, grant: tokens.FormGrant,
                    context: service.FormContext, values: dict[str, str], errors: dict[str, str], *,
                    status: int = 200, notice: str | None = None, saved: bool = False,
                    prefilled: dict[str, str] | None = None) -> HTMLResponse:
        nonce = form_page.nonce(request)
        rematch_link = None
        if form == "pulse" and saved:
            rematch_link = "rematch?token=" + urllib.parse.quote(
                tokens.issue(tokens.FormGrant(config.cohort, grant.person_id, "rematch", grant.period)))
        choices = partners.load(config, registry.store(config), grant.person_id, values) \
            if form in APPLICATION_FORMS else None
        html = env.get_template(form_page.template(form)).render(**form_page.context(
            form, config, grant, person=context.person, token=token, csrf_value=security.csrf_field(nonce, token),
            deadline=calendar.describe(deadline(config, grant), config), values=values, errors=errors,
            partner_choices=choices, partnerships=context.partnerships, offer=context.offer,
            selection=context.selection, notice=notice, saved=saved, rematch_link=rematch_link, prefilled=prefilled))
        return form_page.keep_nonce(HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS), request, nonce)

    def deliver(store: Store, cohort_id: str) -> None:
        if not delivering.acquire(blocking=False):
            return  # another request is delivering; it picks up this event too, or the next one will
        try:
            events.deliver_pending(store, forms_settings.airflow, cohort_id=cohort_id)
        except Exception:  # delivery must never break a submission; the outbox keeps the event
            log.exception("mentorflow: event delivery failed; events stay in the outbox")
        finally:
            delivering.release()

    def open_link(request: Request, form: str, token: str | None, as_json: bool, granted: tuple | None = None) -> Any:
        """(grant, config, store, context) of a valid, open link (``granted``: verified already), else the refusal."""
        try:
            grant, config, store = granted or grant_for(form, token)
            check_deadline(config, grant)
            return grant, config, store, service.load(config, store, grant, answers=granted is None)
        except Refusal as exc:
            return refusal(request, exc, as_json)
        except service.NotAvailable as exc:
            return refusal(request, Refusal(403, str(exc)), as_json)

    def submit(request: Request, form: str, token: str | None, background: BackgroundTasks,
               fields: dict[str, str] | None, payload: Any, as_json: bool, granted: tuple,
               allowed: bool = False) -> Response:
        """Any post, the general way (``allowed``: the rate limit let it through already)."""
        opened = open_link(request, form, token, as_json, granted)
        if isinstance(opened, Response):
            return opened
        grant, config, store, context = opened
        allowed, wait = (True, 0.0) if allowed else forms_settings.limiter.allow(token or "")
        if not allowed:
            message = f"Too many submissions from this link. Please wait {int(wait) + 1} seconds and try again."
            if as_json or fields is None:
                return JSONResponse({"error": message}, status_code=429, headers={"Retry-After": str(int(wait) + 1)})
            response = render_form(request, form, token, config, grant, context, fields, {}, status=429,
                                   notice=message)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        if fields is not None and not security.csrf_ok(request.cookies.get(security.CSRF_COOKIE), token,
                                                       fields.get(security.CSRF_FIELD)):
            return refusal(request, Refusal(403, "This form could not be checked (it was open too long, or it "
                                                 "came from another site). Nothing was saved: reload the page "
                                                 "from your email link and submit again."), as_json)
        if partners.searched(form, fields):  # the page again with every answer kept and the names found
            return render_form(request, form, token, config, grant, context,
                               {k: v for k, v in fields.items() if k != security.CSRF_FIELD}, {})
        try:
            answers = form_fields.parse(form, fields) if fields is not None else form_fields.parse_json(form, payload)
            partners.check(config, store, grant.person_id, answers)  # the application form (else no-op)
            match_id = getattr(answers, "match_id", None)
            if match_id is not None and match_id not in {p.match_id for p in context.partnerships}:
                raise models.FieldErrors({"match_id": "please choose one of your own partnerships"})
            offer.check_choice(context.offer, answers)  # the offer form: only an offered option (else no-op)
            selection.check(context.selection, answers)  # the self-selection forms (else no-op)
        except models.FieldErrors as exc:
            if as_json or fields is None:
                return JSONResponse({"errors": exc.errors}, status_code=422, headers=SECURITY_HEADERS)
            visible = {k: v for k, v in fields.items() if k != security.CSRF_FIELD}
            return render_form(request, form, token, config, grant, context, visible, exc.errors, status=422)
        queued = service.save(config, store, grant, context, answers)
        if queued and forms_settings.deliver_events:  # no event, nothing to deliver (the outbox is retried anyway)
            background.add_task(deliver, store, config.cohort)
        return application_posts.saved(form, token, as_json or fields is None, queued, match_id)

    @app.exception_handler(sa_exc.DBAPIError)
    async def store_unavailable(request: Request, exc: sa_exc.DBAPIError) -> Response:
        log.error("mentorflow forms: program store error: %s", exc)
        return refusal(request, Refusal(503, "The program's database cannot be reached right now, so nothing "
                                             "was saved. Please try again in a few minutes."), wants_json(request))

    # -- routes ----------------------------------------------------------------------------------

    @app.get("/forms/assets/forms.css", include_in_schema=False)
    def stylesheet() -> Response:
        css = Path(settings.templates_dir() / "forms" / "forms.css").read_text(encoding="utf-8")
        return PlainTextResponse(css, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    partnership.add_routes(app, forms_settings, grant_for=grant_for, check_deadline=check_deadline, page=page,
                           refusal=refusal)  # before /forms/{form}: the page has routes of its own
    question.add_routes(app, forms_settings, grant_for=grant_for, check_deadline=check_deadline, page=page,
                        refusal=refusal)  # the committee's question: a page of its own too

    @app.get("/forms/{form}", response_class=HTMLResponse, openapi_extra=application_pages.PAGE_PARAMETERS)
    async def show(request: Request) -> Response:  # no parameters to solve: the application page reads its own
        form, query = request.path_params["form"], request.query_params
        token, match_id, as_json = query.get("token"), query.get("match_id"), wants_json(request)
        saved = query.get("saved", "0") not in ("", "0")  # 1: the page right after saving, with its notice
        if form in APPLICATION_FORMS and not as_json:  # the application forms' pages: forms.application_pages
            granted = checked_link(request, form, token, as_json)
            if isinstance(granted, Response):
                return granted
            answer = await application_reads.show(request, token or "", granted, saved)
            if answer is not None:
                return answer
        return await _in_thread(show_page, request, form, token, saved, match_id, as_json)

    def show_page(request: Request, form: str, token: str | None, saved: bool, match_id: str | None,
                  as_json: bool) -> Response:
        opened = open_link(request, form, token, as_json)
        if isinstance(opened, Response):
            return opened
        grant, config, store, context = opened
        values, prefilled = service.shown_values(config, store, grant, context, match_id)
        if as_json:
            return JSONResponse({"form": form, "answers": values, **({"prefilled": prefilled} if prefilled else {})},
                                headers=SECURITY_HEADERS)
        return render_form(request, form, token, config, grant, context, values, {}, saved=saved,
                           prefilled=prefilled)

    def checked_link(request: Request, form: str, token: str | None, as_json: bool) -> tuple | Response:
        """(grant, config, store) of a post's link, checked before its body is read (a forged or expired link costs
        nothing), else the refusal. Run on the event loop: a signature and a cached cohort, no database."""
        try:
            return grant_for(form, token)
        except Refusal as exc:
            return refusal(request, exc, as_json)

    async def posted(request: Request, form: str, token: str | None, fields: dict[str, str] | None, payload: Any,
                     as_json: bool, granted: tuple) -> Response:
        """An application form's usual post on the event loop (forms.application_posts), else :func:`submit`."""
        allowed = False
        if form in APPLICATION_FORMS:
            answer, allowed = await application_writes.save(request, token or "", granted, fields, payload, as_json)
            if answer is not None:
                return answer
        background = BackgroundTasks()
        answer = await _in_thread(submit, request, form, token, background, fields, payload, as_json, granted, allowed)
        if answer.background is None:
            answer.background = background
        return answer

    @app.post("/forms/{form}", openapi_extra=application_posts.POST_PARAMETERS)
    async def post_form(request: Request) -> Response:  # no parameters to solve: the busiest route reads its own
        form, token = request.path_params["form"], request.query_params.get("token")
        as_json = wants_json(request)
        granted = checked_link(request, form, token, as_json)
        if isinstance(granted, Response):
            return granted
        try:
            fields = await request_limits.form_fields(request)
        except request_limits.BodyTooLarge:
            return refusal(request, Refusal(413, request_limits.TOO_LARGE), as_json)
        return await posted(request, form, token, fields, None, as_json, granted)

    @app.post("/api/forms/{form}")
    async def post_api(request: Request, form: str, token: str | None = None) -> Response:
        if form in (partnership.FORM, question.FORM):  # pages of their own, without a JSON twin
            return JSONResponse({"error": "There is no such form."}, status_code=404, headers=SECURITY_HEADERS)
        if request_limits.media_type(request.headers.get("content-type", "")) != "application/json":
            return JSONResponse({"error": "send the answers as a JSON object (Content-Type: application/json)"},
                                status_code=415, headers=SECURITY_HEADERS)
        granted = checked_link(request, form, token, True)
        if isinstance(granted, Response):
            return granted
        try:
            payload = json.loads(await request_limits.capped_body(request) or b"null", parse_constant=request_limits.no_constant)
        except request_limits.BodyTooLarge:
            return JSONResponse({"error": request_limits.TOO_LARGE}, status_code=413, headers=SECURITY_HEADERS)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, too deep, a number too long, NaN
            return JSONResponse({"errors": {"body": "not valid JSON"}}, status_code=422, headers=SECURITY_HEADERS)
        return await posted(request, form, token, None, payload, True, granted)

    return app


async def _in_thread(fn: Callable, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


app = create_app()
