"""Confidentiality that holds up: the disclosure rules on their own, checked by an independent integer
program (PuLP and CBC)."""

from __future__ import annotations

import random

import pytest

# -- the solver on its own: tables with margins, checked by an independent integer program --------------------


def _table_problem(cells: list[list[int]]):
    from mentorflow.reports.disclosure import Problem

    p = Problem()
    rows, cols = len(cells), len(cells[0])
    for i in range(rows):
        for j in range(cols):
            p.cell(f"c{i}.{j}", cells[i][j], parent=f"r{i}")
    for i in range(rows):
        p.cell(f"r{i}", sum(cells[i]))
    for j in range(cols):
        p.cell(f"k{j}", sum(cells[i][j] for i in range(rows)))
    p.cell("all", sum(map(sum, cells)))
    for i in range(rows):
        p.total(f"r{i}", [f"c{i}.{j}" for j in range(cols)])
    for j in range(cols):
        p.total(f"k{j}", [f"c{i}.{j}" for i in range(rows)])
    p.total("all", [f"r{i}" for i in range(rows)])
    p.total("all", [f"k{j}" for j in range(cols)])
    return p


def _pulp_ranges(p, suppressed) -> dict[str, tuple[float, float]]:
    import pulp

    out = {}
    for target in sorted(suppressed):
        bounds = []
        for sense in (pulp.LpMinimize, pulp.LpMaximize):
            prob = pulp.LpProblem("t", sense)
            x = {k: pulp.LpVariable(f"x{i}", lowBound=0, cat="Integer") for i, k in enumerate(sorted(suppressed))}
            for relations, equal in ((p.equalities, True), (p.inequalities, False)):
                for terms in relations:
                    expr = pulp.lpSum(c * (x[k] if k in x else p.values[k]) for k, c in terms.items())
                    prob += (expr == 0) if equal else (expr <= 0)
            prob += pulp.lpSum(x.values()) <= 10**6  # a finite stand-in for "unbounded"
            prob.setObjective(x[target])
            assert pulp.LpStatus[prob.solve(pulp.PULP_CBC_CMD(msg=0))] == "Optimal"
            bounds.append(round(pulp.value(x[target])))
        out[target] = tuple(bounds)
    return out


def test_primary_suppression_and_the_zero_rule():
    from mentorflow.reports.disclosure import Problem

    p = Problem()
    p.cell("level", 3)
    p.cell("matched", 0, parent="level")
    p.cell("elsewhere", 0, parent="big")
    p.cell("big", 40)
    p.cell("small", 4, parent="big")
    assert p.primary() == {"level", "matched", "small"}


def test_a_wrong_guess_is_not_a_relation():
    from mentorflow.reports.disclosure import Problem

    p = Problem()
    for k, v in {"a": 2, "b": 3, "total": 6}.items():
        p.cell(k, v)
    p.total("total", ["a", "b"])
    assert p.equalities == [] and p.inequalities == [{"a": 1, "b": 1, "total": -1}]


@pytest.mark.parametrize("seed", range(8))
def test_complementary_suppression_of_a_table_with_margins_leaves_every_cell_protected(seed):
    from mentorflow.reports.disclosure import MIN_CELL, protect, ranges

    rng = random.Random(seed)
    rows, cols = rng.randint(2, 5), rng.randint(2, 5)
    cells = [[rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 30]) for _ in range(cols)] for _ in range(rows)]
    p = _table_problem(cells)
    suppressed = protect(p)
    assert p.primary() <= suppressed
    independent = _pulp_ranges(p, suppressed)
    assert ranges(p, set(suppressed)) == {k: (lo, hi if hi < 10**6 - 10**5 else float("inf"))
                                          for k, (lo, hi) in independent.items()}
    for key, (lo, hi) in independent.items():
        assert hi >= MIN_CELL and hi - lo >= MIN_CELL, (key, lo, hi, cells)


def test_a_rate_or_mean_is_shown_only_over_published_parts():
    from mentorflow.reports.disclosure import SUPPRESSED, Problem, Publication

    p = Problem()
    for k, v in {"whole": 20, "part": 7, "small": 3, "none": 0}.items():
        p.cell(k, v)
    pub = Publication(p, frozenset({"small"}))
    assert (pub.rate("part", "whole"), pub.rate("small", "whole"), pub.rate("part", "none")) == ("35%", SUPPRESSED,
                                                                                             SUPPRESSED)
    assert (pub.mean(3.5, "whole"), pub.mean(3.5, "small"), pub.mean(None, "whole")) == ("3.50", SUPPRESSED, SUPPRESSED)


def test_histogram_bars_merge_until_none_is_small():
    from mentorflow.reports.disclosure import coarsened

    edges = ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"]
    assert coarsened([0, 2, 3, 9, 1], edges) == [("0.0", 0), ("0.1-0.3", 5), ("0.3-0.5", 10)]
    assert coarsened([1, 1, 1, 1, 0], edges) == []
    assert all(n == 0 or n >= 5 for _, n in coarsened([4, 0, 7, 1, 5], edges))
