"""Where mentorflow finds its inputs and writes its outputs.

Every location can be moved with an environment variable so that the same code
runs from a checkout, inside the Airflow containers and in tests.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_dir() -> Path:
    """The project checkout (holds dags/, plugins/, include/, cohorts/)."""
    override = os.environ.get("MENTORFLOW_PROJECT_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2]


def include_dir() -> Path:
    return project_dir() / "include"


def templates_dir() -> Path:
    return include_dir() / "templates"


def sql_dir() -> Path:
    return include_dir() / "sql"


def cohorts_dir() -> Path:
    override = os.environ.get("MENTORFLOW_COHORTS_DIR")
    return Path(override) if override else project_dir() / "cohorts"


def home() -> Path:
    """Runtime data: the embedded program store, the outbox, reports."""
    override = os.environ.get("MENTORFLOW_HOME")
    return Path(override) if override else project_dir() / "var"


def outbox_dir(cohort: str) -> Path:
    return home() / "outbox" / cohort


def reports_dir(cohort: str) -> Path:
    return home() / "reports" / cohort
