"""The matching committee's answer in the Airflow human-in-the-loop step, read as plain data.

The review task offers :data:`OPTIONS` with two text fields, ``locks`` and ``forbids``, each
``mentor_id:mentee_id`` pairs joined by ``;``. Its XCom is the HITL payload
(``{"chosen_options": [...], "params_input": {...}, ...}``); a task marked successful without a
response (``dag.test(mark_success_pattern=...)``, or an operator clicking "mark success") has no
XCom and counts as Approve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

APPROVE, REJECT, RESOLVE = "Approve", "Reject", "Re-solve"
OPTIONS = [APPROVE, REJECT, RESOLVE]


def decision(response: Mapping[str, Any] | None) -> str:
    if not response:
        return APPROVE
    chosen = list(response.get("chosen_options") or [])
    if not chosen:
        return APPROVE
    if chosen[0] not in OPTIONS:
        raise ValueError(f"committee answer {chosen[0]!r} is not one of {', '.join(OPTIONS)}")
    return chosen[0]


def parse_pairs(text: str | None, field: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``'E1:E2; E3:E4'`` → pairs, and a problem (naming the field and item) for each bad item."""
    pairs, problems = [], []
    for number, item in enumerate((text or "").split(";"), 1):
        item = item.strip()
        if not item:
            continue
        mentor, sep, mentee = (part.strip() for part in item.partition(":"))
        if not sep or not mentor or not mentee:
            problems.append(f"{field}, item {number} {item!r}: expected mentor_id:mentee_id")
            continue
        pairs.append((mentor, mentee))
    return pairs, problems


def requested_changes(response: Mapping[str, Any] | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[str]]:
    """(locks, forbids, problems) from the committee's answer."""
    given = (response or {}).get("params_input") or {}
    locks, bad_locks = parse_pairs(given.get("locks"), "locks")
    forbids, bad_forbids = parse_pairs(given.get("forbids"), "forbids")
    return locks, forbids, bad_locks + bad_forbids
