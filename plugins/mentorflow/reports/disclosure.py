"""Which counts of a report may be published: primary and complementary suppression, and the audit.

The forms and emails promise that HR only ever sees totals of groups of :data:`MIN_CELL` or more
people. A report is a set of *cells* (every count it prints, and every count behind a percentage
it prints) and the linear *relations* a reader can set up between them: the departments, levels and
locations add up to the same totals as the funnel; the health states of a period add up to the pairs
assessed; the effectiveness bands add up to the mentors rated; a rate is its numerator over its
denominator. This module decides which cells are suppressed:

- **Primary**: a count of 1 to ``MIN_CELL - 1``. A 0 counts nobody and is published, unless it is part
  of a group that is itself 1 to ``MIN_CELL - 1`` people (its *parent*: "matched" at a level where
  three applied): then it tells what happened to those few, and is suppressed like them.
- **Complementary**: further cells, smallest first, until every suppressed cell is protected.
- **Protection rule**: take every assignment of whole numbers >= 0 to the suppressed cells that agrees
  with everything published under every relation (each relation the report's structure implies or a
  reader may guess, kept whenever these figures satisfy it). For each suppressed cell, its smallest
  value ``lo`` and largest value ``hi`` must satisfy ``hi >= MIN_CELL`` (it could be a group of
  ``MIN_CELL`` or more) and ``hi - lo >= MIN_CELL`` (it cannot be narrowed to fewer than
  ``MIN_CELL + 1`` values). ``lo`` and ``hi`` are exact integer optima (HiGHS through
  :func:`scipy.optimize.linprog` with integrality), not an LP relaxation.
- **Derived numbers**: a rate is shown only when its numerator and denominator are both published; a
  mean only when the count it is taken over is published and at least ``MIN_CELL``.

A reader who does not know which cells are primary sees one marker, :data:`SUPPRESSED`, for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mentorflow.contract.disclosure import MIN_CELL

SUPPRESSED = "suppressed"
INF = float("inf")


@dataclass
class Problem:
    """The cells of one report and the homogeneous linear relations between them
    (``sum(coefficient * cell) == 0`` or ``<= 0``)."""

    values: dict[str, int] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    equalities: list[dict[str, int]] = field(default_factory=list)
    inequalities: list[dict[str, int]] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)  # never printed: unknown to a reader, nothing to protect
    public: set[str] = field(default_factory=set)  # known to the reader anyway: never suppressed

    def cell(self, key: str, value: int, parent: str | None = None, *, hidden: bool = False,
             public: bool = False) -> str:
        self.values[key] = int(value)
        if parent is not None:
            self.parents[key] = parent
        if hidden:
            self.hidden.add(key)
        if public:
            self.public.add(key)
        return key

    def total(self, total: str, parts: list[str]) -> None:
        """``total`` is the sum of ``parts`` (and, which may hold when that does not, at least their sum)."""
        terms = _terms(parts, total)
        self._relation(terms, "=")
        self._relation(terms, "<=")

    def equal(self, a: str, b: str) -> None:
        self._relation(_terms([a], b), "=")

    def at_most(self, small: str, big: str) -> None:
        self._relation(_terms([small], big), "<=")

    def _relation(self, terms: dict[str, int], sense: str) -> None:
        """Kept when these figures satisfy it: a reader who guesses a relation right knows as much as one who
        was told, and a wrong guess teaches nothing."""
        if any(k not in self.values for k in terms):
            raise KeyError(f"relation over unknown cells: {sorted(k for k in terms if k not in self.values)}")
        level = sum(c * self.values[k] for k, c in terms.items())
        if level == 0 if sense == "=" else level <= 0:
            (self.equalities if sense == "=" else self.inequalities).append(terms)

    def primary(self) -> set[str]:
        small = {k for k, v in self.values.items() if 0 < v < MIN_CELL}
        zeros = {k for k, v in self.values.items()
                 if v == 0 and 0 < self.values.get(self.parents.get(k, ""), 0) < MIN_CELL}
        return (small | zeros) - self.hidden - self.public


def _terms(parts: list[str], total: str) -> dict[str, int]:
    terms: dict[str, int] = {}
    for p in parts:
        terms[p] = terms.get(p, 0) + 1
    terms[total] = terms.get(total, 0) - 1
    return terms


def _system(problem: Problem, hidden: list[str]):
    """The relations over the suppressed cells ``hidden``, published cells moved to the right-hand side."""
    index = {k: i for i, k in enumerate(hidden)}

    def rows(relations):
        a, b = [], []
        for terms in relations:
            if any(k in index for k in terms):
                row = np.zeros(len(hidden))
                for k, c in terms.items():
                    if k in index:
                        row[index[k]] += c
                a.append(row)
                b.append(-sum(c * problem.values[k] for k, c in terms.items() if k not in index))
        return (np.array(a), np.array(b)) if a else (None, None)

    return index, rows(problem.equalities), rows(problem.inequalities)


def component(problem: Problem, suppressed: set[str], cell: str) -> set[str]:
    """The suppressed cells linked to ``cell`` through relations over suppressed cells: the only unknowns
    its range depends on."""
    relations = [[k for k in terms if k in suppressed] for terms in problem.equalities + problem.inequalities]
    found, grown = {cell}, True
    while grown:
        grown = False
        for linked in relations:
            if not found.isdisjoint(linked) and not found.issuperset(linked):
                found.update(linked)
                grown = True
    return found


def ranges(problem: Problem, suppressed: set[str], cells: list[str] | None = None, *,
           stop_below: float | None = None) -> dict[str, tuple[float, float]]:
    """The smallest and largest whole value of each suppressed cell (default: all of them) under everything
    published; ``inf`` when a reader cannot bound it. With ``stop_below``, a cell whose largest value is under
    it gets (largest, largest) without solving for the smallest."""
    out = {}
    for key in cells if cells is not None else sorted(suppressed):
        hidden = sorted(component(problem, suppressed, key))
        system = _system(problem, hidden)
        top = _solve(system, key, -1)
        if top.status == 0:
            hi = round(-top.fun)
        elif top.status in (2, 3, 4) and _solve(system, key, 0).status == 0:
            hi = INF  # feasible (the true figures are a solution) but not bounded above
        else:
            raise RuntimeError(f"disclosure audit could not bound {key}: {top.message}")
        if stop_below is not None and hi < stop_below:
            out[key] = (hi, hi)
            continue
        low = _solve(system, key, 1)
        if low.status != 0:
            raise RuntimeError(f"disclosure audit could not bound {key}: {low.message}")
        out[key] = (round(low.fun), hi)
    return out


def _solve(system, key: str, sign: int):
    """Minimise ``sign * key`` over whole numbers >= 0 (HiGHS branch and bound). ``scipy.optimize`` is imported
    here, not with the module: its import costs ~0.5 s and a report with nothing to suppress never solves."""
    from scipy.optimize import linprog

    index, (a_eq, b_eq), (a_ub, b_ub) = system
    c = np.zeros(len(index))
    c[index[key]] = sign
    return linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), integrality=np.ones(len(index)),
                   method="highs")


def protected(lo: float, hi: float) -> bool:
    return hi >= MIN_CELL and hi - lo >= MIN_CELL


def unprotected(problem: Problem, suppressed: set[str]) -> list[str]:
    """The suppressed cells the protection rule fails for, in key order (the audit)."""
    return [k for k, (lo, hi) in ranges(problem, set(suppressed)).items()
            if k not in problem.hidden and not protected(lo, hi)]


def _safe(problem: Problem, suppressed: set[str], cell: str) -> tuple[float, float, bool]:
    lo, hi = ranges(problem, suppressed, [cell], stop_below=MIN_CELL)[cell]
    return lo, hi, protected(lo, hi)


def protect(problem: Problem) -> frozenset[str]:
    """Primary suppression, then greedy complementary suppression until every suppressed cell is protected.

    For an unprotected cell, the cheapest published cell (smallest count) sharing a relation with it that
    protects it is suppressed too; when no single cell does, the one that widens it most, and again. A
    cell once protected stays protected (suppressing more only frees the unknowns), so each cell is
    checked when it is suppressed and never again. Should the relations alone pin a cell, everything ends
    up suppressed."""
    pending = sorted(problem.primary())
    suppressed = set(pending) | problem.hidden
    while pending:
        cell = pending.pop(0)
        while len(suppressed | problem.public) < len(problem.values) and not _safe(problem, suppressed, cell)[2]:
            extra = _complement(problem, suppressed, cell)
            suppressed.add(extra)
            pending.append(extra)
    return frozenset(suppressed)


def _complement(problem: Problem, suppressed: set[str], cell: str) -> str:
    """The next cell to suppress for ``cell``: a published cell sharing a relation with it, else with the
    suppressed cells its range depends on (no other cell can change it); the cheapest that protects it,
    else the one that widens it most, else the cheapest."""
    lo, hi, _ = _safe(problem, suppressed, cell)
    relations = problem.equalities + problem.inequalities
    linked = component(problem, suppressed, cell)
    near = {k for terms in relations if cell in terms for k in terms} - suppressed - problem.public
    around = {k for terms in relations if not linked.isdisjoint(terms) for k in terms} - suppressed - near
    around -= problem.public
    best, best_width = None, (hi - lo, hi)
    for pool in (near, around):
        for candidate in sorted(pool, key=lambda k: (problem.values[k], k)):
            lo, hi, safe = _safe(problem, suppressed | {candidate}, cell)
            if safe:
                return candidate
            if (hi - lo, hi) > best_width:
                best, best_width = candidate, (hi - lo, hi)
        if best is not None:
            return best
    return min((near | around) or set(problem.values) - suppressed - problem.public,
               key=lambda k: (problem.values[k], k))


@dataclass(frozen=True)
class Publication:
    """A problem with its suppression decided: the texts a report may print."""

    problem: Problem
    suppressed: frozenset[str]

    def published(self, key: str) -> bool:
        return key not in self.suppressed

    def count(self, key: str) -> str:
        return SUPPRESSED if key in self.suppressed else str(self.problem.values[key])

    def value(self, key: str) -> int | None:
        return None if key in self.suppressed else self.problem.values[key]

    def rate(self, part: str, whole: str) -> str:
        n, d = self.value(part), self.value(whole)
        return f"{100 * n / d:.0f}%" if n is not None and d else SUPPRESSED

    def mean(self, value: float | None, n: str, fmt: str = "{:.2f}") -> str:
        size = self.value(n)
        return fmt.format(value) if value is not None and size is not None and size >= MIN_CELL else SUPPRESSED


def publish(problem: Problem) -> Publication:
    return Publication(problem, protect(problem))


def coarsened(counts: list[int], edges: list[str]) -> list[tuple[str, int]]:
    """Adjacent bins of a histogram (``edges``: one more than ``counts``) merged until every bar counts 0 or
    at least MIN_CELL; a bar is labelled with its lower edge, a merged one with its range ("0.3-0.6").
    Empty when the whole histogram holds fewer than MIN_CELL."""
    if sum(counts) < MIN_CELL:
        return []
    merged: list[list] = []
    start, acc = 0, 0
    for i, n in enumerate(counts):
        acc += n
        if acc == 0 or acc >= MIN_CELL:
            merged.append([start, i, acc])
            start, acc = i + 1, 0
    if acc:
        while merged and merged[-1][2] == 0:
            merged.pop()
        merged[-1][1], merged[-1][2] = len(counts) - 1, merged[-1][2] + acc
    return [(edges[a] if a == b else f"{edges[a]}-{edges[b + 1]}", n) for a, b, n in merged]
