"""The generated answers behind the outcomes besides a one-to-one partner (:mod:`mentorflow.contract.outcome_answers`):
which mentors lead a mentoring circle, which give a written-mentoring budget and how large, and who agrees that a
group's other members see their name and email. Shares as seen in programs that ask; drawn from their own random
stream, so everything else a seed generates (:mod:`mentorflow.demo.synthetic`) stays as it was."""

from __future__ import annotations

import numpy as np

from mentorflow.contract.columns import FALSE_WORDS, MENTOR_ROLES, TRUE_WORDS

CIRCLE_SHARE = 0.25  # of mentors volunteer to lead a mentoring circle
ASYNC_SHARE = 0.30  # of mentors give a written-mentoring budget ...
ASYNC_BUDGETS = (2, 8)  # ... of this many questions a month (inclusive)
GROUP_CONSENT_SHARE = 0.80  # of applicants agree that a group's other members see their name and email


def answers(seed: int, roles: np.ndarray) -> list[dict[str, str]]:
    """Per applicant, ``circle_volunteer``, ``async_budget`` and ``group_consent`` as a CSV holds them: the two
    mentor offers only for mentors (blank for mentees), consent for everyone. Each share is met exactly (rounded)
    by drawing who, so a small cohort has its volunteers too."""
    draws = np.random.default_rng([seed, 17])
    n = len(roles)
    mentors = np.flatnonzero(np.isin(roles, MENTOR_ROLES))

    def chosen(among: np.ndarray, share: float) -> set[int]:
        return set(draws.permutation(among)[: round(share * len(among))].tolist())

    circle, give = chosen(mentors, CIRCLE_SHARE), chosen(mentors, ASYNC_SHARE)
    consent = chosen(np.arange(n), GROUP_CONSENT_SHARE)
    budget = draws.integers(ASYNC_BUDGETS[0], ASYNC_BUDGETS[1] + 1, n)
    is_mentor = set(mentors.tolist())
    return [{
        "circle_volunteer": (TRUE_WORDS[1] if k in circle else FALSE_WORDS[1]) if k in is_mentor else "",
        "async_budget": str(int(budget[k])) if k in give else "",
        "group_consent": TRUE_WORDS[1] if k in consent else FALSE_WORDS[1],
    } for k in range(n)]
