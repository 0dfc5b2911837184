"""The self-selected pairs the match stage locks (``self_selection.enabled``): the cohort's requests a
mentor accepted and the close of the window kept (status ``accepted``; see :mod:`mentorflow.stages.selection`).

Its own module so that the match stage reads them without importing the selection stage (which builds
its input with the match stage's :func:`~mentorflow.stages.match.match_input`).
"""

from __future__ import annotations

from mentorflow.cohorts.config import CohortConfig
from mentorflow.matching import MatchResult
from mentorflow.store import Store, selection_requests

KEPT = "accepted"
CHOSEN = "chosen by the mentee and accepted by the mentor"
COMMITTEE_LOCK = "locked by the matching committee"


def chosen_pairs(config: CohortConfig, store: Store) -> list[tuple[str, str]]:
    """(mentor, mentee) of every kept request, first choices first; none when self-selection is off."""
    if not config.self_selection.enabled:
        return []
    rows = store.rows(selection_requests, cohort_id=config.cohort, status=KEPT)
    return [(r["mentor_id"], r["mentee_id"]) for r in sorted(rows, key=lambda r: (r["preference"], r["mentee_id"]))]


def mark_chosen(result: MatchResult, chosen: list[tuple[str, str]]) -> None:
    """A proposed pair the mentee chose and the mentor accepted says so (not "locked by the committee"), and
    the committee's notes count them."""
    if not chosen:
        return
    wanted = set(chosen)
    made = 0
    for i, mentor, mentee in zip(result.pairs.index, result.pairs["mentor_id"], result.pairs["mentee_id"]):
        if (mentor, mentee) in wanted:
            made += 1
            text = str(result.pairs.at[i, "explanation"])
            result.pairs.at[i, "explanation"] = CHOSEN + text.removeprefix(COMMITTEE_LOCK)
    result.notes.append(f"{made} pair{'s' if made != 1 else ''} chosen by the mentee and accepted by the mentor "
                        f"(self-selection){'' if made == len(chosen) else f'; {len(chosen) - made} could not be kept'}")
