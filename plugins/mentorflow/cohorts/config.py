"""Cohort configuration: one YAML file per cohort, validated by pydantic.

Errors name the file, the field and what is wrong, so an ops engineer can fix a
broken cohort without reading a traceback. Loading one broken file never stops
the other cohorts from loading (see :func:`load_cohorts`).

Every setting has a sane range (:mod:`mentorflow.cohorts.bounds`, documented in README's cohort
file section): the calendar's dates, durations and cadence are bounded so that no cohort can make
the DAG file hang or overflow, however wrong its file is.

Longer than 300 lines because every section of the cohort file is one model here, next to its ranges
and cross-field checks: the whole schema of the YAML reads in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mentorflow.cohorts import bounds
from mentorflow.cohorts.affinity import Affinity
from mentorflow.cohorts.personality import PersonalitySetting
from mentorflow.contract.checks import CHECKS, Severity

_COHORT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$")

class ProgramType(str, Enum):
    traditional = "traditional"
    reverse = "reverse"
    symbiotic = "symbiotic"
    group = "group"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Calendar(_Strict):
    """When each time-based stage happens, in the cohort's timezone (naive datetimes are local)."""

    application_open: dt.datetime
    application_close: dt.datetime
    kickoff: dt.datetime
    midpoint: dt.datetime
    close_out: dt.datetime
    pulse_cadence: str = Field("monthly", description="monthly | weekly | 'every N minutes|hours|days'")
    reminder_after_days: bounds.Days = Field(5, description="remind non-respondents after this many days")
    intake_check_every_hours: bounds.IntakeHours = Field(
        24, description="how often intake sends reminders and gap-fills")
    evaluation_days: bounds.Days = Field(
        14, description="the close-out evaluation stays open this long; non-respondents are reminded "
        "halfway, the HR report is built at the end")

    @field_validator("application_open", "application_close", "kickoff", "midpoint", "close_out")
    @classmethod
    def _in_years(cls, value: dt.datetime) -> dt.datetime:
        if not bounds.FIRST_YEAR <= value.year <= bounds.LAST_YEAR:
            raise ValueError(f"{value.isoformat()} is outside the years {bounds.FIRST_YEAR} to {bounds.LAST_YEAR}")
        return value

    @field_validator("pulse_cadence")
    @classmethod
    def _cadence(cls, value: str) -> str:
        problem = bounds.cadence_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Calendar:
        order = ["application_open", "application_close", "kickoff", "midpoint", "close_out"]
        with_offset = [name for name in order if getattr(self, name).tzinfo is not None]
        if with_offset and len(with_offset) < len(order):
            raise ValueError(f"{', '.join(with_offset)} {'has' if len(with_offset) == 1 else 'have'} a UTC offset "
                             "and the other dates do not: give every calendar date with an offset or none (then "
                             "they are in the cohort's timezone)")
        for earlier, later in zip(order, order[1:]):
            if getattr(self, later) <= getattr(self, earlier):
                raise ValueError(
                    f"{later} ({getattr(self, later).isoformat()}) must be after {earlier} "
                    f"({getattr(self, earlier).isoformat()})"
                )
        if self.close_out - self.application_open > dt.timedelta(days=bounds.MAX_COHORT_DAYS):
            raise ValueError(
                f"close_out ({self.close_out.isoformat()}) is {(self.close_out - self.application_open).days} days "
                f"after application_open ({self.application_open.isoformat()}): a cohort may last at most "
                f"{bounds.MAX_COHORT_DAYS} days (three years)")
        return self


class Weights(_Strict):
    """Relative weight of each score component; they need not sum to 1 (they are normalised)."""

    skills: bounds.Weight = 0.35
    goals: bounds.Weight = 0.2
    personality: bounds.Weight = 0.15
    preferences: bounds.Weight = 0.15
    availability: bounds.Weight = 0.1
    diversity: bounds.Weight = 0.05

    @model_validator(mode="after")
    def _positive(self) -> Weights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one weight must be positive")
        return self


