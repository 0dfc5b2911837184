"""mentor-match's CSV layout as mentorflow's roster, applications and cohort rules (pure functions).

mentor-match (the UK Civil Service networks' open-source mentoring matcher) takes two files, ``mentors.csv``
and ``mentees.csv``. Their headers, as its web app reads them:

- both files: ``first name``, ``last name``, ``email address``, ``both mentor and mentee`` (yes/no),
  ``job title``, ``grade``, ``organisation``, ``profession``, ``biography``;
- mentors also ``characteristics`` (identities they share, comma-separated), mentees ``match with similar
  identity`` (yes/no) and ``identity to match``.

Its rules: a mentor is from another organisation and one or two grades above the mentee (hard), a shared
profession scores. docs/imports.md has the column mapping; this module applies it to rows already read
(:mod:`mentorflow.imports.files` reads and writes the files).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field

from mentorflow.contract.columns import APPLICATION_COLUMNS, EMAIL_PATTERN, FALSE, LEVEL, ROSTER_COLUMNS, TRUE
from mentorflow.contract.parsing import RowProblem, format_skills
from mentorflow.errors import ImportFileError

FIRST_NAME, LAST_NAME, EMAIL, BOTH = "first name", "last name", "email address", "both mentor and mentee"
JOB_TITLE, GRADE, ORGANISATION, PROFESSION, BIOGRAPHY = "job title", "grade", "organisation", "profession", "biography"
CHARACTERISTICS, MATCH_IDENTITY, IDENTITY = "characteristics", "match with similar identity", "identity to match"

REQUIRED_COLUMNS = (FIRST_NAME, LAST_NAME, EMAIL, GRADE, ORGANISATION)
OPTIONAL_COLUMNS = (BOTH, JOB_TITLE, PROFESSION, BIOGRAPHY)
IDENTITY_COLUMNS = (CHARACTERISTICS, MATCH_IDENTITY, IDENTITY)  # never imported (see identity_note)
ALIASES = {"email": EMAIL}  # mentor-match reads "email address", else "email"
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS + IDENTITY_COLUMNS
# fields a person's two rows (mentors.csv and mentees.csv) must agree on
SAME_PERSON = (FIRST_NAME, LAST_NAME, JOB_TITLE, GRADE, ORGANISATION, PROFESSION)

ID_PREFIX = "MM"  # employee ids made from the email address: MM + 12 hex digits of its SHA-256
PROFESSION_OFFERED, PROFESSION_WANTED = 4, 3  # skill levels of the profession (any mentor of it covers it)
DEFAULT_TIMEZONE = "Europe/London"
SIDES = ("mentor", "mentee")


def header_name(text: str) -> str:
    """A header cell as the layout names it: trimmed, lower case, single spaces, aliases resolved."""
    name = " ".join(text.split()).lower()
    return ALIASES.get(name, name)


def grade_key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@dataclass(frozen=True)
class GradeTable:
    """mentor-match grade name -> roster level, in the table's order (junior first)."""

    levels: dict[str, int]  # grade_key(name) -> level
    names: tuple[str, ...]  # as written
    source: str

    def level_of(self, grade: str) -> int | None:
        return self.levels.get(grade_key(grade))


def grade_table(data: object, source: str) -> GradeTable:
    """The grades table from a YAML document ``{grades: {name: level, ...}}``; every problem at once."""
    grades = data.get("grades") if isinstance(data, dict) else None
    if not isinstance(grades, dict) or not grades:
        raise ImportFileError(f"{source}: expected a mapping 'grades:' of grade name to level (e.g. 'HEO: 4')")
    problems, levels, names = [], {}, []
    for name, level in grades.items():
        key = grade_key(name)
        if not key:
            problems.append("a grade has an empty name")
        elif key in levels:
            problems.append(f"grade {name!r} is listed twice (names are compared ignoring case and spaces)")
        elif isinstance(level, bool) or not isinstance(level, int) or level not in LEVEL:
            problems.append(f"grade {name!r}: level {level!r} must be a whole number {LEVEL}")
        else:
            levels[key] = level
            names.append(str(name))
    if problems:
        raise ImportFileError(f"{source}: " + "; ".join(problems))
    return GradeTable(levels, tuple(names), source)


def employee_id(email: str) -> str:
    """The same id for the same address (ignoring case) on every run: ``MM`` + 12 hex digits of its SHA-256."""
    return ID_PREFIX + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:12].upper()


def skill_name(profession: str) -> str:
    """A profession as a skill name (``Policy`` -> ``policy profession``); the list separators become spaces."""
    name = " ".join(re.sub(r"[:;]", " ", profession).split()).lower()
    return name if not name or name.endswith("profession") else f"{name} profession"


