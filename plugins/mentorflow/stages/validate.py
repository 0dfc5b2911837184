"""Validate stage: the window closes. Freeze applications through the applications gate (invalid ones
quarantined with reasons, the report written) and ask those held for missing answers to complete them."""

from __future__ import annotations

from typing import Any

from mentorflow.errors import GateFailure
from mentorflow.quality import stage_gates
from mentorflow.stages import waitlist_carry
from mentorflow.stages.common import CohortRun
from mentorflow.stages.intake import send_gapfill


def validate_applications(run: CohortRun) -> dict[str, Any]:
    # people carried from an earlier cohort's waitlist join this one's, their old application copied
    # when they have not applied here (docs/waitlist.md); the gate then checks it like any other
    carried = waitlist_carry.pick_up(run.config, run.store, run.moment)
    summary = stage_gates.check_applications(run.config, run.store)
    if any(carried.values()):
        summary["waitlist_carried_in"] = carried
    summary["gapfill"] = send_gapfill(run, only=summary.pop("incomplete"))
    if summary["valid"] == 0:
        raise GateFailure(f"applications: none of {summary['applications']} applications is valid; "
                          f"see {summary['report']}")
    return summary
