"""Affinity matching in the committee's and HR's reports: counts only, under the disclosure rules.

A report may say how many people asked for a partner from their own network and how many got one, never
which network or who. The counts are cells like any other (:mod:`mentorflow.reports.disclosure`): those
who asked split into those who got such a partner and those who did not, so a small group on either side
is suppressed, and so is whatever would let a reader work it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mentorflow.matching import affinity
from mentorflow.reports.disclosure import Problem, publish

ASKED, GOT, MISSED = "affinity.asked", "affinity.got", "affinity.missed"


def raw(setting: Any, apps: Iterable[Mapping[str, Any]], pairs: Iterable[Mapping[str, Any]]) -> dict[str, int] | None:
    """The counts over the valid applications ``apps`` and the pairs (rows with mentor_id, mentee_id);
    None when the cohort does not use affinity matching."""
    valid = [a for a in apps if a.get("status") == "valid"]
    return affinity.counts(setting, valid, [(p["mentor_id"], p["mentee_id"]) for p in pairs])


def add_cells(p: Problem, counts: Mapping[str, int], within: str | None = None) -> None:
    """The three cells and their relations (``within``: a published count the askers are part of)."""
    asked = p.cell(ASKED, counts["asked"], parent=within)
    got = p.cell(GOT, counts["got"], parent=asked)
    # never printed, but a reader works it out from the other two: protected like a printed count
    missed = p.cell(MISSED, counts["asked"] - counts["got"], parent=asked)
    p.total(asked, [got, missed])
    p.at_most(got, asked)
    if within is not None:
        p.at_most(asked, within)


def view(pub, counts: Mapping[str, int] | None) -> dict[str, str] | None:
    """What a report prints: the two counts and the rate, each as the disclosure rules publish it."""
    if counts is None:
        return None
    return {"asked": pub.count(ASKED), "got": pub.count(GOT), "rate": pub.rate(GOT, ASKED)}


def published(counts: Mapping[str, int] | None) -> dict[str, str] | None:
    """The counts as a report of their own publishes them (the committee's report)."""
    if counts is None:
        return None
    p = Problem()
    add_cells(p, counts)
    return view(publish(p), counts)
