"""The committee's audit trail: who did what in the console, and when (table ``committee_audit``).

Every view of a review page, note, vote and re-solve is one row, written by :func:`record`. The detail is
plain JSON that says what was seen or changed (counts, pair ids, a note's text); it never holds a token.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from mentorflow.store import Store, committee_audit

NOTE_MAX = 2000  # characters of one note


def record(store: Store, cohort: str, round: str, actor: str, action: str, detail: Mapping[str, Any] | None = None,
           *, at: dt.datetime | None = None, conn: sa.Connection | None = None) -> int:
    """Write one audit row and return its id. Pass ``conn`` to record inside the caller's transaction (a vote
    or a re-solve and its audit row commit together)."""
    row = {"cohort_id": cohort, "round": round, "actor": actor, "action": action,
           "detail_json": json.dumps(dict(detail or {}), sort_keys=True, default=str),
           "at": at or dt.datetime.now(dt.timezone.utc)}
    if conn is not None:
        return int(conn.execute(committee_audit.insert().values(**row)).inserted_primary_key[0])
    with store.begin() as own:
        return int(own.execute(committee_audit.insert().values(**row)).inserted_primary_key[0])


def trail(store: Store, cohort: str, round: str, limit: int = 200) -> list[dict[str, Any]]:
    """The round's audit rows, latest first (``detail`` decoded)."""
    stmt = (sa.select(committee_audit)
            .where(committee_audit.c.cohort_id == cohort, committee_audit.c.round == round)
            .order_by(committee_audit.c.at.desc(), committee_audit.c.entry_id.desc()).limit(limit))
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["detail"] = json.loads(row.pop("detail_json") or "{}")
    return rows


def notes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notes among audit entries (a note is an audit row with action ``note``), in the same order."""
    return [e for e in entries if e["action"] == "note"]


def describe(entry: Mapping[str, Any]) -> str:
    """One line for the page: what an entry did, from its detail."""
    detail = entry.get("detail") or {}
    if entry["action"] == "view":
        return f"viewed the review page ({detail.get('pairs', 0)} pairs, {detail.get('unmatched', 0)} unmatched)"
    if entry["action"] == "note":  # the retention stage replaces a note's detail by NOTE_PURGED
        return "added a note" + (" (its text was purged at retention)" if detail.get("purged") else "")
    said = ", ".join(f"{k}: {v}" for k, v in sorted(detail.items()))
    return f"{entry['action']}" + (f" ({said})" if said else "")
