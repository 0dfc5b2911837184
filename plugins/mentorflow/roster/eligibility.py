"""Who may take part in a cohort, and why not: a pure function over the roster."""

from __future__ import annotations

import datetime as dt

import pandas as pd

# The reason stored for a roster row the roster gate held: the row is kept in ``people`` only for who the
# person is and who their manager is, so that no reporting line through them is lost (never eligible).
HELD_BY_GATE = "roster row held by the data-quality gate"
REASON_LENGTH = 200  # people.eligibility_reason


def assess(people: pd.DataFrame, rules, today: dt.date) -> pd.DataFrame:
    """Add ``eligible`` and ``eligibility_reason`` columns following the cohort's rules.

    The first failing rule is the reason; the order puts the most actionable one first.
    """
    out = people.copy()
    reason = pd.Series("", index=out.index, dtype=object)

    def flag(mask: pd.Series, why: str) -> None:
        reason[(reason == "") & mask.fillna(False).astype(bool)] = why

    if rules.exclude_pip:
        flag(out["on_pip"].astype(bool), "on a performance improvement plan")
    hire = pd.to_datetime(out["hire_date"], errors="coerce")
    tenure = (pd.Timestamp(today) - hire).dt.days
    flag(tenure < rules.min_tenure_days, f"fewer than {rules.min_tenure_days} days in the company")
    if rules.departments:
        flag(~out["department"].isin(rules.departments), "department not in this cohort")
    if rules.min_level is not None:
        flag(out["level"] < rules.min_level, f"level below {rules.min_level}")
    if rules.max_level is not None:
        flag(out["level"] > rules.max_level, f"level above {rules.max_level}")
    out["eligible"] = reason == ""
    out["eligibility_reason"] = reason.where(reason != "", None)
    return out


def held_back(rows: pd.DataFrame) -> pd.DataFrame:
    """Roster rows the roster gate held (column ``held_by``: the checks that held them), as ``people``
    rows that are never eligible; the reason names the checks. Once ops release a row, the next import
    stores it like any other and assesses it."""
    out = rows.drop(columns="held_by")
    out["eligible"] = False
    out["eligibility_reason"] = [f"{HELD_BY_GATE} ({checks})"[:REASON_LENGTH] for checks in rows["held_by"]]
    return out


def admitted(people: pd.DataFrame) -> pd.Series:
    """Which ``people`` rows passed the roster gate (the others are kept only for their reporting line)."""
    return ~people["eligibility_reason"].fillna("").astype(str).str.startswith(HELD_BY_GATE)


def reporting_chain(people: pd.DataFrame) -> dict[str, list[str]]:
    """Each person's managers up to the top (cycles stop the walk instead of looping).

    Give it every roster row the store has, eligible or not and held by the roster gate or not: a walk
    over fewer rows stops at the first manager missing from them and loses the managers above."""
    manager = dict(zip(people["employee_id"], people["manager_id"]))
    chains: dict[str, list[str]] = {}
    for person in manager:
        chain, seen, current = [], {person}, manager.get(person)
        while current and current not in seen:
            chain.append(current)
            seen.add(current)
            current = manager.get(current)
        chains[person] = chain
    return chains


def management_cycles(people: pd.DataFrame) -> list[list[str]]:
    """Every cycle in the manager links (each reported once, starting at its smallest id)."""
    manager = dict(zip(people["employee_id"], people["manager_id"]))
    cycles, done = [], set()
    for start in manager:
        path, index, current = [], {}, start
        while current and current in manager and current not in done and current not in index:
            index[current] = len(path)
            path.append(current)
            current = manager[current]
        if current in index:
            cycle = path[index[current]:]
            first = cycle.index(min(cycle))
            cycles.append(cycle[first:] + cycle[:first])
        done.update(path)
    return cycles