class MatchingRules(_Strict):
    personality: PersonalitySetting = Field(
        None, description="similarity | complement for every trait, or {trait: similar|complement|ignore}; "
        "left out: the program type's defaults (cohorts/personality.py)")
    max_mentees_per_mentor: int = Field(2, ge=1, le=50)
    group_size: int = Field(4, ge=2, le=20, description="mentees per mentor in group programs")
    min_level_gap: int = Field(1, ge=0, le=bounds.MAX_LEVEL,
                               description="traditional: mentor at least this many levels above")
    max_level_gap: int | None = Field(None, ge=0, le=bounds.MAX_LEVEL,
                                      description="the two levels differ by at most this many (None: no limit)")
    forbid_same_department: bool = Field(False, description="never pair two people of the same department")
    forbid_reporting_line: bool = True
    forbid_repeat_pairs: bool = True
    min_score: float = Field(0.0, ge=0, le=1, description="pairs scoring below this are never proposed")
    fairness: Literal["none", "cover", "maxmin"] = Field(
        "none", description="cover: match as many mentees as possible first; maxmin: then raise the lowest score")
    top_k: int | None = Field(None, ge=1, le=500, description=(
        "candidate partners kept per mentee before solving (None: 30 for the plain assignment, 15 when a "
        "lock, fairness mode, several mentors or a symbiotic cohort needs the PuLP model; docs/matching.md)"))
    certify: Literal["auto", "always", "never"] = Field(
        "auto", description="bound what top_k pruning cost (auto: when the cohort is small enough; docs/matching.md)")
    mentors_per_mentee: int = Field(1, ge=1, le=3, description=bounds.MENTORS_PER_MENTEE)

    @model_validator(mode="after")
    def _gaps(self) -> MatchingRules:
        if self.max_level_gap is not None and self.max_level_gap < self.min_level_gap:
            raise ValueError(f"max_level_gap ({self.max_level_gap}) is below min_level_gap ({self.min_level_gap})")
        return self


class Matching(_Strict):
    weights: Weights = Weights()
    rules: MatchingRules = MatchingRules()
    locks: list[tuple[str, str]] = Field(default_factory=list, description="(mentor_id, mentee_id) that must pair")
    forbids: list[tuple[str, str]] = Field(default_factory=list, description="(mentor_id, mentee_id) never paired")
    affinity: Affinity = Affinity()  # asking for a partner who shares a network (mentorflow.cohorts.affinity)


class SelfSelection(_Strict):
    """Mentees choose before the optimizer runs (optional): each sees their best few mentors and requests
    some in order; each requested mentor accepts or declines; accepted requests become committee locks."""

    enabled: bool = False
    recommendations: int = Field(5, ge=1, le=20, description="mentors recommended to each mentee")
    requests: int = Field(3, ge=1, le=10, description="mentors a mentee may request, in order of preference")
    popularity_cap: int | None = Field(
        None, ge=1, le=10_000, description="most mentees one mentor is recommended to (None: enough to spread "
        "the requests: ceil(recommendations × mentees / mentors) + 1)")
    request_days: float | None = Field(
        None, gt=0, le=60, description="days after the window closes for mentees to request (None: 4 days, or 40% "
        "of the time from application_close to kickoff when that is shorter)")
    response_days: float | None = Field(
        None, gt=0, le=60, description="days after that for mentors to accept or decline (None: 3 days, or 30% of "
        "the time from application_close to kickoff when that is shorter)")


class Alternatives(_Strict):
    """What everyone without a one-to-one partner is offered after approval: a mentoring circle, async
    (written) mentoring, a waitlist place; an offer left unanswered keeps the waitlist place."""

    circles: bool = Field(True, description="offer mentoring circles (mentors who volunteered lead a group)")
    circle_min: int = Field(3, ge=2, le=20, description="fewest mentees in a circle")
    circle_max: int = Field(6, ge=2, le=30, description="most mentees in a circle")
    async_mentoring: bool = Field(True, description="offer written mentoring by mentors who gave a budget")
    waitlist: bool = Field(True, description="offer a waitlist place (freed capacity at the midpoint goes to it)")
    carry_waitlist: bool = Field(True, description="at close-out, carry the waitlist into the next cohort of the "
                                 "same program type, with priority")
    answer_days: float | None = Field(
        None, gt=0, le=60, description="days after kickoff to choose; unanswered keeps the waitlist place (None: 7 "
        "days, or half the time from kickoff to the midpoint when that is shorter)")

    @model_validator(mode="after")
    def _sizes(self) -> Alternatives:
        if self.circle_max < self.circle_min:
            raise ValueError(f"circle_max ({self.circle_max}) is below circle_min ({self.circle_min})")
        return self


