"""The data contract, in one place: every column of ``roster.csv``, ``applications.csv``, the
close-out roster export and the pulse and close-out answers, with its type, whether it is
required, and its allowed values or range.

Everything that reads or writes these records takes them from here: the CSV parsers
(:mod:`mentorflow.contract.parsing`), the data-quality gates (:mod:`mentorflow.quality.suites`), the
participant forms (:mod:`mentorflow.forms.models`) and the synthetic generator
(:mod:`mentorflow.demo.synthetic`). Change a column or a range here and all of them follow;
README's "Data contract" section shows the same tables and a test keeps it in step.

Plain data on the standard library only: it is read at DAG parse time.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Literal

# -- vocabularies -----------------------------------------------------------------------------

ROLES: tuple[str, ...] = ("mentor", "mentee", "both")
MENTOR_ROLES: tuple[str, ...] = ("mentor", "both")  # offer skills and take mentees
MENTEE_ROLES: tuple[str, ...] = ("mentee", "both")  # want skills and get a mentor

# booleans, compared in lower case; a blank value is false
TRUE_WORDS: tuple[str, ...] = ("true", "yes", "y", "t", "1")
FALSE_WORDS: tuple[str, ...] = ("false", "no", "n", "f", "0", "")
TRUE: frozenset[str] = frozenset(TRUE_WORDS)
FALSE: frozenset[str] = frozenset(FALSE_WORDS)

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # name@domain.tld
DATE_FORMAT = "%Y-%m-%d"
DATE_WORDS = "YYYY-MM-DD"


# -- building blocks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of a number (``None``: unbounded on that side)."""

    low: float | None = None
    high: float | None = None

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def __str__(self) -> str:
        if self.low is not None and self.high is not None:
            return f"{self.low:g}-{self.high:g}"
        if self.low is not None:
            return f"at least {self.low:g}"
        return f"at most {self.high:g}" if self.high is not None else "any number"


@dataclass(frozen=True)
class ListFormat:
    """A list in one CSV cell: items split by ``separator``; ``pair`` splits an item into name and level."""

    separator: str
    example: str
    pair: str | None = None
    level: Range | None = None  # the allowed levels, when items carry one

    def __str__(self) -> str:
        item = f"name{self.pair}level" if self.pair else "id"
        return f"{item}{self.separator}…"


SKILL_LEVEL = Range(1, 5)
SKILL_LIST = ListFormat(";", "negotiation:4;sql:2", pair=":", level=SKILL_LEVEL)
ID_LIST = ListFormat(";", "E000012;E000345")

Kind = Literal["id", "text", "email", "whole", "number", "date", "boolean", "timezone", "choice", "skills", "ids"]

KIND_WORDS: dict[str, str] = {
    "id": "id", "text": "text", "email": "email", "whole": "whole number", "number": "number",
    "date": "date", "boolean": "true/false", "timezone": "IANA timezone", "choice": "choice",
    "skills": "skill list", "ids": "id list",
}


@dataclass(frozen=True)
class Column:
    """One column: what it holds and what a value may be.

    ``required``: filled in on every row. ``needed_by``: the roles whose application is incomplete
    without it (the applications gate holds it and the gap-fill email asks for it; the form requires
    it). ``range`` bounds a number (a cohort may narrow ``level`` with ``quality.level_range``); the
    levels in a skill list are bounded by ``SKILL_LIST.level``.
    """

    name: str
    kind: Kind
    means: str
    required: bool = False
    values: tuple[str, ...] = ()
    range: Range | None = None
    needed_by: tuple[str, ...] = ()
    unique: bool = False

    @property
    def type_words(self) -> str:
        return KIND_WORDS[self.kind]

    @property
    def required_words(self) -> str:
        if self.required:
            return "yes"
        if set(self.needed_by) == set(ROLES):
            return "for every role"
        return f"for {', '.join(self.needed_by)}" if self.needed_by else ""

    @property
    def allowed(self) -> str:
        """The allowed values in words (README's data contract shows exactly this)."""
        if self.kind == "boolean":
            return f"{'/'.join(TRUE_WORDS)} or {'/'.join(w for w in FALSE_WORDS if w)}; blank is false"
        if self.kind == "choice":
            return ", ".join(self.values)
        if self.kind == "skills":
            return f"`{SKILL_LIST}`, levels {SKILL_LIST.level}"
        if self.kind == "ids":
            return f"`{ID_LIST}`"
        if self.kind == "email":
            return "name@domain.tld" + (", unique (ignoring case)" if self.unique else "")
        if self.kind == "date":
            return DATE_WORDS
        if self.kind == "timezone":
            return "e.g. Europe/Berlin"
        words = str(self.range) if self.range else ""
        return ", ".join(filter(None, [words, "unique" if self.unique else ""]))


