"""A proposal as plain data and what changes between two of them: the committee sees who a re-solve
affects before it accepts it (decide only: no I/O)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

NEW_PARTNER, LOST_PARTNER, NOW_UNMATCHED, NEWLY_MATCHED = "new partner", "lost partner", "now unmatched", "newly matched"


@dataclass(frozen=True, order=True)
class Pair:
    mentor_id: str
    mentee_id: str
    score: float


@dataclass(frozen=True, order=True)
class Unplaced:
    employee_id: str
    role: str
    reason: str


@dataclass(frozen=True)
class Proposal:
    """One round's proposed pairs and unmatched people, sorted; ``result`` is the matcher's own output
    (what :func:`mentorflow.committee.resolve.accept` writes; ``None`` for a proposal read from the store)."""

    cohort: str
    round: str
    pairs: tuple[Pair, ...]
    unmatched: tuple[Unplaced, ...]
    names: Mapping[str, str] = field(default_factory=dict, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)
    result: Any = field(default=None, compare=False, repr=False)
    moment: Any = field(default=None, compare=False, repr=False)

    @property
    def objective(self) -> float:
        return round(sum(p.score for p in self.pairs), 4)

    def same_as(self, other: Proposal) -> bool:
        """Whether the two propose the same pairs (same scores) and leave the same people unmatched."""
        return self.fingerprint == other.fingerprint

    @property
    def fingerprint(self) -> str:
        """A short digest of the pairs (with scores) and of who is left unmatched, and why: equal exactly when
        :meth:`same_as` is true. The console carries it in a form to check that a re-solve it accepts is the one
        the reviewer saw."""
        pairs = sorted((x.mentor_id, x.mentee_id, f"{x.score:.4f}") for x in self.pairs)
        left = sorted((u.employee_id, u.reason) for u in self.unmatched)
        return hashlib.sha256(json.dumps([pairs, left]).encode()).hexdigest()[:20]


@dataclass(frozen=True, order=True)
class PairChange:
    mentor_id: str
    mentee_id: str
    score_before: float
    score_after: float

    @property
    def change(self) -> float:
        return round(self.score_after - self.score_before, 4)


@dataclass(frozen=True, order=True)
class PersonChange:
    """What a re-solve changes for one person in one role: ``change`` is one of new partner, lost partner,
    now unmatched, newly matched; ``gained``/``lost`` name the partners (ids)."""

    employee_id: str
    role: str
    name: str
    change: str
    gained: tuple[str, ...]
    lost: tuple[str, ...]


@dataclass(frozen=True)
class ProposalDiff:
    added: tuple[Pair, ...]
    removed: tuple[Pair, ...]
    kept: tuple[PairChange, ...]
    objective_before: float
    objective_after: float
    affected: tuple[PersonChange, ...]
    unmatched_before: tuple[str, ...]
    unmatched_after: tuple[str, ...]
    summary: str

    @property
    def objective_change(self) -> float:
        return round(self.objective_after - self.objective_before, 4)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "objective_change": self.objective_change,
                "kept": [{**asdict(k), "change": k.change} for k in self.kept]}


def partners(proposal: Proposal) -> dict[tuple[str, str], set[str]]:
    """(person, role) -> their partners in the proposal (role: mentor or mentee, as in the pair)."""
    out: dict[tuple[str, str], set[str]] = {}
    for p in proposal.pairs:
        out.setdefault((p.mentor_id, "mentor"), set()).add(p.mentee_id)
        out.setdefault((p.mentee_id, "mentee"), set()).add(p.mentor_id)
    return out


def person_changes(before: Proposal, after: Proposal) -> list[PersonChange]:
    old, new = partners(before), partners(after)
    names = {**before.names, **after.names}
    changes = []
    for who, role in sorted(set(old) | set(new)):
        had, has = old.get((who, role), set()), new.get((who, role), set())
        if had == has:
            continue
        gained, lost = tuple(sorted(has - had)), tuple(sorted(had - has))
        change = (NEWLY_MATCHED if not had else NOW_UNMATCHED if not has else NEW_PARTNER if gained else LOST_PARTNER)
        changes.append(PersonChange(who, role, names.get(who, who), change, gained, lost))
    return changes


def diff(before: Proposal, after: Proposal) -> ProposalDiff:
    """Pairs added, removed and kept (with their score change), the total score change, everyone affected
    and the unmatched before and after, in a fixed order, with a one-sentence summary."""
    old = {(p.mentor_id, p.mentee_id): p for p in before.pairs}
    new = {(p.mentor_id, p.mentee_id): p for p in after.pairs}
    added = tuple(sorted(new[k] for k in set(new) - set(old)))
    removed = tuple(sorted(old[k] for k in set(old) - set(new)))
    kept = tuple(sorted(PairChange(*k, old[k].score, new[k].score) for k in set(old) & set(new)))
    affected = tuple(person_changes(before, after))
    left_before = tuple(sorted({u.employee_id for u in before.unmatched}))
    left_after = tuple(sorted({u.employee_id for u in after.unmatched}))
    change = round(after.objective - before.objective, 4)
    people = len({c.employee_id for c in affected})
    summary = (f"{len(added)} pair{'s' * (len(added) != 1)} added, {len(removed)} removed, {len(kept)} kept; "
               f"total score {before.objective:.4f} → {after.objective:.4f} ({change:+.4f}); "
               f"{people} {'person' if people == 1 else 'people'} affected; "
               f"unmatched {len(left_before)} → {len(left_after)}.")
    return ProposalDiff(added, removed, kept, before.objective, after.objective, affected, left_before, left_after,
                        summary)
