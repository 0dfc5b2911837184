"""Ops decisions on quarantined rows: list, release, reject.

Statuses: ``open`` (held, waiting for a fix or a decision), ``fixed`` (the problem no longer
occurs in the source; set by the gate), ``released`` (ops override: the gate no longer holds
that record for that exact reason) and ``rejected`` (ops ruled the record out).

Effects by gate:
- ``applications``: release makes the application valid for matching at once when no other
  problem of it is still open or rejected; reject sets the application to ``rejected`` for good
  (later validate runs leave it alone).
- ``roster``, ``intake``: the row was never admitted (a held roster row is kept in ``people`` only for
  its manager link, never eligible); a released row is admitted by the next run
  of the import (re-run the open stage, or wait for the next intake check), a rejected one stays out.
- ``pulse``, ``closeout``: released answers count at the next health assessment or HR report.
- ``workspace``: a released partnership row counts at the next health assessment and in the HR report.
- ``matches``: a released problem no longer holds the pair when the proposal is made again.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from mentorflow.store import Store, applications, quarantine

DECIDABLE = ("open", "released", "rejected")
HOLDING = ("open", "rejected")


def list_rows(store: Store, cohort: str, *, gate: str | None = None, status: str | None = None) -> list[dict]:
    stmt = sa.select(quarantine).where(quarantine.c.cohort_id == cohort).order_by(quarantine.c.id)
    if gate:
        stmt = stmt.where(quarantine.c.gate == gate)
    if status:
        stmt = stmt.where(quarantine.c.status == status)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def decide(store: Store, cohort: str, ids: list[int], status: str) -> list[str]:
    """Release or reject quarantine rows by id; returns one line per id saying what happened."""
    assert status in ("released", "rejected")
    found = {r["id"]: r for r in list_rows(store, cohort) if r["id"] in set(ids)}
    lines = []
    with store.engine.begin() as conn:
        for row_id in ids:
            row = found.get(row_id)
            if row is None:
                lines.append(f"{row_id}: no quarantine row with this id in cohort {cohort}")
                continue
            if row["status"] not in DECIDABLE:
                lines.append(f"{row_id}: is {row['status']} (the source was corrected); nothing to decide")
                continue
            conn.execute(sa.update(quarantine).where(quarantine.c.id == row_id).values(status=status))
            lines.append(f"{row_id}: {row['gate']} {row['record_key']} {status} ({row['reason']})")
    decided = {r["record_key"] for r in found.values() if r["gate"] == "applications" and r["status"] in DECIDABLE}
    lines += [_apply_to_application(store, cohort, key) for key in sorted(decided)]
    return lines


def _apply_to_application(store: Store, cohort: str, employee_id: str) -> str:
    rows = store.rows(quarantine, cohort_id=cohort, gate="applications", record_key=employee_id)
    statuses = {r["status"] for r in rows}
    new = "rejected" if "rejected" in statuses else "quarantined" if "open" in statuses else "valid"
    with store.engine.begin() as conn:
        done = conn.execute(applications.update().where(applications.c.cohort_id == cohort,
                                                        applications.c.employee_id == employee_id)
                            .values(status=new))
    if not done.rowcount:
        return f"   application {employee_id}: not stored (nothing to change)"
    return f"   application {employee_id} is now {new}" + (" (usable for matching)" if new == "valid" else "")


def without_held(store: Store, cohort: str, gate: str, frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """``frame`` minus the records the gate holds (open or rejected quarantine rows)."""
    held = {r["record_key"] for r in list_rows(store, cohort, gate=gate) if r["status"] in HOLDING}
    return frame[~frame[key].isin(held)] if len(frame) else frame
