"""A library of corrupted inputs for the data-quality gate tests, built from the synthetic population.

Each corruption edits a few rows of a good roster or application set and says which check must
catch it, with which words, and which records it must hold; every other row must be kept.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.contract.columns import APPLICATION_COLUMNS, ROSTER_COLUMNS
from mentorflow.demo.synthetic import generate_applications, generate_roster
from mentorflow.store import Store, url_for

ROSTER_SIZE = 40


def good_roster() -> pd.DataFrame:
    """40 people, nobody on a performance plan (so every applicant is eligible unless a test says so)."""
    roster = generate_roster(ROSTER_SIZE, seed=5).astype(object)
    roster["on_pip"] = "false"
    return roster


def good_applications(roster: pd.DataFrame) -> pd.DataFrame:
    apps = generate_applications(roster, seed=5, incomplete_rate=0.0).astype(object)
    return apps.reset_index(drop=True)


def write_rows(path: Path, frame: pd.DataFrame, columns: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, columns=columns, quoting=csv.QUOTE_MINIMAL)
    return path


@dataclass(frozen=True)
class Corruption:
    """Each corruption touches its own rows, so a test can apply a whole list at once."""

    name: str
    corrupt: Callable[[pd.DataFrame], list[str]]  # edits the frame in place, returns the ids it broke
    check: str
    words: str  # must appear in the quarantine reason


def _set(column: str, value, row: int) -> Callable[[pd.DataFrame], list[str]]:
    def corrupt(frame: pd.DataFrame) -> list[str]:
        frame.at[row, column] = value
        return [frame.at[row, "employee_id"]]

    return corrupt


def _email_twins(frame: pd.DataFrame) -> list[str]:
    frame.at[5, "email"] = frame.at[4, "email"].upper()
    return [frame.at[4, "employee_id"], frame.at[5, "employee_id"]]


ROSTER_SOFT = [
    Corruption("duplicate emails differing in case", _email_twins, "roster.unique_emails",
               "is used by another person (case-insensitive)"),
    Corruption("unknown manager", _set("manager_id", "E999999", 13), "roster.known_managers",
               "manager_id 'E999999' is not in the roster"),
    Corruption("bad timezone", _set("timezone", "Mars/Olympus_Mons", 14), "roster.timezones",
               "timezone 'Mars/Olympus_Mons' is not an IANA timezone"),
    Corruption("text where a number belongs", _set("level", "two", 15), "roster.numbers",
               "level 'two' is not a whole number"),
    Corruption("level out of range", _set("level", "99", 16), "roster.level_range", "level 99 is outside 0-20"),
    Corruption("invalid email", _set("email", "ada.example.com", 17), "roster.valid_emails", "is not an email address"),
    Corruption("blank name", _set("full_name", "", 18), "roster.required_fields", "full_name empty"),
    Corruption("bad hire date", _set("hire_date", "31/12/2020", 19), "roster.hire_dates", "is not a date"),
]


def management_cycle(frame: pd.DataFrame) -> list[str]:
    """Rows 10 -> 11 -> 12 -> 10 manage each other."""
    a, b, c = (frame.at[i, "employee_id"] for i in (10, 11, 12))
    frame.at[10, "manager_id"], frame.at[11, "manager_id"], frame.at[12, "manager_id"] = b, c, a
    return [a, b, c]




def _first_mentor_from(row: int, column: str, value) -> Callable[[pd.DataFrame], list[str]]:
    """Set ``column`` of the first mentor (or both) at or after ``row``: a mentor's answer a mentee does not keep."""
    def corrupt(frame: pd.DataFrame) -> list[str]:
        at = next(i for i in range(row, len(frame)) if frame.at[i, "role"] in ("mentor", "both"))
        frame.at[at, column] = value
        return [frame.at[at, "employee_id"]]

    return corrupt


APPLICATION_SOFT = [
    Corruption("missing goals", _set("goals", "", row=1), "applications.required_answers",
               "missing your goals for the program"),
    Corruption("TIPI 0", _set("tipi_2", 0, row=2), "applications.tipi_range", "tipi_2 is 0, must be 1-7"),
    Corruption("TIPI 8", _set("tipi_2", 8, row=3), "applications.tipi_range", "tipi_2 is 8, must be 1-7"),
    Corruption("skill level 9", _set("skills_offered", "python:9", row=0), "applications.skill_levels",
               "skills_offered python:9"),
    Corruption("written budget 50", _first_mentor_from(10, "async_budget", 50), "applications.async_budget",
               "async_budget is 50, must be 0-20 written questions a month"),
]

INTAKE_SOFT = [
    Corruption("text where numbers belong", _set("tipi_1", "seven", row=5), "intake.numbers",
               "tipi_1 'seven' is not a whole number"),
    Corruption("unknown role", _set("role", "coach", row=6), "intake.roles",
               "role 'coach' must be mentor, mentee or both"),
    Corruption("unknown person", _set("employee_id", "E777777", row=7), "intake.known_people",
               "E777777 is not in this cohort's roster"),
    Corruption("group consent neither yes nor no", _set("group_consent", "perhaps", row=8), "intake.flags",
               "group_consent 'perhaps' is not true/false"),
]


BOTH_STORES = pytest.mark.parametrize(
    "make_cohort", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture
def make_cohort(request, cohorts_dir):
    """Write roster/applications CSVs and a cohort; returns (config, store). SQLite unless a test asks
    for both stores (``BOTH_STORES``)."""
    stores = []
    backend = getattr(request, "param", "sqlite")

    def make(roster: pd.DataFrame | bytes, apps: pd.DataFrame | bytes | None = None, **overrides):
        data = cohorts_dir / "data"
        for name, content, columns in (("roster.csv", roster, ROSTER_COLUMNS),
                                       ("applications.csv", apps, APPLICATION_COLUMNS)):
            if isinstance(content, bytes):
                data.mkdir(exist_ok=True)
                (data / name).write_bytes(content)
            elif content is not None:
                write_rows(data / name, content, columns)
        overrides.setdefault("eligibility", {"min_tenure_days": 0})
        if backend == "postgresql":
            overrides["store"] = {"url": request.getfixturevalue("postgres_url")}
        config = load_cohort(write_cohort(cohorts_dir, **overrides))
        store = Store(url_for(config.store))
        if backend == "postgresql":
            store.drop_all()
        store.upgrade()
        stores.append(store)
        return config, store

    yield make
    for store in stores:
        if backend == "postgresql":
            store.drop_all()
        store.engine.dispose()
