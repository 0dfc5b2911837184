"""How many mentees a mentor takes: the one rule the matcher and the matches gate both apply."""

from __future__ import annotations

import pandas as pd


def program_cap(program_type: str, rules) -> int:
    """The most mentees any one mentor of the program takes: ``rules.group_size`` in group programs,
    ``rules.max_mentees_per_mentor`` in the others."""
    return int(rules.group_size if program_type == "group" else rules.max_mentees_per_mentor)


def mentor_capacity(offered: pd.Series, program_type: str, rules) -> pd.Series:
    """Each mentor's capacity: the ``capacity`` they entered in their application (blank counts as 1),
    never more than the program's cap. The cap is an upper bound in every program type, ``group_size``
    included: a mentor who offered one mentee takes one."""
    wanted = pd.to_numeric(offered, errors="coerce").fillna(1)
    return wanted.clip(lower=1, upper=program_cap(program_type, rules)).astype("int64")
