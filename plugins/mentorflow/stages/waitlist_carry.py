"""Carrying the waitlist forward (docs/waitlist.md): at close-out the people still waiting move to the
next cohort of the same program type, are told once, and are matched first there.

- close-out (``stages.closeout.complete_pairs``): :func:`carry_waitlist` marks the cohort's waiting rows
  ``carried`` with ``carried_to`` = the next cohort (from the cohort files: same ``program_type``,
  application window opening after this cohort's kickoff, earliest first) or NULL when none is scheduled
  yet, sends ``waitlist_carried`` (ledger period ``closeout``) and, when the next cohort is known, picks
  the rows up into it at once;
- the next cohort's validate stage (``stages.validate``): :func:`pick_up` first, before the applications
  gate. It takes the rows carried to this cohort, and the rows carried with no cohort yet from an earlier
  cohort of the same program type whose kickoff was before this cohort's window opened (``carried_to``
  is then set). Each becomes a ``waiting`` row of this cohort (``waiting_since`` kept, ``carried_from``
  set); a person on this cohort's roster without an application here gets their old application copied
  (source ``carried``, status ``received``: the applications gate then checks it like any other).

Pick-up reads the carried rows from the next cohort's store: the default, one program store for every
cohort. A next cohort with a store of its own is written to by the close-out (which needs that store
upgraded); rows carried with no cohort yet are picked up only by a cohort sharing the store.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mentorflow.cohorts import calendar
from mentorflow.cohorts.config import CohortConfig
from mentorflow.cohorts.loader import load_cohorts
from mentorflow.messaging import OutgoingEmail
from mentorflow.stages.common import CohortRun, compose, people_index, send
from mentorflow.stages.waitlist import as_utc
from mentorflow.store import APPLICATION_FIELDS, Store, applications, cohorts, people, url_for, waitlist

CARRIED = "carried"


def opens(config: CohortConfig) -> dt.datetime:
    return calendar.window(config)[0]


def kickoff(config: CohortConfig) -> dt.datetime:
    return config.at(config.calendar.kickoff)


def follows(earlier: CohortConfig, later: CohortConfig) -> bool:
    """Whether ``later`` can take ``earlier``'s waitlist: same program type, window opening after its kickoff."""
    return (later.cohort != earlier.cohort and later.program_type == earlier.program_type
            and opens(later) > kickoff(earlier))


def next_cohort(config: CohortConfig, candidates: list[CohortConfig]) -> CohortConfig | None:
    """The next cohort of the same program type: window opening after this kickoff, earliest first (decide)."""
    later = [c for c in candidates if follows(config, c)]
    return min(later, key=lambda c: (opens(c), c.cohort)) if later else None


def carry_waitlist(run: CohortRun) -> dict[str, Any]:
    """Carry the people still waiting into the next cohort, tell each once, pick them up there when it is
    scheduled. Re-running carries nothing twice and sends nothing twice."""
    if not run.config.alternatives.carry_waitlist:
        return {"carried": 0, "note": "carry_waitlist is off: the waitlist ends with the cohort"}
    store, cohort = run.store, run.cohort
    if not store.count(waitlist, cohort_id=cohort, status="waiting") + store.count(waitlist, cohort_id=cohort,
                                                                                  status=CARRIED):
        return {"carried": 0}
    nxt = next_cohort(run.config, load_cohorts()[0])
    with store.begin() as conn:
        done = conn.execute(waitlist.update().where(waitlist.c.cohort_id == cohort, waitlist.c.status == "waiting")
                            .values(status=CARRIED, carried_to=nxt.cohort if nxt else None))
    carried = store.rows(waitlist, cohort_id=cohort, status=CARRIED)
    summary: dict[str, Any] = {"carried": done.rowcount, "carried_to": nxt.cohort if nxt else None}
    summary.update(send(run, carried_notices(run.config, carried, people_index(store, cohort), nxt)))
    if nxt is not None:
        summary["picked_up"] = pick_up(nxt, store_of(nxt, run), run.moment)
    return summary


def store_of(config: CohortConfig, run: CohortRun) -> Store:
    """The other cohort's store: this run's when they share it (the default)."""
    if url_for(config.store) == url_for(run.config.store):
        return run.store
    return Store.for_cohort(config)


