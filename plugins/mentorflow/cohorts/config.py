"""Cohort configuration: one YAML file per cohort, validated by pydantic.

Errors name the file, the field and what is wrong, so an ops engineer can fix a
broken cohort without reading a traceback. Loading one broken file never stops
the other cohorts from loading (see :func:`load_cohorts`).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mentorflow import settings as paths
from mentorflow.contract.checks import CHECKS, Severity
from mentorflow.errors import CohortConfigError

STAGES: tuple[str, ...] = ("open", "intake", "validate", "match", "kickoff", "pulse", "midpoint", "closeout")

_COHORT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$")
_CADENCE = re.compile(r"^(monthly|weekly|every (\d+) (minutes|hours|days))$")


class ProgramType(str, Enum):
    traditional = "traditional"
    reverse = "reverse"
    symbiotic = "symbiotic"
    group = "group"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Calendar(_Strict):
    """When each time-based stage happens, in the cohort's timezone (naive datetimes are local)."""

    application_open: dt.datetime
    application_close: dt.datetime
    kickoff: dt.datetime
    midpoint: dt.datetime
    close_out: dt.datetime
    pulse_cadence: str = Field("monthly", description="monthly | weekly | 'every N minutes|hours|days'")
    reminder_after_days: float = Field(5, gt=0, description="remind non-respondents after this many days")
    intake_check_every_hours: float = Field(24, gt=0, description="how often intake sends reminders and gap-fills")
    evaluation_days: float = Field(14, gt=0, description="the close-out evaluation stays open this long; "
                                   "non-respondents are reminded halfway, the HR report is built at the end")

    @field_validator("pulse_cadence")
    @classmethod
    def _cadence(cls, value: str) -> str:
        if not _CADENCE.match(value):
            raise ValueError("must be 'monthly', 'weekly' or 'every N minutes|hours|days'")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Calendar:
        order = ["application_open", "application_close", "kickoff", "midpoint", "close_out"]
        for earlier, later in zip(order, order[1:]):
            if getattr(self, later) <= getattr(self, earlier):
                raise ValueError(
                    f"{later} ({getattr(self, later).isoformat()}) must be after {earlier} "
                    f"({getattr(self, earlier).isoformat()})"
                )
        return self


Weight = Annotated[float, Field(ge=0)]


class Weights(_Strict):
    """Relative weight of each score component; they need not sum to 1 (they are normalised)."""

    skills: Weight = 0.35
    goals: Weight = 0.2
    personality: Weight = 0.15
    preferences: Weight = 0.15
    availability: Weight = 0.1
    diversity: Weight = 0.05

    @model_validator(mode="after")
    def _positive(self) -> Weights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one weight must be positive")
        return self


class MatchingRules(_Strict):
    personality: Literal["similarity", "complement"] = "similarity"
    max_mentees_per_mentor: int = Field(2, ge=1, le=50)
    group_size: int = Field(4, ge=2, le=20, description="mentees per mentor in group programs")
    min_level_gap: int = Field(1, ge=0, description="traditional: mentor at least this many levels above")
    forbid_reporting_line: bool = True
    forbid_repeat_pairs: bool = True
    min_score: float = Field(0.0, ge=0, le=1, description="pairs scoring below this are never proposed")
    fairness: Literal["none", "cover", "maxmin"] = Field(
        "none", description="cover: match as many mentees as possible first; maxmin: then raise the lowest score")
    top_k: int = Field(15, ge=1, le=500, description="candidate partners kept per mentee before solving")


class Matching(_Strict):
    weights: Weights = Weights()
    rules: MatchingRules = MatchingRules()
    locks: list[tuple[str, str]] = Field(default_factory=list, description="(mentor_id, mentee_id) that must pair")
    forbids: list[tuple[str, str]] = Field(default_factory=list, description="(mentor_id, mentee_id) never paired")


class Eligibility(_Strict):
    exclude_pip: bool = True
    min_tenure_days: int = Field(90, ge=0)
    departments: list[str] = Field(default_factory=list, description="empty means every department")
    min_level: int | None = None
    max_level: int | None = None


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
    satisfaction: Weight = 0.35
    goal_progress: Weight = 0.25
    follow_through: Weight = 0.2
    meetings: Weight = 0.2


class Health(_Strict):
    """Pair health: the formula's weights and the thresholds between states (see mentorflow.outcomes.health)."""

    weights: HealthWeights = HealthWeights()
    on_track_at: float = Field(0.6, ge=0, le=1, description="score at or above this is On track")
    at_risk_below: float = Field(0.4, ge=0, le=1, description="score below this is At risk")
    meetings_planned: int = Field(2, ge=1, description="meetings a pair is expected to hold per period")
    disagreement_points: int = Field(3, ge=1, le=4, description="satisfaction gap (1-5 scale) that counts as one-sided")
    disagreement_penalty: float = Field(0.15, ge=0, le=1)
    decline_drop: float = Field(0.25, ge=0, le=1, description="a drop this large since last period needs a check-in")
    silent_periods_at_risk: int = Field(2, ge=1, description="consecutive periods without any answer that make a pair At risk")
    reminder_after_days: float = Field(3, gt=0, description="remind partners who have not answered the pulse")

    @model_validator(mode="after")
    def _ordered(self) -> Health:
        if self.at_risk_below > self.on_track_at:
            raise ValueError(f"at_risk_below ({self.at_risk_below}) must not exceed on_track_at ({self.on_track_at})")
        return self


