"""The console's actions on a round: edits by click (lock, forbid, swap, remove), re-solve with a diff, accept,
vote, reopen, and sending a recorded decision to Airflow again. The work is in :mod:`.deciding`, :mod:`.resolve`
and :mod:`.voting`; this module turns requests into those calls and their answers into pages or JSON.

Each action has a browser route (``/committee/{cohort}/{round}/…``: the Airflow UI's cookie and the page's CSRF
field) and a script route (``/api/committee/{cohort}/{round}/…``: ``Authorization: Bearer <token>``, JSON in and
out); both run the same handler. ``GET /api/committee/{cohort}/{round}`` gives the round as JSON. A closed round
(decided or applied) refuses every change with 409 and says why.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from mentorflow.cohorts.config import CohortConfig
from mentorflow.committee import asking, audit, auth, csrf, deciding, resolve, voting
from mentorflow.committee.auth import ConsoleUser
from mentorflow.committee.diff import Proposal
from mentorflow.committee.edits import EditError
from mentorflow.committee.hitl import HitlClient
from mentorflow.committee.web import HEADERS, Console, Refused


def add_routes(app: FastAPI, console: Console) -> None:

    def opened(user: ConsoleUser, cohort: str, round_name: str) -> tuple[CohortConfig, Any, str]:
        config = console.reviewable(user, cohort)
        return config, console.store_of(config), console.round_of(round_name)

    def done(request: Request, config: CohortConfig, round_name: str, anchor: str, body: dict[str, Any],
             **said: Any) -> Response:
        if console.wants_json(request):
            return JSONResponse(body, headers=HEADERS)
        return console.back_to(request, config.cohort, round_name, anchor, **said)

    def both(path: str):
        """Register a POST handler at the browser path and at its ``/api`` twin."""
        def register(handler):
            app.post(f"/committee/{{cohort}}/{{round_name}}/{path}")(handler)
            app.post(f"/api/committee/{{cohort}}/{{round_name}}/{path}")(handler)
            return handler
        return register

    @app.get("/api/committee/{cohort}/{round_name}")
    def round_json(cohort: str, round_name: str, user: ConsoleUser = Depends(auth.airflow_user)) -> dict[str, Any]:
        config, store, round_name = opened(user, cohort, round_name)
        proposal = resolve.current(config, store, round_name)
        state = deciding.round_state(config, store, round_name)
        audit.record(store, config.cohort, round_name, user.id, "view",
                     {"pairs": len(proposal.pairs), "unmatched": len(proposal.unmatched), "via": "api"})
        return {"cohort": config.cohort, "round": round_name, "fingerprint": proposal.fingerprint,
                "pairs": [asdict(p) | {"mentor": proposal.names.get(p.mentor_id), "mentee": proposal.names.get(p.mentee_id)}
                          for p in proposal.pairs],
                "unmatched": [asdict(u) for u in proposal.unmatched],
                "edits": [{k: r[k] for k in ("edit_id", "kind", "mentor_id", "mentee_id", "via", "added_by")}
                          for r in deciding.edit_rows(store, config.cohort, round_name)],
                "votes": outcome_json(state.outcome), "closed": state.closed, "why_closed": state.why_closed,
                "applied": state.applied,
                "questions": [{k: q[k] for k in ("question_id", "employee_id", "full_name", "question", "asked_by",
                                                 "asked_at", "answer", "answered_at", "email_status")}
                              for q in asking.questions(store, config.cohort, round_name)]}

    @both("edits")
    async def edit(request: Request, cohort: str, round_name: str,
                   user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config, store, round_name = opened(user, cohort, round_name)
        fields = await console.posted(request, user)
        kind = str(fields.get("kind") or "")
        try:
            if kind == "remove":
                edit_id = str(fields.get("edit_id") or "")
                if not edit_id.isdigit():
                    raise EditError([f"edit_id: {edit_id!r} is not an edit number"])
                changed = await run_in_threadpool(deciding.remove_edit, config, store, round_name, user.id,
                                                  int(edit_id))
            else:
                chosen = fields.get("pair") or (f"{fields['mentor']}:{fields['mentee']}"
                                                if fields.get("mentor") and fields.get("mentee") else "")
                pair = deciding.parse_pair(chosen, "pair")
                other = deciding.parse_pair(fields.get("with"), "with") if kind == "swap" else None
                added = await run_in_threadpool(deciding.add_edit, config, store, round_name, user.id, kind, pair,
                                                other)
                changed = [f"{r['kind']} {r['mentor_id']}:{r['mentee_id']}" for r in added]
        except EditError as exc:
            raise Refused(422, "The edit was not added: nothing changed.", exc.problems) from None
        except deciding.RoundIsClosed as exc:
            raise Refused(409, f"Nothing changed: {exc}.") from None
        return done(request, config, round_name, "edits", {"changed": changed}, edited=len(changed))

    @both("resolve")
    async def re_solve(request: Request, cohort: str, round_name: str,
                       user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config, store, round_name = opened(user, cohort, round_name)
        await console.posted(request, user)
        before, after = await run_in_threadpool(solve, config, store, round_name)
        change = resolve.diff(before, after)
        await run_in_threadpool(audit.record, store, config.cohort, round_name, user.id, "what-if",
                                {"summary": change.summary})
        if console.wants_json(request):
            return JSONResponse({"before": before.fingerprint, "after": after.fingerprint, "diff": change.as_dict()},
                                headers=HEADERS)
        nonce, token = csrf.field_for(request, user.id)
        response = console.page(request, "diff.html", user=user, cohort=config, round=round_name, change=change,
                                before=before, after=after, names={**before.names, **after.names},
                                csrf_field=csrf.FIELD, csrf_value=token)
        csrf.set_cookie(response, request, nonce, f"{console.root(request)}/" if console.root(request) else "/")
        return response

    @both("accept")
    async def accept(request: Request, cohort: str, round_name: str,
                     user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config, store, round_name = opened(user, cohort, round_name)
        fields = await console.posted(request, user)
        seen_before, seen_after = str(fields.get("before") or ""), str(fields.get("after") or "")
        result = await run_in_threadpool(accept_seen, config, store, round_name, user.id, seen_before, seen_after)
        return done(request, config, round_name, "decision", result, accepted=int(result["changed"]))

    @both("votes")
    async def cast(request: Request, cohort: str, round_name: str,
                   user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config, store, round_name = opened(user, cohort, round_name)
        fields = await console.posted(request, user)
        decision, comment = str(fields.get("decision") or ""), str(fields.get("comment") or "").strip() or None
        try:
            state = deciding.round_state(config, store, round_name)
            deciding.refuse_if_closed(state)
            result = await run_in_threadpool(voting.vote, config, store, round_name, user.id, decision, comment,
                                             HitlClient.for_user(user.token) if user.token else None)
        except deciding.RoundIsClosed as exc:
            raise Refused(409, f"Your vote was not counted: {exc}.") from None
        except voting.VoteRefused as exc:
            status = 409 if "already" in str(exc) else 403 if str(exc).startswith("reviewer") else 422
            raise Refused(status, f"Your vote was not counted: {exc}.") from None
        body = {"outcome": outcome_json(result.outcome), "answered": result.answered, "error": result.error}
        return done(request, config, round_name, "decision", body, voted=result.outcome.state,
                    **({"unsent": 1} if result.error else {}))

    @both("answer")
    async def answer_again(request: Request, cohort: str, round_name: str,
                           user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        """Send a recorded decision to Airflow again (it was unreachable, or the task did not wait yet)."""
        config, store, round_name = opened(user, cohort, round_name)
        await console.posted(request, user)
        outcome = voting.outcome(config, store, round_name)
        if not outcome.decided:
            raise Refused(409, "The committee has not decided this round yet: there is nothing to send.")
        answered, error = await run_in_threadpool(voting.answer_decision, config, round_name, outcome,
                                                  HitlClient.for_user(user.token) if user.token else None)
        return done(request, config, round_name, "decision", {"answered": answered, "error": error},
                    **({"unsent": 1} if error else {"sent": len(answered)}))

    @both("reopen")
    async def reopen(request: Request, cohort: str, round_name: str,
                     user: ConsoleUser = Depends(auth.airflow_user)) -> Response:
        config, store, round_name = opened(user, cohort, round_name)
        await console.posted(request, user)
        state = deciding.round_state(config, store, round_name)
        if not state.reopenable:
            raise Refused(409, "The round cannot be reopened: " + (state.why_closed if state.applied else
                                                                     "the committee has not decided it yet."))
        cleared = await run_in_threadpool(voting.reopen, config, store, round_name, user.id)
        return done(request, config, round_name, "decision", {"votes_cleared": cleared}, reopened=1)


def solve(config: CohortConfig, store, round_name: str) -> tuple[Proposal, Proposal]:
    """(the open proposal, the round re-solved with the committee's edit set); refuses a closed round."""
    try:
        deciding.refuse_if_closed(deciding.round_state(config, store, round_name))
        before = resolve.current(config, store, round_name)
        edits = deciding.edits_of(deciding.edit_rows(store, config.cohort, round_name))
        return before, resolve.what_if(config, store, round_name, edits)
    except (deciding.RoundIsClosed, resolve.RoundClosed) as exc:
        raise Refused(409, f"Nothing was re-solved: {exc}.") from None
    except EditError as exc:
        raise Refused(422, "The committee's edits cannot all be met: change them and re-solve.", exc.problems) from None


def accept_seen(config: CohortConfig, store, round_name: str, actor: str, seen_before: str,
                seen_after: str) -> dict[str, Any]:
    """Accept the re-solve the reviewer saw: solved again now, it must give the proposal they reviewed, and the open
    proposal must still be the one they compared it with. A change clears the round's votes (a new proposal)."""
    before, after = solve(config, store, round_name)
    if before.fingerprint != seen_before:
        raise Refused(409, "The proposal changed since you compared it (another reviewer accepted a re-solve): "
                           "nothing was accepted. Re-solve again to see the new difference.")
    if after.fingerprint != seen_after:
        raise Refused(409, "Re-solving now gives a different proposal than the one you reviewed (the edits or the "
                           "applications changed): nothing was accepted. Re-solve again to review it.")
    try:
        result = resolve.accept(config, store, round_name, after, actor, before=before)
    except (resolve.RoundClosed, resolve.ProposalChanged) as exc:
        raise Refused(409, f"Nothing was accepted: {exc}.") from None
    votes = voting.outcome(config, store, round_name)
    cast = len(votes.approvals) + len(votes.rejections) + len(votes.ignored)
    result["votes_cleared"] = voting.reopen(config, store, round_name, actor) if result["changed"] and cast else 0
    return result


def outcome_json(outcome) -> dict[str, Any]:
    return {"state": outcome.state, "quorum": outcome.quorum, "approvals": list(outcome.approvals),
            "rejections": list(outcome.rejections), "outstanding": list(outcome.outstanding),
            "reason": outcome.reason}
