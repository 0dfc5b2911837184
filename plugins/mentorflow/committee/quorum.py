"""Decide together: the committee's live votes of one round, counted against the quorum (pure).

Rules (docs/committee.md, "Deciding together"):
- **approved** when the approvals reach the quorum and outnumber the rejections;
- **rejected** when the rejections reach the quorum and are at least as many as the approvals, or when
  approval has become impossible (the approvals plus the named reviewers who have not voted yet stay below
  the quorum);
- **pending** otherwise.
Only named reviewers' votes count; with no named reviewers (``committee.reviewers`` empty) every voter
counts and, as nobody is outstanding, only the first two rules apply. A tie that reaches the quorum on both
sides rejects: a proposal is approved only by more approvals than rejections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

APPROVE, REJECT = "approve", "reject"
DECISIONS = (APPROVE, REJECT)
State = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True)
class Outcome:
    """The tally of one round: its state, why, and who voted what (reviewers sorted by name)."""

    state: State
    quorum: int
    approvals: tuple[str, ...]
    rejections: tuple[str, ...]
    outstanding: tuple[str, ...]      # named reviewers who have not voted
    ignored: tuple[str, ...]          # votes of people who are not (or no longer) reviewers
    reason: str

    @property
    def decided(self) -> bool:
        return self.state != "pending"


def tally(votes: Mapping[str, str], reviewers: Sequence[str], quorum: int) -> Outcome:
    """Count ``votes`` (reviewer -> approve | reject, each reviewer's live vote) against ``quorum``."""
    if quorum < 1:
        raise ValueError(f"quorum must be at least 1, got {quorum}")
    unknown = sorted({d for d in votes.values() if d not in DECISIONS})
    if unknown:
        raise ValueError(f"a vote is approve or reject, not {', '.join(map(repr, unknown))}")
    named = set(reviewers)
    counted = {who: d for who, d in votes.items() if not named or who in named}
    approvals = tuple(sorted(w for w, d in counted.items() if d == APPROVE))
    rejections = tuple(sorted(w for w, d in counted.items() if d == REJECT))
    outstanding = tuple(sorted(named - set(counted)))
    ignored = tuple(sorted(set(votes) - set(counted)))
    a, r = len(approvals), len(rejections)
    if a >= quorum and a > r:
        state, reason = "approved", f"{a} approvals reach the quorum of {quorum}"
    elif r >= quorum and r >= a:
        state, reason = "rejected", f"{r} rejections reach the quorum of {quorum}"
    elif named and a + len(outstanding) < quorum:
        state, reason = "rejected", (f"approval is out of reach: {a} approvals and {len(outstanding)} reviewers "
                                     f"left to vote cannot reach the quorum of {quorum}")
    else:
        state, reason = "pending", f"{a} of {quorum} approvals, {r} rejections, {len(outstanding)} still to vote"
    return Outcome(state, quorum, approvals, rejections, outstanding, ignored, reason)