def carried_notices(config: CohortConfig, rows: list[dict[str, Any]], everyone: dict[str, dict],
                    nxt: CohortConfig | None) -> list[OutgoingEmail]:
    """One ``waitlist_carried`` email per carried person (decide: no I/O); the ledger sends each once.
    The cohort named is the one decided when they were carried (``carried_to``)."""
    described = None
    if nxt is not None:
        described = {"name": nxt.name, "opens": calendar.describe(opens(nxt), nxt),
                     "kickoff": calendar.describe(kickoff(nxt), nxt)}
    return [compose(config, everyone[r["employee_id"]], "waitlist_carried", "closeout",
                    next=described if nxt is not None and r["carried_to"] == nxt.cohort else None,
                    waiting_since=calendar.describe(as_utc(r["waiting_since"]), config).split(",")[0])
            for r in sorted(rows, key=lambda r: r["employee_id"]) if r["employee_id"] in everyone]


def origins(store: Store, config: CohortConfig) -> set[str]:
    """Cohorts in the store whose waitlist, carried with no cohort yet, this cohort takes."""
    found = set()
    for row in store.rows(cohorts):
        same_type = row["cohort_id"] != config.cohort and row["program_type"] == config.program_type.value
        if same_type and follows(CohortConfig.model_validate_json(row["config_json"]), config):
            found.add(row["cohort_id"])
    return found


def pick_up(config: CohortConfig, store: Store, moment: dt.datetime) -> dict[str, int]:
    """The rows carried into ``config``'s cohort become its waiting rows, with old applications copied for
    people on its roster who have not applied (only until its window closes: later the applications gate
    has run). Idempotent: a person with a row here already is left as they are."""
    cohort = config.cohort
    pending = store.rows(waitlist, status=CARRIED, carried_to=cohort)
    unclaimed = [r for r in store.rows(waitlist, status=CARRIED) if r["carried_to"] is None]
    if unclaimed:
        taken = origins(store, config)
        pending += [r for r in unclaimed if r["cohort_id"] in taken]
    have = {r["employee_id"] for r in store.rows(waitlist, cohort_id=cohort)}
    rows, claimed, seen = [], [], set()
    for r in sorted(pending, key=lambda r: (as_utc(r["waiting_since"]), r["cohort_id"])):
        if r["carried_to"] is None:
            claimed.append(r)
        if r["employee_id"] in have | seen:
            continue
        seen.add(r["employee_id"])
        rows.append({"cohort_id": cohort, "employee_id": r["employee_id"], "role": r["role"], "status": "waiting",
                     "waiting_since": r["waiting_since"], "joined_at": moment, "carried_from": r["cohort_id"]})
    copies = copied_applications(config, store, rows, moment) if moment <= calendar.window(config)[1] else []
    with store.begin() as conn:
        for r in claimed:
            conn.execute(waitlist.update().where(waitlist.c.cohort_id == r["cohort_id"],
                                                 waitlist.c.employee_id == r["employee_id"],
                                                 waitlist.c.carried_to.is_(None)).values(carried_to=cohort))
        if rows:
            conn.execute(waitlist.insert(), rows)
        if copies:
            conn.execute(applications.insert(), copies)
    return {"waiting": len(rows), "applications_copied": len(copies)}


def copied_applications(config: CohortConfig, store: Store, rows: list[dict[str, Any]],
                        moment: dt.datetime) -> list[dict[str, Any]]:
    """Old applications of carried people on this cohort's roster who have not applied here (load + decide).
    Also for people carried in before: their row exists, their application may not yet."""
    carried = {r["employee_id"]: r["carried_from"] for r in rows}
    carried |= {r["employee_id"]: r["carried_from"] for r in store.rows(waitlist, cohort_id=config.cohort,
                                                                          status="waiting") if r["carried_from"]}
    if not carried:
        return []
    on_roster = {p["employee_id"] for p in store.rows(people, cohort_id=config.cohort)}
    applied = {a["employee_id"] for a in store.rows(applications, cohort_id=config.cohort)}
    wanted = sorted(set(carried) & on_roster - applied)
    # one read per cohort they come from (usually one), not one per person
    earlier = {(a["cohort_id"], a["employee_id"]): a for source in sorted({carried[e] for e in wanted})
               for a in store.rows(applications, cohort_id=source)}
    return [{**{f: old[f] for f in APPLICATION_FIELDS}, "cohort_id": config.cohort, "source": "carried",
             "status": "received", "submitted_at": moment}
            for employee_id in wanted if (old := earlier.get((carried[employee_id], employee_id)))]