class Committee(_Strict):
    review_mode: Literal["hitl", "auto"] = "hitl"
    reviewers: list[str] = Field(default_factory=list, description="Airflow user names allowed to respond")
    timeout_hours: float = Field(72, gt=0)


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
    level_range: tuple[int, int] = Field((0, 20), description="lowest and highest roster level accepted")

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
    name: str = Field(..., min_length=3)
    program_type: ProgramType
    timezone: str = "UTC"
    calendar: Calendar
    matching: Matching = Matching()
    eligibility: Eligibility = Eligibility()
    sender: Sender = Sender()
    committee: Committee = Committee()
    health: Health = Health()
    sources: Sources
    store: Store = Store()
    quality: Quality = Quality()
    forms_base_url: str = "http://127.0.0.1:8080/mentorflow"
    previous_cohorts: list[str] = Field(default_factory=list, description="cohorts whose pairs must not repeat")

    source_path: Path | None = Field(None, exclude=True, description="set by the loader")

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
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone (e.g. 'Europe/Berlin')") from None
        return value

    # -- derived values -------------------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def at(self, moment: dt.datetime) -> dt.datetime:
        """A calendar datetime as an aware datetime in the cohort's timezone."""
        return moment if moment.tzinfo else moment.replace(tzinfo=self.tz)

    def pulse_dates(self) -> list[dt.datetime]:
        """Pulse periods: from one cadence after kickoff, while before close-out."""
        cal = self.calendar
        dates: list[dt.datetime] = []
        start = self.at(cal.kickoff)
        end = self.at(cal.close_out)
        step = 1
        while True:
            moment = _advance(start, cal.pulse_cadence, step)
            if moment >= end:
                return dates
            dates.append(moment)
            step += 1

    def pulse_reminder_dates(self) -> list[dt.datetime]:
        """When non-respondents are reminded: ``health.reminder_after_days`` after each pulse,
        if that is before the next pulse (or close-out)."""
        pulses = self.pulse_dates()
        ends = pulses[1:] + [self.at(self.calendar.close_out)]
        delay = dt.timedelta(days=self.health.reminder_after_days)
        return [start + delay for start, end in zip(pulses, ends) if start + delay < end]

    def closeout_dates(self) -> dict[str, dt.datetime]:
        """The close-out stage's three runs: survey, reminder (halfway) and report (window closed)."""
        start = self.at(self.calendar.close_out)
        window = dt.timedelta(days=self.calendar.evaluation_days)
        return {"survey": start, "reminder": start + window / 2, "report": start + window}

    def resolve(self, relative: str) -> Path:
        """A path from the YAML, relative to the YAML file's folder."""
        path = Path(relative).expanduser()
        if not path.is_absolute() and self.source_path is not None:
            path = self.source_path.parent / path
        return path


def _advance(start: dt.datetime, cadence: str, steps: int) -> dt.datetime:
    match = _CADENCE.match(cadence)
    assert match is not None  # validated
    if cadence == "monthly":
        month_index = start.month - 1 + steps
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, _days_in_month(year, month))
        return start.replace(year=year, month=month, day=day)
    if cadence == "weekly":
        return start + dt.timedelta(weeks=steps)
    amount, unit = int(match.group(2)), match.group(3)
    return start + dt.timedelta(**{unit: amount * steps})


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


def _describe(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required but missing"
        elif item["type"] == "extra_forbidden":
            message = "is not a known setting (check the spelling)"
        problems.append(f"{where}: {message}")
    return problems


def parse_cohort(text: str, path: Path | str = "<string>") -> CohortConfig:
    """Parse YAML text into a validated cohort, raising :class:`CohortConfigError`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise CohortConfigError(path, [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(data, dict):
        raise CohortConfigError(path, ["the file must be a mapping of settings (key: value)"])
    try:
        config = CohortConfig.model_validate(data)
    except ValidationError as exc:
        raise CohortConfigError(path, _describe(exc)) from None
    return config.model_copy(update={"source_path": Path(path)})


def load_cohort(path: Path | str) -> CohortConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CohortConfigError(path, [f"cannot be read ({exc})"]) from None
    config = parse_cohort(text, path)
    if config.cohort != path.stem:
        raise CohortConfigError(path, [f"cohort: {config.cohort!r} must equal the file name {path.stem!r}"])
    return config


def cohort_files(directory: Path | None = None) -> list[Path]:
    directory = directory or paths.cohorts_dir()
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in {".yaml", ".yml"})


def load_cohorts(directory: Path | None = None) -> tuple[list[CohortConfig], list[CohortConfigError]]:
    """Every cohort in a folder, in file-name order; broken files are returned, not raised."""
    good: list[CohortConfig] = []
    bad: list[CohortConfigError] = []
    for path in cohort_files(directory):
        try:
            good.append(load_cohort(path))
        except CohortConfigError as exc:
            bad.append(exc)
    return good, bad


def find_cohort(cohort_id: str, directory: Path | None = None) -> CohortConfig:
    directory = directory or paths.cohorts_dir()
    for suffix in (".yaml", ".yml"):
        candidate = directory / f"{cohort_id}{suffix}"
        if candidate.exists():
            return load_cohort(candidate)
    raise CohortConfigError(directory / f"{cohort_id}.yaml", ["no such cohort file"])
