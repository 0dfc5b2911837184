"""Self-selection stage (``self_selection.enabled``; off by default, and then every task says so and
does nothing): mentees choose among recommended mentors before the optimizer runs.

- :func:`send_recommendations` (validate DAG, after validation): each mentee's best few mentors
  (:func:`mentorflow.selection.recommend.recommend`, the matcher's own scores and reasons) are stored in
  ``recommendations``; each mentee gets a personal link to the ``recommendations`` form;
- :func:`ask_mentors` (at ``requests_close``): each requested mentor gets a link to the ``requests`` form;
- :func:`close_selection` (at ``responses_close``): unanswered requests expire, the ``selection`` gate
  holds bad requests and acceptances (status ``quarantined``), and the locks are decided
  (:func:`mentorflow.selection.locks.decide_locks`): kept acceptances stay ``accepted`` and the match stage
  locks them; the others become ``released``.
"""

from __future__ import annotations

from typing import Any

from mentorflow.cohorts import calendar
from mentorflow.matching.capacity import mentor_capacity
from mentorflow.quality import stage_gates
from mentorflow.selection.locks import Accepted, decide_locks
from mentorflow.selection.recommend import recommend
from mentorflow.stages.common import CohortRun, compose, form_link, people_index, send
from mentorflow.stages.match import match_input
from mentorflow.store import recommendations, selection_requests

PERIOD = "selection"
OFF = "self-selection is off for this cohort (self_selection.enabled): the optimizer matches everyone"


def send_recommendations(run: CohortRun) -> dict[str, Any]:
    """Store each mentee's recommended mentors (once: a second run reuses them) and email each mentee
    a personal link to choose among them."""
    config = run.config
    if not config.self_selection.enabled:
        return {"enabled": False, "recommended": 0, "note": OFF}
    stored = run.store.rows(recommendations, cohort_id=run.cohort)
    unchanged = bool(stored)
    if not stored:
        chosen = config.self_selection
        recs = recommend(match_input(config, run.store, moment=run.moment), chosen.recommendations,
                         chosen.popularity_cap)
        stored = [{**r, "cohort_id": run.cohort, "created_at": run.moment} for r in recs.to_dict("records")]
        with run.store.begin() as conn:
            if stored:
                conn.execute(recommendations.insert(), stored)
    messages = recommendation_emails(run, stored)
    return {"enabled": True, "mentees": len(messages), "recommendations": len(stored), "unchanged": unchanged,
            **send(run, messages)}


def recommendation_emails(run: CohortRun, stored: list[dict[str, Any]]) -> list:
    """One email per mentee with recommendations: the mentors' names and a link to choose (decide: no I/O
    beyond reading the roster)."""
    everyone = people_index(run.store, run.cohort)
    by_mentee: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(stored, key=lambda r: (r["mentee_id"], r["rank"])):
        by_mentee.setdefault(row["mentee_id"], []).append(everyone.get(row["mentor_id"], {}))
    closes = calendar.describe(calendar.selection_dates(run.config)["requests_close"], run.config)
    return [compose(run.config, everyone[mentee], "recommendations", PERIOD, mentors=mentors, closes=closes,
                    requests=run.config.self_selection.requests,
                    link=form_link(run.config, mentee, "recommendations", PERIOD))
            for mentee, mentors in by_mentee.items() if mentee in everyone]


def ask_mentors(run: CohortRun) -> dict[str, Any]:
    """Email every mentor with an open request a link to accept or decline (once)."""
    if not run.config.self_selection.enabled:
        return {"enabled": False, "asked": 0, "note": OFF}
    everyone = people_index(run.store, run.cohort)
    counts: dict[str, int] = {}
    for row in run.store.rows(selection_requests, cohort_id=run.cohort, status="requested"):
        counts[row["mentor_id"]] = counts.get(row["mentor_id"], 0) + 1
    closes = calendar.describe(calendar.selection_dates(run.config)["responses_close"], run.config)
    messages = [compose(run.config, everyone[mentor], "mentor_requests", PERIOD, received=count, closes=closes,
                        link=form_link(run.config, mentor, "requests", PERIOD))
                for mentor, count in sorted(counts.items()) if mentor in everyone]
    return {"enabled": True, "asked": len(messages), "requests": sum(counts.values()), **send(run, messages)}


def close_selection(run: CohortRun) -> dict[str, Any]:
    """Unanswered requests expire; the gate holds bad ones; the locks are decided and stored in one
    transaction. A second run finds nothing left to change."""
    config = run.config
    if not config.self_selection.enabled:
        return {"enabled": False, "locked": 0, "note": OFF}
    inp = match_input(config, run.store, moment=run.moment)
    held = stage_gates.check_selection(config, run.store, inp)
    rows = run.store.rows(selection_requests, cohort_id=run.cohort)
    apps = inp.applications
    capacity = dict(zip(apps["employee_id"], mentor_capacity(apps["capacity"], config.program_type.value,
                                                             config.matching.rules))) if len(apps) else {}
    accepted = [Accepted(r["mentee_id"], r["mentor_id"], r["preference"]) for r in rows
                if r["status"] == "accepted" and (r["mentee_id"], r["mentor_id"]) not in held]
    kept, released = decide_locks(accepted, per_mentee=config.matching.rules.mentors_per_mentee, capacity=capacity,
                                  already=[tuple(p) for p in config.matching.locks])
    changes = {
        "expired": [(r["mentee_id"], r["mentor_id"]) for r in rows if r["status"] == "requested"],
        "quarantined": [(r["mentee_id"], r["mentor_id"]) for r in rows
                        if r["status"] == "accepted" and (r["mentee_id"], r["mentor_id"]) in held],
        "released": [(r.mentee_id, r.mentor_id) for r in released],
    }
    with run.store.begin() as conn:
        for status, keys in changes.items():
            for mentee, mentor in keys:
                conn.execute(selection_requests.update().where(
                    selection_requests.c.cohort_id == run.cohort, selection_requests.c.mentee_id == mentee,
                    selection_requests.c.mentor_id == mentor).values(status=status))
    return {"enabled": True, "locked": len(kept), **{k: len(v) for k, v in changes.items()},
            "held_by_gate": len(held)}
