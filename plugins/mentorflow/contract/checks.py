"""Every expectation the gates run, by name, with what it means and its default severity.

Pure data with no heavy imports: the cohort config validates ``quality.severity`` against it
at DAG parse time. Columns, vocabularies and ranges in the descriptions come from the data
contract (:mod:`mentorflow.contract.columns`). A *hard* failure stops the stage (nothing
downstream runs); a *soft* failure quarantines the offending rows and the rest go on. ``fixed``
checks are about the file as a whole (no header, no rows) and are always hard: there are no
good rows to go on with.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Literal

from mentorflow.contract.columns import (
    APPLICATIONS,
    ASYNC_BUDGET,
    CAPACITY,
    CLOSEOUT,
    DATE_WORDS,
    HOURS,
    PULSE,
    ROLES,
    ROSTER,
    SKILL_LEVEL,
    TIPI_SCALE,
    Table,
)

Severity = Literal["hard", "soft"]


@dataclass(frozen=True)
class Check:
    name: str
    gate: str
    means: str
    default: Severity
    fixed: bool = False


def _words(items, last: str = "and") -> str:
    items = list(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}" if len(items) > 1 else "".join(items)


def _ranges(table: Table) -> str:
    """'meetings 0-31; satisfaction, goal_progress, follow_through 1-5'."""
    return "; ".join(f"{', '.join(c.name for c in group)} {bounds}"
                     for bounds, group in ((b, list(g)) for b, g in groupby(table.ranged, key=lambda c: str(c.range))))


_CHECKS = [
    # roster: the HRIS import of the open stage
    Check("roster.header", "roster", "the file has the data contract's header columns", "hard", fixed=True),
    Check("roster.not_empty", "roster", "the file has at least one data row", "hard", fixed=True),
    Check("roster.encoding", "roster", "the row is valid UTF-8", "soft"),
    Check("roster.row_shape", "roster", "the row can be read: as many values as the header, every quote closed, "
          "no value over 65,536 characters", "soft"),
    Check("roster.storable", "roster", "every value fits the program store: no NUL character, text within its "
          "column's length, whole numbers within range", "soft"),
    Check("roster.no_formulas", "roster", "no value starts like a spreadsheet formula (=, +, -, @)", "soft"),
    Check("roster.required_fields", "roster", f"{_words(ROSTER.required)} are filled in", "soft"),
    Check("roster.unique_ids", "roster", "employee_id is unique", "hard"),
    Check("roster.unique_emails", "roster", "email is unique, ignoring case", "soft"),
    Check("roster.valid_emails", "roster", "email looks like name@domain.tld", "soft"),
    Check("roster.numbers", "roster", "level is a whole number", "soft"),
    Check("roster.level_range", "roster", "level lies in the cohort's quality.level_range", "soft"),
    Check("roster.known_managers", "roster", "manager_id is empty or another employee in the file", "soft"),
    Check("roster.no_management_cycles", "roster", "following manager_id never leads back to the same person", "hard"),
    Check("roster.timezones", "roster", "timezone is an IANA name such as Europe/Berlin", "soft"),
    Check("roster.hire_dates", "roster", f"hire_date is empty or a date ({DATE_WORDS})", "soft"),
    Check("roster.pip_flags", "roster", "on_pip is true/false (yes/no, 1/0)", "soft"),
    # intake: applications collected elsewhere (CSV), before they are stored
    Check("intake.header", "intake", f"the file has the {_words(APPLICATIONS.header)} columns", "hard", fixed=True),
    Check("intake.encoding", "intake", "the row is valid UTF-8", "soft"),
    Check("intake.row_shape", "intake", "the row can be read: as many values as the header, every quote closed, "
          "no value over 65,536 characters", "soft"),
    Check("intake.storable", "intake", "every value fits the program store: no NUL character, text within its "
          "column's length, whole numbers within range", "soft"),
    Check("intake.no_formulas", "intake", "no value starts like a spreadsheet formula (=, +, -, @)", "soft"),
    Check("intake.required_fields", "intake", "employee_id is filled in", "soft"),
    Check("intake.known_people", "intake", "employee_id is in this cohort's roster", "soft"),
    Check("intake.one_per_person", "intake", "one application per person", "soft"),
    Check("intake.roles", "intake", f"role is {_words(ROLES, 'or')}", "soft"),
    Check("intake.numbers", "intake", "TIPI items, capacity, hours and async_budget are numbers", "soft"),
    Check("intake.flags", "intake", "circle_volunteer and group_consent are true/false (yes/no, 1/0) or blank",
          "soft"),
    # applications: the validate stage, over every stored application, before matching
    Check("applications.known_people", "applications", "the applicant is in this cohort's roster", "soft"),
    Check("applications.one_per_person", "applications", "one application per person and cohort", "soft"),
    Check("applications.required_answers", "applications", "the answers the applicant's role needs are given", "soft"),
    Check("applications.tipi_range", "applications", f"every TIPI item is {TIPI_SCALE}", "soft"),
    Check("applications.skill_levels", "applications", f"every skill level is {SKILL_LEVEL}", "soft"),
    Check("applications.capacity", "applications", f"a mentor's capacity is {CAPACITY}", "soft"),
    Check("applications.hours_range", "applications", f"hours_per_month is {HOURS}", "soft"),
    Check("applications.async_budget", "applications", f"a mentor's async_budget is {ASYNC_BUDGET} written "
          "questions a month (blank: none)", "soft"),
    # one check for every eligibility rule, so a held row never says which rule (one is a performance plan)
    Check("eligibility.rules", "applications", "the applicant meets the cohort's eligibility rules (tenure, "
          "departments, levels, exclude_pip); a held row says only that it is not eligible, never which rule",
          "soft"),
    # matches: the proposal, before the committee sees it
    Check("matches.capacity", "matches", "no mentor has more mentees than their capacity allows", "hard"),
    Check("matches.no_forbidden_pair", "matches",
          "no self pair, committee forbid, former pair, avoid-list pair or reporting-line pair", "hard"),
    Check("matches.every_mentee_placed", "matches", "every valid mentee is matched or has a reason", "hard"),
    Check("matches.mentors_per_mentee", "matches", "a mentee has at most mentors_per_mentee mentors, and with "
          "several each covers a wanted skill none of the mentee's other mentors covers", "hard"),
    Check("matches.skills_rule", "matches", "reverse: the mentor offers a skill the mentee wants; symbiotic: "
          "each partner teaches the other a different wanted skill the other does not already hold", "hard"),
    # self-selection: mentees' requests and mentors' acceptances, before they become committee locks
    Check("selection.recommended", "selection", "a mentee requests only mentors recommended to them", "soft"),
    Check("selection.unique_preference", "selection",
          "a mentee gives each preference (1st choice, 2nd choice …) to one mentor only", "soft"),
    Check("selection.capacity", "selection", "a mentor accepts no more requests than their capacity", "soft"),
    Check("selection.hard_rules", "selection", "an accepted pair breaks no hard rule (self pair, committee forbid, "
          "former pair, avoid list, reporting line, placement rules, the program's skills rule)", "soft"),
    # the partnership pages (meeting log, resource feedback, milestones, agreements), before pair health and the
    # HR report count them
    Check("workspace.log_date", "workspace", "a log entry is dated between the cohort's kickoff and close-out", "soft"),
    Check("workspace.log_minutes", "workspace", "a log entry's minutes are 5-600", "soft"),
    Check("workspace.log_mode", "workspace", "a log entry's mode is meeting, call or written", "soft"),
    Check("workspace.log_author", "workspace", "a log entry's author is a member of its partnership", "soft"),
    Check("workspace.resource_rating", "workspace", "a resource rating is 1-5 or none", "soft"),
    Check("workspace.milestone_goal", "workspace", "a milestone belongs to a goal that exists", "soft"),
    Check("workspace.agreement_terms", "workspace", "an agreement meets every week, two weeks or month, in person, "
          "by call and/or written", "soft"),
    # pulse and close-out answers, before health scores and the HR report use them
    Check("pulse.value_ranges", "pulse", _ranges(PULSE), "soft"),
    Check("pulse.respondent_in_pair", "pulse", "the respondent is the mentor or mentee of the pair", "soft"),
    Check("pulse.one_per_person", "pulse", "one answer per person, period and pair", "soft"),
    Check("closeout.value_ranges", "closeout", _ranges(CLOSEOUT), "soft"),
    Check("closeout.participant", "closeout", "the respondent took part in a pair of this cohort", "soft"),
    Check("closeout.one_per_person", "closeout", "one evaluation per person", "soft"),
]

CHECKS: dict[str, Check] = {c.name: c for c in _CHECKS}
GATES: tuple[str, ...] = tuple(dict.fromkeys(c.gate for c in _CHECKS))


def checks_of(gate: str) -> list[Check]:
    return [c for c in _CHECKS if c.gate == gate]
