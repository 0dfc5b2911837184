"""Triage stage: the forms app starts a run (through Airflow's REST API) when a participant asks to end
or re-match a pair; the request is recorded and ops is emailed at once, once per run."""

from __future__ import annotations

import hashlib
from typing import Any

from mentorflow.errors import GateFailure
from mentorflow.stages.common import CohortRun, compose, people_index, program_contact, send
from mentorflow.store import matches, triage_requests

WISHES = {"rematch": "be re-matched with a new partner", "end": "end the partnership"}


def record_triage(run: CohortRun, conf: dict[str, Any]) -> dict[str, Any]:
    """Record a participant's wish to end or re-match a pair and email ops once about it."""
    match_id, reason, requester = conf.get("match_id"), conf.get("reason"), conf.get("requester")
    pair = run.store.rows(matches, cohort_id=run.cohort, match_id=match_id) if isinstance(match_id, int) else []
    if not pair or reason not in WISHES or not isinstance(requester, str):
        raise GateFailure(f"triage run {run.run_id}: conf must be {{match_id: a pair of {run.cohort}, reason: "
                          f"{' | '.join(WISHES)}, requester: employee id}}; got {conf!r}")
    run.store.upsert(triage_requests, [{"cohort_id": run.cohort, "run_id": run.run_id, "match_id": match_id,
                                        "reason": reason, "requester_id": requester, "received_at": run.moment}])
    everyone = people_index(run.store, run.cohort)

    def name(person_id: str) -> str:
        return everyone.get(person_id, {}).get("full_name", person_id)

    period = "triage-" + hashlib.sha256(run.run_id.encode()).hexdigest()[:12]
    alert = compose(run.config, program_contact(run.config), "triage", period, match_id=match_id,
                    wish=WISHES[reason], requester_name=name(requester),
                    mentor_name=name(pair[0]["mentor_id"]), mentee_name=name(pair[0]["mentee_id"]))
    return {"match_id": match_id, "reason": reason, **send(run, [alert])}
