"""Coverage: what every applicant got, for the committee's and HR's reports (counts only, suppressed).

Every applicant (a valid application of the cohort, any role) is in exactly one outcome, the first that
applies in this order (:func:`classify`):

1. ``one_to_one``: in a one-to-one pair (round "initial" or "midpoint") that was approved, whether still
   running or over (approved, active, ended, completed), as mentor or mentee;
2. ``circle``: a seat in a mentoring circle (round "circle") or leading one, taken (active, ended, completed);
3. ``async``: written mentoring (round "async"), given or received, taken (active, ended, completed);
4. ``waitlist``: a waitlist row still waiting (waiting, or carried to the next cohort), unless the person's
   offer was answered "none";
5. ``nothing``: none of these (also everyone who chose none, and an offered circle or async place that was
   declined or never started).

How long the waitlisted waited (:func:`waits`): whole days from ``waiting_since`` to ``placed_at`` for those
placed, to the report's moment for those still waiting (or carried); median and longest, each shown only over
at least MIN_CELL people.

The committee sees the same applicants split two ways for the proposal it reviews (:func:`proposal_outcomes`):
who has a one-to-one partner once the proposal is approved (in a pair of the proposal, or in an approved or
active one-to-one pair, such as an initial pair kept at the midpoint) and who will be offered alternatives instead.

By department, level and location the outcomes are columns (:data:`COLUMNS`) and groups with few people are
counted together (:func:`merged`); :mod:`mentorflow.reports.coverage_view` turns the counts into cells of the
report's disclosure problem and the view a report prints. Decide functions take plain rows; :func:`load` is the
one loader.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mentorflow.cohorts import calendar
from mentorflow.contract.disclosure import MIN_CELL
from mentorflow.store import Store, applications, matches, offers, people, waitlist

OUTCOMES = ("one_to_one", "circle", "async", "waitlist", "nothing")
LABELS = {"one_to_one": "one-to-one partner", "circle": "mentoring circle", "async": "written (async) mentoring",
          "waitlist": "waitlist place", "nothing": "nothing"}
# by group, circles, async and the waitlist are one column: split five ways, nearly every group's count would be
# under MIN_CELL and the suppression that protects them would hide the table (and much of the fairness table)
COLUMNS = {"one_to_one": ("one_to_one",), "alternative": ("circle", "async", "waitlist"), "nothing": ("nothing",)}
COLUMN_LABELS = {"one_to_one": "one-to-one partner", "alternative": "circle, async or waitlist", "nothing": "nothing"}
PROPOSAL = ("one_to_one", "alternatives")
PROPOSAL_LABELS = {"one_to_one": "one-to-one partner", "alternatives": "offered alternatives"}
GROUPINGS = ("department", "level", "location")
ONE_TO_ONE_ROUNDS = ("initial", "midpoint")
PAIRED = ("approved", "active", "ended", "completed")
TAKEN = ("active", "ended", "completed")
LIVE = ("approved", "active")
WAITING = ("waiting", "carried")
WAITS = {"placed": "placed with a partner", "waiting": "still waiting", "all": "everyone waitlisted"}


@dataclass(frozen=True)
class Sources:
    """The rows coverage is decided from (plain dicts)."""

    applicants: list[dict[str, Any]]  # every application of the cohort: employee_id, role, status
    roster: dict[str, dict[str, Any]]  # people by employee_id
    pairs: list[dict[str, Any]]  # matches: round, status, mentor_id, mentee_id
    offers: list[dict[str, Any]]
    waitlist: list[dict[str, Any]]


def load(store: Store, cohort: str) -> Sources:
    return Sources(applicants=store.rows(applications, cohort_id=cohort),
                   roster={p["employee_id"]: p for p in store.rows(people, cohort_id=cohort)},
                   pairs=store.rows(matches, cohort_id=cohort), offers=store.rows(offers, cohort_id=cohort),
                   waitlist=store.rows(waitlist, cohort_id=cohort))


def report_moment(config) -> dt.datetime:
    """The HR report's moment when none is given: when the close-out calendar writes it."""
    return calendar.closeout_dates(config)["report"]


# -- decide -------------------------------------------------------------------------------------------------


def _members(pairs: Iterable[Mapping[str, Any]], rounds: tuple[str, ...], statuses: tuple[str, ...]) -> set[str]:
    return {person for m in pairs if m["round"] in rounds and m["status"] in statuses
            for person in (m["mentor_id"], m["mentee_id"])}


