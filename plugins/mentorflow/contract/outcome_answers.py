"""The application answers behind the outcomes other than a one-to-one partner: a mentor who will lead a
mentoring circle (``circle_volunteer``), a mentor's written-mentoring budget (``async_budget``, questions a
month) and everyone's consent that the other members of a group or circle see their name and email
(``group_consent``).

:func:`stored` is applied wherever an application is written (the forms, the CSV intake), so every reader
finds the same thing: booleans that are true only for an explicit yes, and the two mentor answers kept only
for an applicant who mentors (a mentee's tick is not an offer anyone can use). The budget's range is the
contract's (:data:`~mentorflow.contract.columns.ASYNC_BUDGET`); the applications gate holds a stored value
outside it, the form refuses one.

Plain data on the standard library only: it is read at DAG parse time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mentorflow.contract.columns import MENTOR_ROLES, TRUE

CIRCLE = "circle_volunteer"
BUDGET = "async_budget"
GROUP_CONSENT = "group_consent"
COLUMNS: tuple[str, ...] = (CIRCLE, BUDGET, GROUP_CONSENT)
FLAGS: tuple[str, ...] = (CIRCLE, GROUP_CONSENT)  # true/false answers (the intake gate checks their words)


def flag(value: Any) -> bool:
    """A yes/no answer: true only for ``True`` or one of the contract's true words."""
    if isinstance(value, bool):
        return value
    return value is not None and str(value).strip().lower() in TRUE


def budget(value: Any) -> int | None:
    """The budget as stored: a whole number (range checks are the gate's and the form's) or None for blank."""
    if value is None or isinstance(value, bool) or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    try:
        number = float(value)
        return int(number) if number == int(number) else None
    except (TypeError, ValueError, OverflowError):  # no number, or an infinite one: the gates say so
        return None


def stored(row: Mapping[str, Any]) -> dict[str, Any]:
    """The three answers as an application row keeps them. A mentor's circle and budget are kept only when
    the applicant mentors (role ``mentor`` or ``both``); group consent is everyone's, false unless given."""
    mentors = str(row.get("role") or "").strip().lower() in MENTOR_ROLES
    return {
        CIRCLE: flag(row.get(CIRCLE)) if mentors else False,
        BUDGET: budget(row.get(BUDGET)) if mentors else None,
        GROUP_CONSENT: flag(row.get(GROUP_CONSENT)),
    }
