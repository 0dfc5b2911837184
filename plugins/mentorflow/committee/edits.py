"""The committee's edits to a proposal (locks, forbids, swaps) checked before any solve: every problem
names the ids and the reason, so the console can say what to change (decide only: the caller loads)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mentorflow.committee.diff import Proposal
from mentorflow.matching import committee

PairIds = tuple[str, str]
MENTOR_ROLES, MENTEE_ROLES = ("mentor", "both"), ("mentee", "both")


class EditError(ValueError):
    """The edits cannot be applied; ``problems`` names each one (the ids and the reason)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class CommitteeEdits:
    """Pairs that must be made (``locks``), pairs that must not (``forbids``), and swaps: two proposed pairs
    exchange their mentees, that is two forbids (the old pairs) and two locks (the new ones)."""

    locks: tuple[PairIds, ...] = ()
    forbids: tuple[PairIds, ...] = ()
    swaps: tuple[tuple[PairIds, PairIds], ...] = ()

    @classmethod
    def from_text(cls, locks: str = "", forbids: str = "") -> CommitteeEdits:
        """The Airflow form's fields (``mentor_id:mentee_id;...``); a malformed item is an :class:`EditError`."""
        lock_pairs, bad = committee.parse_pairs(locks, "locks")
        forbid_pairs, bad_forbids = committee.parse_pairs(forbids, "forbids")
        if bad + bad_forbids:
            raise EditError(bad + bad_forbids)
        return cls(tuple(lock_pairs), tuple(forbid_pairs))

    def expanded(self) -> tuple[list[PairIds], list[PairIds]]:
        """(locks, forbids) with every swap spelled out."""
        locks, forbids = list(self.locks), list(self.forbids)
        for (m1, e1), (m2, e2) in self.swaps:
            forbids += [(m1, e1), (m2, e2)]
            locks += [(m1, e2), (m2, e1)]
        return locks, forbids

    def as_dict(self) -> dict[str, list]:
        return {"locks": [list(p) for p in self.locks], "forbids": [list(p) for p in self.forbids],
                "swaps": [[list(a), list(b)] for a, b in self.swaps]}


@dataclass(frozen=True)
class Rules:
    """What the static checks need to know of the cohort (loaded by the caller)."""

    roles: dict[str, str]  # valid applicants of eligible people -> mentor, mentee or both
    chains: dict[str, list[str]]  # each person's managers (empty when the reporting-line rule is off)
    former: set[PairIds]  # pairs that may not be made again (earlier cohorts; the midpoint: this cohort too)
    yaml_forbids: set[PairIds]
    symbiotic: bool
    per_mentee: int


def label(kind: str, pair: PairIds) -> str:
    return f"{kind} {pair[0]}:{pair[1]}"


def person_problems(pair: PairIds, rules: Rules) -> list[str]:
    mentor, mentee = pair
    mentor_roles = ("mentor", "mentee", "both") if rules.symbiotic else MENTOR_ROLES
    mentee_roles = ("mentor", "mentee", "both") if rules.symbiotic else MENTEE_ROLES
    out = []
    if rules.roles.get(mentor) not in mentor_roles:
        out.append(f"{mentor} is not a mentor of this cohort (no valid application as mentor)")
    if rules.roles.get(mentee) not in mentee_roles:
        out.append(f"{mentee} is not a mentee of this cohort (no valid application as mentee)")
    if mentor == mentee:
        out.append(f"{label('lock', pair)} pairs a person with themselves")
    return out


def rule_problems(pair: PairIds, rules: Rules) -> list[str]:
    """The hard rules a lock would break that can be named without revealing anyone's answers (the
    matcher's own check, run next, covers the rest in neutral words)."""
    mentor, mentee = pair
    broken = []
    if mentor in rules.chains.get(mentee, ()) or mentee in rules.chains.get(mentor, ()):
        broken.append("not in their reporting line")
    if pair in rules.former or pair[::-1] in rules.former:
        broken.append("never paired again (they were partners before)")
    if pair in rules.yaml_forbids or pair[::-1] in rules.yaml_forbids:
        broken.append("the cohort's forbidden pairs")
    return [f"{label('lock', pair)} breaks the rule '{why}'" for why in broken]


def check(edits: CommitteeEdits, before: Proposal, rules: Rules) -> tuple[list[PairIds], list[PairIds]]:
    """(locks, forbids) to solve with, or an :class:`EditError` listing every problem."""
    problems: list[str] = []
    proposed = {(p.mentor_id, p.mentee_id) for p in before.pairs}
    for a, b in edits.swaps:
        name = f"swap {a[0]}:{a[1]} with {b[0]}:{b[1]}"
        problems += [f"{name}: {p[0]}:{p[1]} is not a proposed pair" for p in (a, b) if p not in proposed]
        if a[0] == b[0] or a[1] == b[1]:
            problems.append(f"{name}: the two pairs must have different mentors and different mentees")
    locks, forbids = edits.expanded()
    for pair in unique(locks + forbids):
        problems += [p for p in person_problems(pair, rules) if p not in problems]
    forbidden = set(forbids)
    for pair in unique(locks):
        if pair in forbidden:
            problems.append(f"{label('lock', pair)} is also forbidden")
        problems += rule_problems(pair, rules)
    by_mentee: dict[str, list[str]] = {}
    for mentor, mentee in unique(locks):
        by_mentee.setdefault(mentee, []).append(mentor)
    for mentee, mentors in sorted(by_mentee.items()):
        if len(mentors) > rules.per_mentee:
            problems.append(f"{mentee} is locked to {', '.join(mentors)}: more mentors than the "
                            f"{rules.per_mentee} a mentee may have")
    if problems:
        raise EditError(problems)
    return unique(locks), unique(forbids)


def unique(pairs: Iterable[PairIds]) -> list[PairIds]:
    return list(dict.fromkeys(tuple(p) for p in pairs))


def unmet_locks(locks: list[PairIds], made: set[PairIds], notes: Iterable[str]) -> list[str]:
    """A problem for each lock the solve did not make, with the matcher's reason (or the data-quality gate's)."""
    notes = list(notes)
    problems = []
    for pair in locks:
        if pair in made:
            continue
        said = next((n.split(" not applied: ", 1)[1] for n in notes
                     if n.startswith(f"{label('lock', pair)} not applied: ")), None)
        problems.append(f"{label('lock', pair)} cannot be made: {said or 'the data-quality gate held the pair'}")
    return problems
