"""What the matching engine takes and gives back (the interface the pipeline and the CLI use)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept light: the DAG factory imports this package at parse time
    import datetime as dt

    import pandas as pd

DEFAULT_TOP_K = 15  # candidates per mentee for a round the PuLP model solves (side constraints) or a large plain one
SPARSE_TOP_K = 30  # for the plain assignment, solved exactly on the sparse graph (docs/matching.md, Scale)
# above this many candidate pairs the plain assignment goes to HiGHS (the LP from arrays) on DEFAULT_TOP_K
# candidates: measured, the sparse solve took 2.9 s CPU on 294,030 pairs (4x faster than CBC) and 138 s on
# 1,561,170 (CBC: 52 s on half as many; HiGHS from arrays: ×0.29 of PuLP + CBC on the 121,500-person company's
# 780,585); the curves cross near 800,000 pairs (docs/performance.md, targets 4 and 5)
SPARSE_MAX_PAIRS = 800_000
COMPONENTS: tuple[str, ...] = ("skills", "goals", "personality", "preferences", "availability", "diversity")


@dataclass
class MatchInput:
    program_type: str
    rules: object  # config.MatchingRules
    people: pd.DataFrame  # eligible roster rows
    applications: pd.DataFrame  # valid applications of eligible people
    previous_pairs: set[tuple[str, str]] = field(default_factory=set)
    fixed_pairs: list[tuple[str, str]] = field(default_factory=list)  # stay as they are (midpoint)
    forbidden_pairs: set[tuple[str, str]] = field(default_factory=set)
    locked_pairs: list[tuple[str, str]] = field(default_factory=list)
    weights: object | None = None  # config.Weights; None means the defaults
    # The whole roster, so that a reporting line through an ineligible manager still counts;
    # None means ``people``.
    roster: pd.DataFrame | None = None
    # The run's moment (CohortRun.moment): timezone offsets, and so the working-hours overlap, are
    # taken at it, so a retry, a clear or a backfill scores the same. None (tests, benchmarks): a
    # fixed instant (scoring.REFERENCE_MOMENT); matching never reads the wall clock.
    moment: dt.datetime | None = None
    # Only these look for a partner (the midpoint: the people it freed); every pair proposed gives one of
    # them a partner. None: every applicant who wants a partner.
    seekers: set[str] | None = None
    # config.Affinity (matching.affinity): partners who share a consented network; None: off
    affinity: object | None = None
    # Mentor id -> completed pairs in earlier cohorts whose mentee rated them well: counts as experience
    # for a first-time mentee (matching.personality). Empty: no history.
    mentor_history: dict[str, int] = field(default_factory=dict)
    # People matched before everyone else, one phase per set in this order, each solved with the pairs of
    # the earlier phases fixed (the waitlist, longest-waiting first: matching.phases). Empty: one solve.
    priority: list[set[str]] = field(default_factory=list)


@dataclass
class MatchResult:
    pairs: pd.DataFrame  # mentor_id, mentee_id, score, explanation, and one column per score component
    unmatched: pd.DataFrame  # employee_id, role, reason
    notes: list[str] = field(default_factory=list)  # committee locks that could not be honoured, and why
    stats: dict = field(default_factory=dict)  # objective, candidate counts, optimality gap bound, timings