@dataclass(frozen=True)
class Table:
    """The columns of one file (or stored answer), in order, and the ones its header must have."""

    name: str
    columns: tuple[Column, ...]
    header: tuple[str, ...] | None = None  # columns a file's header must name (None: every column)
    file: str | None = None

    def __post_init__(self) -> None:
        if self.header is None:
            object.__setattr__(self, "header", tuple(self.names))

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    def __contains__(self, name: object) -> bool:
        return any(column.name == name for column in self.columns)

    @property
    def names(self) -> list[str]:
        """Every column name, in file order (a new list each time)."""
        return [column.name for column in self.columns]

    @property
    def required(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    def of_kind(self, *kinds: str) -> list[str]:
        return [column.name for column in self.columns if column.kind in kinds]

    @property
    def ranged(self) -> list[Column]:
        return [column for column in self.columns if column.range is not None]


# -- roster.csv: the HRIS export --------------------------------------------------------------

LEVEL = Range(0, 20)  # the default of a cohort's quality.level_range

ROSTER = Table("roster", file="roster.csv", columns=(
    Column("employee_id", "id", "the person's HRIS id", required=True, unique=True),
    Column("full_name", "text", "the name emails address the person by", required=True),
    Column("email", "email", "work email address", required=True, unique=True),
    Column("department", "text", "department (eligibility, fairness audit, reports)"),
    Column("job_title", "text", "job title"),
    Column("level", "whole", "seniority, higher is more senior (a cohort may narrow the range: quality.level_range)",
           required=True, range=LEVEL),
    Column("manager_id", "id", "employee_id of the person's manager, in the file (blank: the top of the tree)"),
    Column("location", "text", "office or remote location"),
    Column("timezone", "timezone", "IANA timezone (availability scoring)", required=True),
    Column("hire_date", "date", "first day in the company (tenure rule)"),
    Column("on_pip", "boolean", "on a performance improvement plan"),
))

# -- applications.csv: applications collected elsewhere (and the form's stored row) ---------------

TIPI_SCALE = Range(1, 7)  # Ten-Item Personality Inventory, "disagree strongly" to "agree strongly"
TIPI: tuple[str, ...] = tuple(f"tipi_{i}" for i in range(1, 11))
CAPACITY = Range(1, 10)  # mentees one mentor takes; a mentee leaves it blank (or 0)
HOURS = Range(0.5, 40)  # hours a month for the program
ASYNC_BUDGET = Range(0, 20)  # written questions a month a mentor answers (async mentoring); 0 or blank: none

APPLICATIONS = Table("applications", file="applications.csv", header=("employee_id", "role"), columns=(
    Column("employee_id", "id", "the applicant (in this cohort's roster)", required=True, unique=True),
    Column("role", "choice", "what the applicant applies as", required=True, values=ROLES),
    Column("motivation", "text", "why the applicant wants to take part"),
    Column("prior_experience", "text", "mentoring experience so far"),
    Column("skills_offered", "skills", "skills a mentor offers, with their level", needed_by=MENTOR_ROLES),
    Column("skills_wanted", "skills", "skills a mentee wants, with the level to reach", needed_by=MENTEE_ROLES),
    Column("goals", "text", "goals for the program", needed_by=ROLES),
    Column("preferred_traits", "text", "traits wanted in a partner"),
    *(Column(name, "whole", f"TIPI item {i}", range=TIPI_SCALE, needed_by=ROLES) for i, name in enumerate(TIPI, 1)),
    Column("capacity", "whole", "mentees the mentor takes (a mentee leaves it blank or 0)", range=CAPACITY,
           needed_by=MENTOR_ROLES),
    Column("hours_per_month", "number", "hours a month the applicant can give", range=HOURS),
    Column("preferred_partners", "ids", "employee_ids the applicant would like as partners, best first"),
    Column("avoid_partners", "ids", "employee_ids the applicant must not be paired with"),
    Column("share_goals", "boolean", "the applicant agrees that their goals are quoted to their partner in the "
           "introduction emails (blank or no column: not shared)"),
    Column("affinity_network", "text", "a network or identity the applicant describes themself by (free text; a "
           "cohort may suggest spellings); stored only with affinity_consent, never shown to the committee or in reports"),
    Column("affinity_match", "boolean", "the applicant asks for a partner who shares their affinity_network "
           "(the cohort's matching.affinity.mode says whether it is a preference or a requirement)"),
    Column("affinity_consent", "boolean", "the applicant agrees that affinity_network is used for matching "
           "(blank or no: the network is not stored at all)"),
    Column("circle_volunteer", "boolean", "a mentor who will also lead a mentoring circle of 3-6 mentees "
           "(mentors only; a mentee's answer is not kept)"),
    Column("async_budget", "whole", "written questions a month a mentor will answer for mentees without a one-to-one "
           "partner (async mentoring; mentors only; blank or 0: none)", range=ASYNC_BUDGET),
    Column("group_consent", "boolean", "in a group or mentoring circle, the applicant's name and email may be shared "
           "with the other members (blank or no: they are not)"),
))

# -- the close-out roster export (sources.closeout_roster_csv; optional) ----------------------------

EMPLOYMENT_STATUSES: tuple[str, ...] = ("active", "left")  # the first: still employed

OUTCOME_ROSTER = Table("closeout roster", file="roster-closeout.csv", columns=(
    Column("employee_id", "id", "the person's HRIS id", required=True),
    Column("employment_status", "choice", "still in the company at close-out", required=True,
           values=EMPLOYMENT_STATUSES),
    Column("last_promotion_date", "date", "the person's last promotion (blank: none)"),
))

# -- answers the forms store (pulse survey, close-out evaluation) --------------------------------

RATING = Range(1, 5)
PULSE_OUTCOMES: tuple[str, ...] = ("continue", "rematch", "end")

PULSE = Table("pulse", columns=(
    Column("match_id", "whole", "the pair the answer is about", required=True),
    Column("meetings", "whole", "meetings this period", required=True, range=Range(0, 31)),
    Column("satisfaction", "whole", "satisfaction with the partnership", required=True, range=RATING),
    Column("goal_progress", "whole", "progress on the goals", required=True, range=RATING),
    Column("follow_through", "whole", "the partner does what was agreed", required=True, range=RATING),
    Column("comment", "text", "free comment (never quoted in reports)"),
    Column("outcome", "choice", "how to go on", values=PULSE_OUTCOMES),
))

CLOSEOUT = Table("closeout", columns=(
    Column("goals_met", "whole", "how far the goals were met", required=True, range=RATING),
    Column("satisfaction", "whole", "satisfaction with the program", required=True, range=RATING),
    Column("recommend", "whole", "would recommend the program (NPS)", required=True, range=Range(0, 10)),
    Column("valuable_topics", "text", "topics that turned out valuable"),
    Column("comment", "text", "free comment (never quoted in reports)"),
))

FILES: tuple[Table, ...] = (ROSTER, APPLICATIONS, OUTCOME_ROSTER)
ANSWERS: tuple[Table, ...] = (PULSE, CLOSEOUT)

# the column names in file order, as the lists most callers want
ROSTER_COLUMNS: list[str] = ROSTER.names
APPLICATION_COLUMNS: list[str] = APPLICATIONS.names
