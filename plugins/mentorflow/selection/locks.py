"""Which accepted requests become committee locks when the self-selection window closes (decide: no I/O).

A mentee accepted by more mentors than ``rules.mentors_per_mentee`` keeps their preferred ones; a mentor
never gets more locks than their capacity (checked again here, whatever the form let through). Pairs the
YAML already locks count first. Everything else that was accepted is *released*: the request stays on
record, the pair is not locked, and the optimizer is free to pair both people as it sees fit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Accepted:
    mentee_id: str
    mentor_id: str
    preference: int


def decide_locks(accepted: Iterable[Accepted], *, per_mentee: int, capacity: dict[str, int],
                 already: Iterable[tuple[str, str]] = ()) -> tuple[list[Accepted], list[Accepted]]:
    """(kept, released): requests are taken in preference order (every first choice before any second
    choice, ties by mentee id), each kept while its mentee has fewer than ``per_mentee`` locks and its
    mentor fewer than their ``capacity`` (a mentor missing from ``capacity`` has none). ``already``:
    (mentor, mentee) locks that count first."""
    mentees: Counter[str] = Counter()
    mentors: Counter[str] = Counter()
    for mentor, mentee in already:
        mentors[mentor] += 1
        mentees[mentee] += 1
    kept, released = [], []
    for row in sorted(accepted, key=lambda r: (r.preference, r.mentee_id, r.mentor_id)):
        if mentees[row.mentee_id] < per_mentee and mentors[row.mentor_id] < capacity.get(row.mentor_id, 0):
            mentees[row.mentee_id] += 1
            mentors[row.mentor_id] += 1
            kept.append(row)
        else:
            released.append(row)
    return kept, released