def classify(applicants: Iterable[str], pairs: Iterable[Mapping[str, Any]], offer_rows: Iterable[Mapping[str, Any]],
             waitlist_rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each applicant's one outcome (see the module's precedence)."""
    pairs = list(pairs)
    held = [(_members(pairs, ONE_TO_ONE_ROUNDS, PAIRED), "one_to_one"), (_members(pairs, ("circle",), TAKEN), "circle"),
            (_members(pairs, ("async",), TAKEN), "async")]
    declined = {o["employee_id"] for o in offer_rows if o.get("choice") == "none"}
    waiting = {w["employee_id"] for w in waitlist_rows if w["status"] in WAITING} - declined
    held.append((waiting, "waitlist"))
    return {a: next((outcome for members, outcome in held if a in members), "nothing") for a in applicants}


def proposal_outcomes(applicants: Iterable[str], proposal: Iterable[Mapping[str, Any]],
                      held: Iterable[Mapping[str, Any]] = ()) -> dict[str, str]:
    """For the committee: ``one_to_one`` for an applicant in a pair of the proposal or of ``held`` (the live
    one-to-one pairs outside the round under review), ``alternatives`` for everyone else."""
    partnered = {p for m in [*proposal, *held] for p in (m["mentor_id"], m["mentee_id"])}
    return {a: "one_to_one" if a in partnered else "alternatives" for a in applicants}


def label(value: Any) -> str | None:
    """A group's name as printed (a level 3.0 read through pandas is "3"); None for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def tally(outcomes: Mapping[str, str], roster: Mapping[str, Mapping[str, Any]], classes: tuple[str, ...] = OUTCOMES,
          columns: Mapping[str, tuple[str, ...]] = COLUMNS, applied: Iterable[str] = ()) -> dict[str, Any]:
    """Counts per outcome overall, and per department, level and location in ``columns`` (each a set of outcomes;
    groups sorted by name; a person without a value in a grouping is counted in the totals only). ``applied``: all
    who applied (valid or not), so that a group whose every application was invalid has its row (of zeros) and a
    group of few applications is merged (:func:`merged`) even when fewer of them were valid."""
    column_of = {c: col for col, members in columns.items() for c in members}
    everyone = set(applied) | set(outcomes)
    groups: dict[str, list[dict[str, Any]]] = {}
    for grouping in GROUPINGS:
        rows: dict[str, dict[str, Any]] = {}
        for person in sorted(everyone):
            name = label((roster.get(person) or {}).get(grouping))
            if name is not None:
                row = rows.setdefault(name, {"group": name, "applied": 0, "applicants": 0, **dict.fromkeys(columns, 0)})
                row["applied"] += 1
                if person in outcomes:
                    row["applicants"] += 1
                    row[column_of[outcomes[person]]] += 1
        groups[grouping] = [{k: v for k, v in r.items() if k != "applied"}
                            for r in merged([rows[k] for k in sorted(rows)], f"other {grouping}s")]
    total = {c: sum(1 for o in outcomes.values() if o == c) for c in classes}
    return {"applicants": len(outcomes), "total": total, "columns": {k: list(v) for k, v in columns.items()},
            "groups": groups}


def _small(row: Mapping[str, Any], keys: list[str]) -> list[str]:
    return [k for k in keys if 0 < row[k] < MIN_CELL]


def merged(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The groups as the reports print them: a group with 1 to MIN_CELL - 1 applications (valid or not), valid
    applicants, or of them in an outcome column, is counted in one row ``name`` together with every group like it, and with further groups (those with
    most people where that row is short, smallest first) until no count of the row is 1 to MIN_CELL - 1 or every
    group is in it (then no row at all: it would repeat the totals). Printed by group and outcome, such few would be cells no suppression can protect without
    hiding the fairness table, which already tells how many of a group applied and how many were matched."""
    if not rows:
        return rows
    keys = [k for k in rows[0] if k not in ("group", "members")]  # applied, applicants and the columns
    keep, merge = [r for r in rows if not _small(r, keys)], [r for r in rows if _small(r, keys)]
    if not merge:
        return rows

    def summed() -> dict[str, int]:
        return {k: sum(r[k] for r in merge) for k in keys}

    while keep and _small(summed(), keys):
        short = _small(summed(), keys)[0]
        nearest = min(keep, key=lambda r: (r[short] == 0, r["applicants"], r["group"]))
        keep.remove(nearest)
        merge.append(nearest)
    if not keep:  # one row of everyone repeats the totals: nothing to show by this grouping
        return []
    return [*keep, {"group": name, "members": sorted(r["group"] for r in merge), **summed()}]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def waits(waitlist_rows: Iterable[Mapping[str, Any]], moment: dt.datetime) -> dict[str, dict[str, Any]]:
    """Whole days waited: to ``placed_at`` for the placed, to ``moment`` for those still waiting; per group the
    number of people, the median and the longest (None for nobody). Rows of people who left are not counted."""
    days: dict[str, list[int]] = {"placed": [], "waiting": []}
    for w in waitlist_rows:
        if w["status"] == "placed" and w.get("placed_at") is not None:
            end, kind = w["placed_at"], "placed"
        elif w["status"] in WAITING:
            end, kind = moment, "waiting"
        else:
            continue
        days[kind].append(max(0, (_aware(end) - _aware(w["waiting_since"])).days))
    days["all"] = days["placed"] + days["waiting"]
    return {k: {"n": len(v), "median": statistics.median(v) if v else None, "max": max(v) if v else None}
            for k, v in days.items()}


def figures(store: Store, cohort: str, moment: dt.datetime) -> dict[str, Any]:
    """Load and decide: the outcome table and the waits of one cohort at ``moment``."""
    src = load(store, cohort)
    outcomes = classify([a["employee_id"] for a in src.applicants if a["status"] == "valid"], src.pairs, src.offers,
                        src.waitlist)
    return {**tally(outcomes, src.roster, applied=[a["employee_id"] for a in src.applicants]),
            "waits": waits(src.waitlist, moment)}


# -- the committee's view of a proposal -------------------------------------------------------------------


def held_pairs(store: Store, cohort: str) -> list[dict[str, Any]]:
    """The cohort's live one-to-one pairs already approved (at the midpoint: the initial pairs kept)."""
    return [m for m in store.rows(matches, cohort_id=cohort) if m["round"] in ONE_TO_ONE_ROUNDS
            and m["status"] in LIVE]
