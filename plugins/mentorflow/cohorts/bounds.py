"""The ranges every cohort setting stays within (README's cohort file section lists them).

They keep one cohort's calendar small and its arithmetic finite: dates in a century, a cohort of at
most three years, at most 500 runs of any stage, durations between a second and a year. So a
broken or mistyped cohort file is refused with its field, its value and the allowed range, instead
of hanging or overflowing while its DAGs are built.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

CADENCE = re.compile(r"^(monthly|weekly|every (\d+) (minutes|hours|days))$")

FIRST_YEAR, LAST_YEAR = 2000, 2100        # every calendar date falls in these years
MAX_COHORT_DAYS = 1096                    # application_open to close_out: at most three years
MAX_RUNS_PER_STAGE = 500                  # intake checks; pulse surveys plus pulse reminders
MAX_CADENCE_DAYS = 365                    # pulse_cadence 'every N …': one minute to a year
MAX_LEVEL = 1000                          # roster levels in eligibility and quality settings
MAX_WEIGHT = 1000                         # matching and health weights (they are normalised)


def span(unit: Literal["days", "hours"], most: float) -> Any:
    """A duration setting in ``unit``: at least one second (a shorter one rounds to nothing), at most
    ``most`` (the models refuse inf and nan)."""
    least = 1 / {"days": 86400, "hours": 3600}[unit]

    def check(value: float) -> float:
        if not least <= value <= most:
            raise ValueError(f"{value:g} is out of range: must be between one second ({least:.2g} {unit}) and "
                             f"{most:g} {unit}")
        return value

    return Annotated[float, AfterValidator(check)]


Days = span("days", 365)                 # reminder_after_days, evaluation_days
IntakeHours = span("hours", 720)         # intake_check_every_hours (30 days)
CommitteeHours = span("hours", 2160)     # committee.timeout_hours (90 days)
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT)]
Level = Annotated[int, Field(ge=0, le=MAX_LEVEL)]


MENTORS_PER_MENTEE = ("traditional and reverse: up to this many mentors per mentee (1 to 3), each covering a "
                      "wanted skill none of the mentee's other mentors covers")


def mentors_per_mentee_fits(config: Any, several: int, program_type: str) -> Any:
    """``config`` when ``matching.rules.mentors_per_mentee`` suits the program type, else a ValueError: symbiotic
    and group programs pair each person once."""
    if several > 1 and program_type in ("symbiotic", "group"):
        raise ValueError(f"matching.rules.mentors_per_mentee is {several}, but a {program_type} program pairs each "
                         "person once (symbiotic: one partner each; group: one mentor per group): several mentors "
                         "per mentee are for traditional and reverse programs; set it to 1")
    return config


def show(value: str, limit: int = 40) -> str:
    """A setting's text value for a message, cut short."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def cadence_problem(value: str) -> str | None:
    """What is wrong with a ``pulse_cadence``, or None."""
    match = CADENCE.match(value)
    if not match:
        return f"must be 'monthly', 'weekly' or 'every N minutes|hours|days' (got {show(value)})"
    if match.group(2) is not None:
        amount, unit = match.group(2), match.group(3)
        per_day = {"minutes": 1440, "hours": 24, "days": 1}[unit]
        if len(amount) > 9 or not 1 <= int(amount) <= MAX_CADENCE_DAYS * per_day:
            return (f"{show(value)} is out of range: a period lasts one minute to {MAX_CADENCE_DAYS} days, "
                    f"so N must be between 1 and {MAX_CADENCE_DAYS * per_day} {unit}")
    return None
