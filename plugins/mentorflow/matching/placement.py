"""Placement rules a cohort may add on who may pair, from the two people's roster rows.

Two hard rules, both off by default (``matching.rules`` in the cohort YAML):

- ``max_level_gap``: the two people's levels differ by at most this many (with ``min_level_gap`` a
  traditional cohort asks for a mentor one or two levels above, as mentor-match does with grades);
- ``forbid_same_department``: never two people of the same department (mentor-match's rule that mentor
  and mentee come from different organisations). A blank department is unknown, never the same as another.

They are one boolean mask over a block of pairs, like the other hard rules in
:mod:`mentorflow.matching.scoring`; when neither rule is on there is no mask at all, so a cohort that does not
use them pays nothing.
"""

from __future__ import annotations

import numpy as np


def max_level_gap(rules) -> int | None:
    return getattr(rules, "max_level_gap", None)


def forbid_same_department(rules) -> bool:
    return bool(getattr(rules, "forbid_same_department", False))


def placement_mask(pop, r: np.ndarray, c: np.ndarray, rules) -> np.ndarray | None:
    """Which (r[i], c[j]) pairs the placement rules allow; None when the cohort sets neither rule."""
    gap_limit, apart = max_level_gap(rules), forbid_same_department(rules)
    if gap_limit is None and not apart:
        return None
    ok = np.ones((len(r), len(c)), dtype=bool)
    if gap_limit is not None:
        ok &= np.abs(pop.level[c][None, :] - pop.level[r][:, None]) <= gap_limit
    if apart:
        blank = pop.department == ""
        ok &= ((pop.department_code[r][:, None] != pop.department_code[c][None, :])
               | blank[r][:, None] | blank[c][None, :])
    return ok


def placement_words(rules) -> str:
    """The placement rules in force, in words (the reason given to someone they leave unmatched)."""
    said = []
    if forbid_same_department(rules):
        said.append("in the same department")
    gap_limit = max_level_gap(rules)
    if gap_limit is not None:
        said.append(f"more than {gap_limit} level(s) apart")
    return " or ".join(said)


def placement_problem(rules, levels: tuple[float, float], departments: tuple[str, str]) -> str | None:
    """What one pair breaks of the placement rules (None: nothing), for the matches gate, which checks
    the proposal against the same rules as :func:`placement_mask` from the two people's roster rows."""
    gap_limit = max_level_gap(rules)
    if gap_limit is not None and abs(levels[0] - levels[1]) > gap_limit:
        return f"the partners' levels are {abs(levels[0] - levels[1]):g} apart, at most {gap_limit} (max_level_gap)"
    first, second = (str(d or "").strip() for d in departments)
    if forbid_same_department(rules) and first and first == second:
        return "both partners are in the same department (forbid_same_department)"
    return None
