"""The suite of the ``selection`` gate: a cohort's self-selection requests and acceptances before they
become committee locks (computed columns and the expectations over them; nothing here touches the store).

Every request is checked; a held row never becomes a lock and every good row is kept:

- ``selection.recommended``: the mentee requested a mentor who was recommended to them;
- ``selection.unique_preference``: no two of a mentee's requests share a preference (1st, 2nd …);
- ``selection.capacity``: an accepted request within the mentor's capacity (acceptances counted in
  preference order, so the request beyond the capacity is the one held);
- ``selection.hard_rules``: an accepted pair breaks no hard rule (the matches gate's relationship,
  placement and skills rules, read from the same ``MatchInput``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mentorflow.cohorts.config import CohortConfig
from mentorflow.quality.expectations import Spec
from mentorflow.quality.pair_suites import allowed_load, forbidden_problems, skills_rule_problems
from mentorflow.quality.reader import ROW
from mentorflow.quality.results import Batch
from mentorflow.quality.spec_helpers import null_spec

ACCEPTED = "accepted"


def _beyond_capacity(requests: pd.DataFrame, allowed: pd.Series) -> pd.Series:
    """Per accepted request, the words when it is beyond the mentor's capacity (None: within it)."""
    out = pd.Series([None] * len(requests), index=requests.index, dtype="object")
    accepted = requests[requests["status"] == ACCEPTED].sort_values(["preference", "mentee_id"], kind="stable")
    position = accepted.groupby("mentor_id").cumcount() + 1
    for i, mentor in zip(accepted.index, accepted["mentor_id"]):
        room = int(allowed.get(mentor, 0))
        if position[i] > room:
            out[i] = (f"mentor {mentor} accepted {int((accepted['mentor_id'] == mentor).sum())} requests, "
                      f"capacity {room}")
    return out


def selection_batch(requests: pd.DataFrame, recommended: set[tuple[str, str]], inp, config: CohortConfig) -> Batch:
    """``requests``: the cohort's ``selection_requests`` rows; ``recommended``: (mentee, mentor) pairs shown;
    ``inp``: the matcher's ``MatchInput`` (valid applications, roster, former pairs, forbids)."""
    out = requests.reset_index(drop=True).copy()
    out[ROW] = np.arange(len(out))
    out["request"] = out["mentee_id"] + " → " + out["mentor_id"]
    out["recommended"] = [(e, m) in recommended for e, m in zip(out["mentee_id"], out["mentor_id"])]
    out["preference_key"] = out["mentee_id"] + "#" + out["preference"].astype(str)
    out["beyond_capacity"] = _beyond_capacity(out, allowed_load(inp.applications, config))
    accepted = out["status"] == ACCEPTED
    pairs = out.loc[accepted, ["mentor_id", "mentee_id"]]
    broken = forbidden_problems(pairs, inp, config)
    skills = skills_rule_problems(pairs, inp.applications, config.program_type.value)
    out["breaks"] = pd.Series([None] * len(out), index=out.index, dtype="object")
    out.loc[accepted, "breaks"] = broken.where(broken.notna(), skills)
    specs = [
        Spec("selection.recommended", "ExpectColumnValuesToBeInSet", {"column": "recommended", "value_set": [True]},
             lambda r: f"{r['mentee_id']} requested {r['mentor_id']}, who was not recommended to them"),
        Spec("selection.unique_preference", "ExpectColumnValuesToBeUnique", {"column": "preference_key"},
             lambda r: f"{r['mentee_id']} gave preference {r['preference']} to more than one mentor"),
        null_spec("selection.capacity", "beyond_capacity", lambda r, c: f"{r['request']}: {r[c]}"),
        null_spec("selection.hard_rules", "breaks", lambda r, c: f"{r['request']}: {r[c]}"),
    ]
    return Batch("requests", out, specs, "request")