class Eligibility(_Strict):
    exclude_pip: bool = True
    min_tenure_days: int = Field(90, ge=0, le=36500)
    departments: list[str] = Field(default_factory=list, description="empty means every department")
    min_level: bounds.Level | None = None
    max_level: bounds.Level | None = None

    @model_validator(mode="after")
    def _levels(self) -> Eligibility:
        if self.min_level is not None and self.max_level is not None and self.min_level > self.max_level:
            raise ValueError(f"min_level ({self.min_level}) is above max_level ({self.max_level})")
        return self


class Sender(_Strict):
    backend: Literal["outbox", "smtp", "sendgrid"] = "outbox"
    from_email: str = "mentoring@example.com"
    from_name: str = "Mentoring Program"
    conn_id: str | None = Field(None, description="Airflow connection for smtp/sendgrid")
    ops_email: str = "mentoring-ops@example.com"
    hr_email: str = "hr-reports@example.com"

    @field_validator("from_email", "ops_email", "hr_email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise ValueError(f"{value!r} is not an email address")
        return value


class HealthWeights(_Strict):
    satisfaction: bounds.Weight = 0.35
    goal_progress: bounds.Weight = 0.25
    follow_through: bounds.Weight = 0.2
    meetings: bounds.Weight = 0.2


class Health(_Strict):
    """Pair health: the formula's weights and the thresholds between states (see mentorflow.outcomes.health)."""

    weights: HealthWeights = HealthWeights()
    on_track_at: float = Field(0.6, ge=0, le=1, description="score at or above this is On track")
    at_risk_below: float = Field(0.4, ge=0, le=1, description="score below this is At risk")
    meetings_planned: int = Field(2, ge=1, le=100, description="meetings a pair is expected to hold per period")
    disagreement_points: int = Field(3, ge=1, le=4, description="satisfaction gap (1-5 scale) that counts as one-sided")
    disagreement_penalty: float = Field(0.15, ge=0, le=1)
    decline_drop: float = Field(0.25, ge=0, le=1, description="a drop this large since last period needs a check-in")
    silent_periods_at_risk: int = Field(2, ge=1, le=bounds.MAX_RUNS_PER_STAGE,
                                        description="consecutive periods without any answer that make a pair At risk")
    reminder_after_days: bounds.Days = Field(
        3, description="remind partners who have not answered the pulse")

    @model_validator(mode="after")
    def _ordered(self) -> Health:
        if self.at_risk_below > self.on_track_at:
            raise ValueError(f"at_risk_below ({self.at_risk_below}) must not exceed on_track_at ({self.on_track_at})")
        return self


class Committee(_Strict):
    review_mode: Literal["hitl", "auto"] = "hitl"
    reviewers: list[str] = Field(default_factory=list, description="Airflow user names allowed to respond")
    timeout_hours: bounds.CommitteeHours = Field(72, description="hours the committee has to answer")
    quorum: int | None = Field(None, ge=1, description="approvals (or rejections) that decide a round; default: a "
                               "majority of the reviewers, 1 when none are named")

    @model_validator(mode="after")
    def _quorum_fits(self) -> Committee:
        if self.quorum is not None and self.reviewers and self.quorum > len(set(self.reviewers)):
            raise ValueError(f"quorum is {self.quorum}, but only {len(set(self.reviewers))} reviewers are named: "
                             "the committee could never decide; name more reviewers or lower the quorum")
        if self.quorum is not None and self.quorum > 1 and not self.reviewers:
            raise ValueError(f"quorum is {self.quorum}, but no reviewers are named: name the reviewers "
                             "(committee.reviewers) whose votes count")
        return self

    @property
    def votes_needed(self) -> int:
        """The quorum in force: the one set, else a majority of the named reviewers (1 when none are named)."""
        if self.quorum is not None:
            return self.quorum
        return len(set(self.reviewers)) // 2 + 1 if self.reviewers else 1


class Hr(_Strict):
    viewers: list[str] = Field(default_factory=list, description="Airflow user ids who may open the cohort's HR "
                               "reports by link (admins always may)")


class Sources(_Strict):
    roster_csv: str = Field(..., description="HRIS export per the data contract (relative to the YAML file)")
    applications_csv: str | None = Field(None, description="applications collected elsewhere (optional)")
    closeout_roster_csv: str | None = Field(
        None, description="HRIS export at close-out with employment_status and last_promotion_date (optional)")


class Store(_Strict):
    url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite file in MENTORFLOW_HOME")
    conn_id: str | None = Field(None, description="Airflow connection id of a PostgreSQL program store")


class Quality(_Strict):
    """Data-quality gates: which expectation is hard (stops the stage) or soft (quarantines rows)."""

    severity: dict[str, Severity] = Field(default_factory=dict, description="expectation name -> hard | soft")
    level_range: tuple[bounds.Level, bounds.Level] = Field(
        (0, 20), description="lowest and highest roster level accepted")

    @field_validator("severity")
    @classmethod
    def _known(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        import difflib

        problems = []
        for name, severity in value.items():
            if name not in CHECKS:
                close = difflib.get_close_matches(name, list(CHECKS), n=1)
                problems.append(f"unknown expectation {name!r}" + (f" (did you mean {close[0]!r}?)" if close else
                                                                   " (see docs/quality.md for the names)"))
            elif CHECKS[name].fixed and severity != "hard":
                problems.append(f"{name!r} checks the whole file and is always hard")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("level_range")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError(f"the lowest level {value[0]} is above the highest {value[1]}")
        return value

    def severity_of(self, name: str) -> Severity:
        return self.severity.get(name, CHECKS[name].default)


class CohortConfig(_Strict):
    cohort: str = Field(..., description="cohort id: lower-case letters, digits and dashes")
    name: str = Field(..., min_length=3, max_length=200)
    program_type: ProgramType
    timezone: str = "UTC"
    calendar: Calendar
    matching: Matching = Matching()
    eligibility: Eligibility = Eligibility()
    sender: Sender = Sender()
    committee: Committee = Committee()
    hr: Hr = Hr()
    self_selection: SelfSelection = SelfSelection()
    alternatives: Alternatives = Alternatives()
    health: Health = Health()
    sources: Sources
    store: Store = Store()
    quality: Quality = Quality()
    forms_base_url: str = "http://127.0.0.1:8080/mentorflow"
    previous_cohorts: list[str] = Field(default_factory=list, description="cohorts whose pairs must not repeat")
    retention_days: int = Field(365, ge=1, le=3650, description="days after the HR report when free-text answers, "
                                "comments and the outbox are purged; aggregates and reports stay")

    source_path: Path | None = Field(None, exclude=True, description="set by the loader")

    @model_validator(mode="after")
    def _several_mentors(self) -> CohortConfig:
        return bounds.mentors_per_mentee_fits(self, self.matching.rules.mentors_per_mentee, self.program_type.value)

    @field_validator("cohort")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _COHORT_ID.match(value):
            raise ValueError("must be 3-50 lower-case letters, digits or dashes, not starting or ending with a dash")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, a name too long
            raise ValueError(f"{bounds.show(value)} is not an IANA timezone (e.g. 'Europe/Berlin')") from None
        return value

    # -- derived values -------------------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def at(self, moment: dt.datetime) -> dt.datetime:
        """A calendar datetime as an aware datetime in the cohort's timezone."""
        return moment if moment.tzinfo else moment.replace(tzinfo=self.tz)

    def resolve(self, relative: str) -> Path:
        """A path from the YAML, relative to the YAML file's folder."""
        path = Path(relative).expanduser()
        if not path.is_absolute() and self.source_path is not None:
            path = self.source_path.parent / path
        return path