@dataclass(frozen=True)
class Source:
    """One mentor-match file as read: its name (for messages), side, header and (line, row) pairs."""

    name: str
    side: str  # mentor | mentee
    header: tuple[str, ...]  # header_name() of each cell
    rows: tuple[tuple[int, dict[str, str]], ...]

    def missing_columns(self) -> list[str]:
        return [c for c in REQUIRED_COLUMNS if c not in self.header]

    def unknown_columns(self) -> list[str]:
        return [c for c in self.header if c and c not in KNOWN_COLUMNS]


@dataclass(frozen=True)
class Entry:
    """One good row: the person as that file describes them."""

    source: str
    side: str
    line: int
    email: str
    both: bool
    fields: dict[str, str]  # SAME_PERSON values as written
    level: int
    biography: str
    identity: bool  # the row answered an identity question


@dataclass
class Conversion:
    roster: list[dict[str, object]] = field(default_factory=list)
    applications: list[dict[str, object]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # role -> people


def _flag(value: str) -> bool | None:
    word = value.strip().lower()
    return True if word in TRUE else False if word in FALSE else None


def read_entry(source: Source, line: int, row: dict[str, str], grades: GradeTable) -> Entry | RowProblem:
    """One row checked: a readable person, or the first thing wrong with it (file, line, column, reason)."""
    email = row.get(EMAIL, "").strip()
    key = employee_id(email) if re.match(EMAIL_PATTERN, email) else ""

    def problem(column: str, message: str) -> RowProblem:
        return RowProblem(source.name, line, key, column, message, row)

    if row.get("__extra__"):
        return problem("(row)", "the row has more values than the header has columns")
    if not email:
        return problem(EMAIL, "empty; every person needs an email address")
    if not key:
        return problem(EMAIL, "not an email address (name@domain.tld)")
    if not (row.get(FIRST_NAME, "").strip() or row.get(LAST_NAME, "").strip()):
        return problem(FIRST_NAME, f"{FIRST_NAME} and {LAST_NAME} are both empty; mentorflow needs a name")
    both = _flag(row.get(BOTH, ""))
    if both is None:
        return problem(BOTH, f"{row[BOTH]!r} must be yes or no (or blank: no)")
    grade = row.get(GRADE, "").strip()
    level = grades.level_of(grade)
    if level is None:
        said = f"{grade!r} is not in the grades table" if grade else "empty"
        return problem(GRADE, f"{said} (known grades: {', '.join(grades.names)}); "
                              "add it to a grades table and pass it with --grades FILE")
    return Entry(source.name, source.side, line, email, both, {f: " ".join(row.get(f, "").split()) for f in SAME_PERSON},
                 level, row.get(BIOGRAPHY, "").strip(), asked_for_identity(row))


def asked_for_identity(row: dict[str, str]) -> bool:
    """The row names an identity, or asks to be matched on one (a plain "no" says nothing)."""
    return bool(row.get(CHARACTERISTICS, "").strip() or row.get(IDENTITY, "").strip()
                or _flag(row.get(MATCH_IDENTITY, "")))


def _disagreement(a: Entry, b: Entry) -> list[str]:
    return [f for f in SAME_PERSON if grade_key(a.fields[f]) != grade_key(b.fields[f])]


def _records(entries: list[Entry], timezone: str) -> tuple[dict[str, object], dict[str, object], str]:
    """The roster row, the application row and the role of one person (one entry per file they are in)."""
    first = entries[0]
    sides = {e.side for e in entries}
    role = "both" if len(sides) == 2 or any(e.both for e in entries) else first.side
    name = f"{first.fields[FIRST_NAME]} {first.fields[LAST_NAME]}".strip()
    pid = employee_id(first.email)
    roster = dict.fromkeys(ROSTER_COLUMNS, "")
    roster.update(employee_id=pid, full_name=name, email=first.email, department=first.fields[ORGANISATION],
                  job_title=first.fields[JOB_TITLE], level=first.level, timezone=timezone)
    skill = skill_name(first.fields[PROFESSION])
    biographies = list(dict.fromkeys(e.biography for e in entries if e.biography))
    app = dict.fromkeys(APPLICATION_COLUMNS, "")
    app.update(employee_id=pid, role=role, motivation="\n\n".join(biographies))
    if skill and role in ("mentor", "both"):
        app["skills_offered"] = format_skills([(skill, PROFESSION_OFFERED)])
    if skill and role in ("mentee", "both"):
        app["skills_wanted"] = format_skills([(skill, PROFESSION_WANTED)])
    return roster, app, role


def convert(mentors: Source, mentees: Source, grades: GradeTable, timezone: str = DEFAULT_TIMEZONE) -> Conversion:
    """Both files as roster and application rows (one per person, ordered by file and line), with every bad
    row as a problem (the person is left out, everyone else is kept) and notes on what was not imported."""
    out = Conversion()
    people: dict[str, list[Entry]] = {}
    for source in (mentors, mentees):
        for line, row in source.rows:
            entry = read_entry(source, line, row, grades)
            if isinstance(entry, RowProblem):
                out.problems.append(entry)
                continue
            mine = people.setdefault(entry.email.lower(), [])
            twin = next((e for e in mine if e.side == entry.side), None)
            if twin is not None:
                out.problems.append(RowProblem(source.name, line, employee_id(entry.email), EMAIL,
                                               f"the same address is already on line {twin.line}; "
                                               "this row was not imported", row))
                continue
            mine.append(entry)
    rejected: set[str] = set()
    for key, entries in people.items():
        if len(entries) == 2 and (differ := _disagreement(*entries)):
            a, b = entries
            rejected.add(key)
            out.problems.append(RowProblem(
                b.source, b.line, employee_id(b.email), ", ".join(differ),
                f"the same person is on line {a.line} of {a.source} with a different {', '.join(differ)} "
                f"({'; '.join(f'{a.fields[f]!r} there, {b.fields[f]!r} here' for f in differ)}); "
                "neither row was imported: make them agree", {}))
    ids: dict[str, str] = {}
    for key, entries in people.items():
        if key in rejected:
            continue
        roster, app, role = _records(entries, timezone)
        if ids.setdefault(str(roster["employee_id"]), key) != key:  # 48 bits: never seen, but never silent
            raise ImportFileError(f"two addresses give the same employee id {roster['employee_id']}")
        out.roster.append(roster)
        out.applications.append(app)
        out.counts[role] = out.counts.get(role, 0) + 1
    out.notes = left_out(mentors, mentees, people, grades)
    return out


def left_out(mentors: Source, mentees: Source, people: dict[str, list[Entry]], grades: GradeTable) -> list[str]:
    """What the import did not carry over, said once each (counts only: never who, never an identity)."""
    said = []
    for source in (mentors, mentees):
        if unknown := source.unknown_columns():
            said.append(f"{source.name}: column(s) {', '.join(unknown)} are not part of mentor-match's layout "
                        "and were not imported")
    identity = sum(e.identity for entries in people.values() for e in entries)
    if identity:
        said.append(f"identity answers ({', '.join(IDENTITY_COLUMNS)}) on {identity} row(s) were not imported: "
                    "mentor-match records no consent to their use for matching (mentorflow's affinity_consent), so "
                    "nothing about anyone's identity was written; with matching.affinity set, the application form "
                    "asks for them with consent")
    no_organisation = sum(not entries[0].fields[ORGANISATION] for entries in people.values())
    if no_organisation:
        said.append(f"{no_organisation} person(s) have no organisation: the different-department rule cannot keep "
                    "them apart from anyone")
    if level_gaps(grades) != (1, 2):
        said.append(f"the grades table {grades.source} does not put one level between neighbouring grades: check "
                    "min_level_gap and max_level_gap in the rules (mentor-match: one or two grades above)")
    return said


RULES = """\
# mentor-match's matching rules as mentorflow cohort settings (written by `mentorflow import mentor-match`).
# Merge these keys into the cohort file; docs/imports.md explains each one.
program_type: traditional
matching:
  rules:
    forbid_same_department: true    # mentor and mentee come from different organisations
    {min_line}# the mentor is one or two grades above the mentee
    max_level_gap: {max_gap}
    max_mentees_per_mentor: 3       # mentor-match makes at most three matches per person
  # same profession: each person's profession is a skill (mentors offer it, mentees want it), so a
  # mentor of the mentee's profession raises the skills part of the score (matching.weights.skills)
sources:
  roster_csv: roster.csv
  applications_csv: applications.csv
"""


def level_gaps(grades: GradeTable) -> tuple[int, int]:
    """mentor-match's "one or two grades above" in levels: one and two steps of the table (the smallest
    step, twice the largest when the steps differ: then a note asks ops to check)."""
    distinct = sorted(set(grades.levels.values()))
    steps = [b - a for a, b in itertools.pairwise(distinct)] or [1]
    return min(steps), 2 * max(steps)


def rules_yaml(grades: GradeTable) -> str:
    """The cohort settings that carry mentor-match's rules over."""
    low, high = level_gaps(grades)
    return RULES.format(min_line=f"min_level_gap: {low}".ljust(32), max_gap=high)
