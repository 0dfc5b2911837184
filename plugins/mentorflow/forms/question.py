"""The answer page for a question of the matching committee (``/forms/question?token=…&q=…``).

The link is the applicant's own signed ``question`` link: its period names the question and its deadline
(:func:`mentorflow.cohorts.calendar.question_period`), so it opens that one question of that one person and
nothing else (another question, or another person's, is "no such question": 404, nothing shown). Saving writes
the answer; answering again replaces it until the deadline. No JavaScript needed; the same CSRF field and rate
limit as every form; a refused answer shows the page again with the error beside the field and saves nothing.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.forms import models, security
from mentorflow.forms.registry import STALE_PAGE, FormsSettings, Refusal, submitted
from mentorflow.forms.request_limits import SECURITY_HEADERS
from mentorflow.forms.tokens import FormGrant
from mentorflow.store import Store, committee_questions, people

FORM = "question"
TITLE = "A question from the matching committee"
ANSWER_MAX = 4000  # characters of one answer
NO_SUCH = "There is no such question. Use the link in the committee's email."


# -- load, decide, apply --------------------------------------------------------------------------


def load(config: CohortConfig, store: Store, grant: FormGrant, q: str | None) -> tuple[dict[str, Any], dict]:
    """(the question, the person) a link opens; :class:`Refusal` 404 for anything else."""
    number = int(q) if q and q.isdigit() and len(q) < 12 else None
    if number is None or calendar.question_of(grant.period)[0] != number:
        raise Refusal(404, NO_SUCH)
    found = store.rows(committee_questions, question_id=number, cohort_id=config.cohort, employee_id=grant.person_id)
    person = store.rows(people, cohort_id=config.cohort, employee_id=grant.person_id)
    if not found or not person:
        raise Refusal(404, NO_SUCH)
    return found[0], person[0]


def check(fields: dict[str, str]) -> str:
    """The answer, or :class:`models.FieldErrors` with the reason beside the field."""
    answer = (fields.get("answer") or "").strip()
    if not answer:
        raise models.FieldErrors({"answer": "please write your answer"})
    if len(answer) > ANSWER_MAX:
        raise models.FieldErrors({"answer": f"please keep it to {ANSWER_MAX} characters (you wrote {len(answer)})"})
    if "\x00" in answer:
        raise models.FieldErrors({"answer": "the answer contains a character that cannot be stored"})
    return answer


def save(store: Store, question: dict[str, Any], answer: str, now: dt.datetime) -> None:
    """Write (or replace) the answer, in one transaction."""
    table = committee_questions
    with store.begin() as conn:
        conn.execute(table.update().where(table.c.question_id == question["question_id"],
                                          table.c.employee_id == question["employee_id"])
                     .values(answer=answer, answered_at=now))


# -- routes ---------------------------------------------------------------------------------------


def add_routes(app: FastAPI, forms_settings: FormsSettings, *, grant_for: Callable, check_deadline: Callable,
               page: Callable[..., HTMLResponse], refusal: Callable[..., Response]) -> None:
    """Mount the page on ``app`` with the forms app's own link, deadline and page helpers."""

    def opened(request: Request, token: str | None, q: str | None) -> tuple | Response:
        try:
            grant, config, store = grant_for(FORM, token)
            question, person = load(config, store, grant, q)
            closes = check_deadline(config, grant)
        except Refusal as exc:
            return refusal(request, exc, False)
        return config, store, question, person, closes

    def render(request: Request, token: str, config: CohortConfig, question: dict, person: dict,
               closes: dt.datetime, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
               saved: bool = False, status: int = 200, notice: str | None = None) -> HTMLResponse:
        nonce = request.cookies.get(security.CSRF_COOKIE) or security.new_csrf_nonce()
        response = page(
            "question.html", status, title=TITLE, cohort=config, person=person, question=question,
            action=f"{FORM}?token={urllib.parse.quote(token)}&q={question['question_id']}",
            csrf_field=security.CSRF_FIELD, csrf_value=security.csrf_field(nonce, token),
            values=values if values is not None else {"answer": question["answer"] or ""}, errors=errors or {},
            saved=saved, notice=notice, field_label=models.field_label, answer_max=ANSWER_MAX,
            deadline=calendar.describe(closes, config))
        response.set_cookie(security.CSRF_COOKIE, nonce, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
        return response

    @app.get(f"/forms/{FORM}", response_class=HTMLResponse)
    def show(request: Request, token: str | None = None, q: str | None = None, saved: int = 0) -> Response:
        result = opened(request, token, q)
        if isinstance(result, Response):
            return result
        config, _, question, person, closes = result
        return render(request, token, config, question, person, closes, saved=bool(saved))

    def submit(request: Request, token: str | None, q: str | None, fields: dict[str, str]) -> Response:
        result = opened(request, token, q)
        if isinstance(result, Response):
            return result
        config, store, question, person, closes = result
        visible = {k: v for k, v in fields.items() if k != security.CSRF_FIELD}
        allowed, wait = forms_settings.limiter.allow(token or "")
        if not allowed:
            response = render(request, token, config, question, person, closes, values=visible, status=429,
                              notice=f"Too many answers from this link. Please wait {int(wait) + 1} seconds and "
                                     "try again.")
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        if not security.csrf_ok(request.cookies.get(security.CSRF_COOKIE), token, fields.get(security.CSRF_FIELD)):
            return refusal(request, Refusal(403, STALE_PAGE), False)
        try:
            answer = check(visible)
        except models.FieldErrors as exc:
            return render(request, token, config, question, person, closes, values=visible, errors=exc.errors,
                          status=422)
        save(store, question, answer, forms_settings.clock())
        target = f"{FORM}?token={urllib.parse.quote(token)}&q={question['question_id']}&saved=1"
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)

    @app.post(f"/forms/{FORM}")
    async def post(request: Request, token: str | None = None, q: str | None = None) -> Response:
        return await submitted(request, FORM, token, grant_for, refusal, submit, q)
