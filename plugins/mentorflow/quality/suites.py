"""The suites of the gates on people and their answers: the roster, the intake CSV and the applications.

Custom rules (management cycles, IANA timezones, per-role required answers)
become computed columns here, and Great Expectations checks those columns, so GX produces every
result and every unexpected row. Each function returns the :class:`~mentorflow.quality.gate.Batch`
a gate validates; nothing here touches the store or the file system. Columns, vocabularies and
ranges come from the data contract (:mod:`mentorflow.contract.columns`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mentorflow.cohorts.config import CohortConfig
from mentorflow.contract import outcome_answers
from mentorflow.contract.affinity import COLUMNS as AFFINITY
from mentorflow.contract.columns import (
    APPLICATIONS,
    DATE_FORMAT,
    EMAIL_PATTERN,
    FALSE,
    ROLES,
    ROSTER,
    SKILL_LEVEL,
    TIPI,
    TRUE,
)
from mentorflow.contract.parsing import parse_skills
from mentorflow.quality.expectations import Spec
from mentorflow.quality.reader import LINE, ROW
from mentorflow.quality.results import Batch
from mentorflow.quality.spec_helpers import (
    add_file_row_columns,
    between,
    file_row_specs,
    flag_problems,
    header_specs,
    iana_timezones,
    is_blank,
    levels_surely_good,
    no_skills,
    null_spec,
    number_problems,
    or_words,
    per_distinct,
    whole_or_none,
)
from mentorflow.roster.eligibility import admitted, assess, management_cycles
from mentorflow.store import applications, people

ROSTER_COLUMNS = ROSTER.names
APPLICATION_COLUMNS = APPLICATIONS.names
ROSTER_REQUIRED = ROSTER.required
ROSTER_TEXT = ROSTER.of_kind("text", "email", "timezone")  # stored as "" when blank
INTAKE_REQUIRED_COLUMNS = list(APPLICATIONS.header)
# filled in on every row; a blank role is reported by intake.roles (blank is not a role)
INTAKE_REQUIRED_FIELDS = [c.name for c in APPLICATIONS.columns if c.required and not c.values]
WHOLE_NUMBER_COLUMNS = APPLICATIONS.of_kind("whole")
DECIMAL_COLUMNS = APPLICATIONS.of_kind("number")


# -- roster (open stage) ----------------------------------------------------------------------


def roster_batch(frame: pd.DataFrame, header: list[str], config: CohortConfig) -> Batch:
    specs = header_specs("roster.header", ROSTER_COLUMNS, header) + [
        Spec("roster.not_empty", "ExpectTableRowCountToBeBetween", {"min_value": 1},
             lambda o: "the file has a header but no data rows", table_level=True)]
    if any(c not in header for c in ROSTER_COLUMNS):
        return Batch("roster", frame, specs, "employee_id")
    out = frame.copy()
    out["missing_fields"] = pd.Series(
        [", ".join(c for c, blank in zip(ROSTER_REQUIRED, flags) if blank) or None
         for flags in zip(*(is_blank(out[c]) for c in ROSTER_REQUIRED))], index=out.index, dtype="object")
    out["email_key"] = out["email"].str.strip().str.lower()
    parsed, out["not_numbers"] = number_problems(out, ROSTER.of_kind("whole"), ROSTER.of_kind("number"))
    out["level_number"] = parsed["level"]
    ids = set(out["employee_id"].dropna())
    out["manager_known"] = out["manager_id"].isna() | out["manager_id"].isin(ids)
    links = out[["employee_id", "manager_id"]].astype(object).where(out[["employee_id", "manager_id"]].notna(), None)
    cycles = management_cycles(links.dropna(subset=["employee_id"]))
    cycle_of = {member: " → ".join([*cycle, cycle[0]]) for cycle in cycles for member in cycle}
    out["cycle"] = out["employee_id"].map(cycle_of).astype("object")
    hire = pd.to_datetime(out["hire_date"], format=DATE_FORMAT, errors="coerce")
    out["hire_date_ok"] = out["hire_date"].isna() | hire.notna()
    out["pip_key"] = out["on_pip"].str.lower()
    low, high = config.quality.level_range
    texts = ROSTER.of_kind("id", "text", "email", "timezone", "date", "boolean")
    add_file_row_columns(out, people, texts)
    specs += file_row_specs("roster") + [
        null_spec("roster.required_fields", "missing_fields", lambda r, c: f"{r[c]} empty"),
        Spec("roster.unique_ids", "ExpectColumnValuesToBeUnique", {"column": "employee_id"},
             lambda r: f"employee_id {r['employee_id']} is on more than one row (this one at line {r[LINE]})"),
        Spec("roster.unique_emails", "ExpectColumnValuesToBeUnique", {"column": "email_key"},
             lambda r: f"email {r['email']!r} is used by another person (case-insensitive)"),
        Spec("roster.valid_emails", "ExpectColumnValuesToMatchRegex", {"column": "email", "regex": EMAIL_PATTERN},
             lambda r: f"email {r['email']!r} is not an email address"),
        null_spec("roster.numbers", "not_numbers"),
        Spec("roster.level_range", "ExpectColumnValuesToBeBetween",
             {"column": "level_number", "min_value": low, "max_value": high},
             lambda r: f"level {r['level_number']:g} is outside {low}-{high}"),
        Spec("roster.known_managers", "ExpectColumnValuesToBeInSet", {"column": "manager_known", "value_set": [True]},
             lambda r: f"manager_id {r['manager_id']!r} is not in the roster"),
        null_spec("roster.no_management_cycles", "cycle", lambda r, c: f"in a management cycle: {r[c]}"),
        Spec("roster.timezones", "ExpectColumnValuesToBeInSet", {"column": "timezone", "value_set": iana_timezones()},
             lambda r: f"timezone {r['timezone']!r} is not an IANA timezone"),
        Spec("roster.hire_dates", "ExpectColumnValuesToBeInSet", {"column": "hire_date_ok", "value_set": [True]},
             lambda r: f"hire_date {r['hire_date']!r} is not a date (YYYY-MM-DD)"),
        Spec("roster.pip_flags", "ExpectColumnValuesToBeInSet",
             {"column": "pip_key", "value_set": sorted(TRUE | FALSE)},
             lambda r: "on_pip is not true/false (yes/no, 1/0); the value is not repeated, it may tell a plan"),
    ]
    return Batch("roster", out, specs, "employee_id")


def roster_records(frame: pd.DataFrame) -> list[dict]:
    """Rows that passed the roster gate (or that ops released), typed for the ``people`` table.

    A released row keeps what can be stored: unreadable numbers and dates become empty."""
    frame = frame[frame["employee_id"].notna()]
    text = frame[ROSTER_COLUMNS].astype(object).where(frame[ROSTER_COLUMNS].notna(), None)
    hire = pd.to_datetime(frame["hire_date"], format=DATE_FORMAT, errors="coerce")
    out = text.assign(
        level=whole_or_none(frame["level_number"].round()),
        hire_date=[None if pd.isna(d) else d.date() for d in hire],
        on_pip=frame["pip_key"].isin(TRUE).to_numpy(),
    )
    for column in ROSTER_TEXT:
        out[column] = out[column].fillna("")
    return out.to_dict("records")


def held_roster_links(frame: pd.DataFrame, held_by: dict[int, set[str]]) -> list[dict]:
    """Roster rows the gate held, reduced to what the hard rules need whatever else is wrong with them:
    who the person is and who their manager is (``held_by``: the checks that held each row, by ``_row``).
    Everything else of the row is left empty; rows without an employee_id say nothing and are skipped."""
    id_length = people.c.employee_id.type.length

    def storable_id(value: object) -> str | None:  # an id the store cannot hold links nothing
        return value if isinstance(value, str) and len(value) <= id_length and "\x00" not in value else None

    frame = frame[frame["employee_id"].map(storable_id).notna()]
    out = pd.DataFrame({column: [None] * len(frame) for column in ROSTER_COLUMNS}, dtype=object)
    out["employee_id"] = frame["employee_id"].astype(str).to_numpy()
    names = frame["full_name"].fillna("").astype(str).str.replace("\x00", "", regex=False)
    out["full_name"] = names.str.slice(0, people.c.full_name.type.length).to_numpy()
    out["manager_id"] = frame["manager_id"].map(storable_id).astype(object).to_numpy()
    for column in ROSTER_TEXT:
        out[column] = out[column].fillna("")
    out["on_pip"] = False
    out["held_by"] = [", ".join(sorted(held_by.get(row, ()))) for row in frame[ROW]]
    return out.to_dict("records")


# -- intake (applications CSV) ----------------------------------------------------------------


def intake_batch(frame: pd.DataFrame, header: list[str], roster_ids: set[str]) -> Batch:
    specs = header_specs("intake.header", INTAKE_REQUIRED_COLUMNS, header)
    if any(c not in header for c in INTAKE_REQUIRED_COLUMNS):
        return Batch("applications", frame, specs, "employee_id")
    out = frame.copy()
    out["role_key"] = out["role"].str.lower().fillna("(blank)")
    out["in_roster"] = out["employee_id"].isin(roster_ids) | out["employee_id"].isna()
    _, out["not_numbers"] = number_problems(out, WHOLE_NUMBER_COLUMNS, DECIMAL_COLUMNS)
    out["unreadable_flags"] = flag_problems(out, [c for c in outcome_answers.FLAGS if c in out])
    texts = APPLICATIONS.of_kind("id", "text", "skills", "ids", "choice")
    add_file_row_columns(out, applications, texts)
    specs += file_row_specs("intake") + [
        *[Spec("intake.required_fields", "ExpectColumnValuesToNotBeNull", {"column": column},
               lambda r, c=column: f"{c} is empty") for column in INTAKE_REQUIRED_FIELDS],
        Spec("intake.known_people", "ExpectColumnValuesToBeInSet", {"column": "in_roster", "value_set": [True]},
             lambda r: f"employee_id {r['employee_id']} is not in this cohort's roster"),
        Spec("intake.one_per_person", "ExpectColumnValuesToBeUnique", {"column": "employee_id"},
             lambda r: f"{r['employee_id']} applied more than once (this application at line {r[LINE]})"),
        Spec("intake.roles", "ExpectColumnValuesToBeInSet", {"column": "role_key", "value_set": sorted(ROLES)},
             lambda r: f"role {r['role']!r} must be {or_words(ROLES)}"),
        null_spec("intake.numbers", "not_numbers"),
        null_spec("intake.flags", "unreadable_flags"),
    ]
    return Batch("applications", out, specs, "employee_id")


def application_records(frame: pd.DataFrame) -> list[dict]:
    """Rows that passed the intake gate, typed for the ``applications`` table (blank answers stay blank)."""
    parsed, _ = number_problems(frame, WHOLE_NUMBER_COLUMNS, DECIMAL_COLUMNS)
    out = pd.DataFrame(index=frame.index)
    for column in APPLICATION_COLUMNS:
        if column in parsed:
            out[column] = (whole_or_none(parsed[column]) if column in WHOLE_NUMBER_COLUMNS else
                           pd.Series([None if pd.isna(v) else float(v) for v in parsed[column]], index=frame.index,
                                     dtype="object"))
        elif column in WHOLE_NUMBER_COLUMNS or column in DECIMAL_COLUMNS:
            out[column] = None
        else:
            out[column] = frame[column].astype(object).where(frame[column].notna(), "") if column in frame else ""
    out["role"] = frame["role"].str.lower().astype(object)
    return out.to_dict("records")


# -- applications (validate stage) -------------------------------------------------------------

GAPS = {  # required answer -> (roles that need it, from the contract; how the gap-fill email asks for it)
    "goals": (set(APPLICATIONS["goals"].needed_by), "your goals for the program"),
    "skills_wanted": (set(APPLICATIONS["skills_wanted"].needed_by),
                      f"the skills you want to develop (with levels {SKILL_LEVEL})"),
    "skills_offered": (set(APPLICATIONS["skills_offered"].needed_by),
                       f"the skills you can offer (with levels {SKILL_LEVEL})"),
    "tipi": (set(APPLICATIONS[TIPI[0]].needed_by), "all ten personality questions"),
    "capacity": (set(APPLICATIONS["capacity"].needed_by), "how many mentees you can take"),
}


def answer_gaps(apps: pd.DataFrame) -> pd.Series:
    """Per application, the answers its role still needs, in the words the gap-fill email uses."""
    blank = {
        "goals": is_blank(apps["goals"]),
        "skills_wanted": no_skills(apps["skills_wanted"]),
        "skills_offered": no_skills(apps["skills_offered"]),
        "tipi": apps[list(TIPI)].isna().any(axis=1),
        "capacity": pd.to_numeric(apps["capacity"], errors="coerce").fillna(0).eq(0),
    }
    words = [w for _, w in GAPS.values()]
    needed = np.column_stack([(apps["role"].isin(roles) & blank[answer].astype(bool)).to_numpy(dtype=bool)
                              for answer, (roles, _) in GAPS.items()]) if len(apps) else np.zeros((0, len(GAPS)), bool)
    gaps: list[list[str]] = [[] for _ in range(len(apps))]
    for position in np.flatnonzero(needed.any(axis=1)):
        gaps[position] = [w for w, need in zip(words, needed[position]) if need]
    return pd.Series(gaps, index=apps.index, dtype="object")


def _bad_skill_levels(apps: pd.DataFrame) -> pd.Series:
    def describe(offered: str | None, wanted: str | None) -> str | None:
        bad = [f"{column} {name}:{level}" for column, text in (("skills_offered", offered), ("skills_wanted", wanted))
               for name, level in parse_skills(text).items() if level not in SKILL_LEVEL]
        return ", ".join(bad) or None

    good = (per_distinct(apps["skills_offered"], levels_surely_good).astype(bool)
            & per_distinct(apps["skills_wanted"], levels_surely_good).astype(bool))
    bad = pd.Series(None, index=apps.index, dtype="object")
    for position in np.flatnonzero(~good.to_numpy()):
        bad.iat[position] = describe(apps["skills_offered"].iat[position], apps["skills_wanted"].iat[position])
    return bad


NOT_ELIGIBLE = "not eligible under the cohort's eligibility rules"


def not_eligible(apps: pd.DataFrame, config: CohortConfig) -> pd.Series:
    """Per application (joined with its roster row), :data:`NOT_ELIGIBLE` when the cohort's eligibility rules
    (:func:`mentorflow.roster.eligibility.assess`, as of the day the window opened) exclude the applicant.

    Which rule never shows: one of them is a performance improvement plan, which ops must not learn, and
    naming the others would single it out by elimination. Applicants missing from the roster are left to
    ``applications.known_people``."""
    roster = apps[["on_pip", "hire_date", "department", "level"]].copy()
    roster["on_pip"] = per_distinct(roster["on_pip"], lambda v: v is True or str(v).lower() in TRUE).astype(bool)
    assessed = assess(roster, config.eligibility, config.at(config.calendar.application_open).date())
    excluded = ~assessed["eligible"].astype(bool) & apps["in_roster"].astype(bool)
    return pd.Series(None, index=apps.index, dtype="object").mask(excluded, NOT_ELIGIBLE)


ROSTER_READ = ["employee_id", "on_pip", "hire_date", "department", "level", "eligibility_reason"]  # what it reads of people


def applications_batch(apps: pd.DataFrame, people: pd.DataFrame, config: CohortConfig) -> Batch:
    """Stored applications joined with their roster rows: content checks and the cohort's eligibility rules."""
    roster = people[["employee_id", "on_pip", "hire_date", "department", "level"]]
    out = apps.merge(roster, on="employee_id", how="left").reset_index(drop=True)
    out[ROW] = np.arange(len(out))
    for column in [*WHOLE_NUMBER_COLUMNS, *DECIMAL_COLUMNS, *ROSTER.of_kind("whole")]:
        out[column] = pd.to_numeric(out[column], errors="coerce")
    out["in_roster"] = out["employee_id"].isin(set(people.loc[admitted(people), "employee_id"]))
    out["gaps"] = answer_gaps(out)
    out["missing_answers"] = pd.Series([("; ".join(g) or None) if g else None for g in out["gaps"].tolist()],
                                       index=out.index, dtype="object")
    out["bad_skill_levels"] = _bad_skill_levels(out)
    capacity, hours, budget = APPLICATIONS["capacity"], APPLICATIONS["hours_per_month"], APPLICATIONS["async_budget"]
    out["mentor_capacity"] = out["capacity"].where(out["role"].isin(capacity.needed_by))
    specs = [
        Spec("applications.known_people", "ExpectColumnValuesToBeInSet",
             {"column": "in_roster", "value_set": [True]},
             lambda r: f"{r['employee_id']} is not in this cohort's roster"),
        Spec("applications.one_per_person", "ExpectColumnValuesToBeUnique", {"column": "employee_id"},
             lambda r: f"{r['employee_id']} has more than one application"),
        null_spec("applications.required_answers", "missing_answers", lambda r, c: f"missing {r[c]}"),
        *[Spec("applications.tipi_range", "ExpectColumnValuesToBeBetween", between(t, APPLICATIONS[t].range),
               lambda r, t=t: f"{t} is {r[t]:g}, must be {APPLICATIONS[t].range}") for t in TIPI],
        null_spec("applications.skill_levels", "bad_skill_levels",
              lambda r, c: f"skill levels must be {SKILL_LEVEL} ({r[c]})"),
        Spec("applications.capacity", "ExpectColumnValuesToBeBetween", between("mentor_capacity", capacity.range),
             lambda r: f"capacity is {r['mentor_capacity']:g}, a mentor takes {capacity.range} mentees"),
        Spec("applications.hours_range", "ExpectColumnValuesToBeBetween", between(hours.name, hours.range),
             lambda r: f"hours_per_month is {r['hours_per_month']:g}, must be {hours.range}"),
        Spec("applications.async_budget", "ExpectColumnValuesToBeBetween", between(budget.name, budget.range),
             lambda r: f"async_budget is {r['async_budget']:g}, must be {budget.range} written questions a month"),
    ]
    out["not_eligible"] = not_eligible(out, config)
    specs.append(null_spec("eligibility.rules", "not_eligible"))
    # what the rules read stays out of the batch, hence out of quarantine rows and reports; so do the
    # affinity answers (contract.affinity), which no check reads
    out = out.drop(columns=["on_pip", "hire_date", "department", "level", *(c for c in AFFINITY if c in out)])
    return Batch("applications", out, specs, "employee_id")
