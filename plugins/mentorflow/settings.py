"""One settings object for the whole project: where things live and the process-wide secrets.

Every value comes from a ``MENTORFLOW_*`` environment variable and has a documented default,
so the same code runs from a checkout,
inside the Airflow containers and in tests. Per-cohort choices live in the cohort YAML
(:mod:`mentorflow.cohorts.config`), never here.

Read it with :func:`current`: it follows the environment, so a test or the demo can change a
variable and see the change at once.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """mentorflow's process settings (environment variable = ``MENTORFLOW_`` + field name, upper case)."""

    # an empty variable counts as unset (compose passes ${VAR} through empty when .env lacks it)
    model_config = SettingsConfigDict(env_prefix="MENTORFLOW_", extra="ignore", frozen=True, env_ignore_empty=True)

    project_dir: Path = Field(PROJECT_DIR, description="the checkout: holds dags/, plugins/, include/, cohorts/")
    cohorts_dir: Path | None = Field(None, description="cohort YAML files (default: <project_dir>/cohorts)")
    home: Path | None = Field(None, description="runtime data: SQLite store, outbox, reports (default: <project_dir>/var)")
    store_url: str | None = Field(None, description="program store SQLAlchemy URL (default: SQLite file in home)")
    secret_key: SecretStr | None = Field(None, description="form-link signing key (default: a random key kept in home)")
    events_retry_seconds: float = Field(120, ge=0, description="forms app served alone: retry pending events this often")
    # email providers when a cohort names no Airflow connection
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(1025, ge=1, le=65535)
    smtp_login: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    sendgrid_host: str | None = Field(None, description="SendGrid API base URL (default: SendGrid's own)")
    sendgrid_api_key: SecretStr | None = None
    # Airflow's REST API, which the forms app calls to start the triage DAG
    airflow_url: str | None = None
    airflow_username: str | None = None
    airflow_password: SecretStr | None = None

    # -- derived locations ----------------------------------------------------------------------

    @property
    def cohorts_folder(self) -> Path:
        return self.cohorts_dir or self.project_dir / "cohorts"

    @property
    def home_folder(self) -> Path:
        return self.home or self.project_dir / "var"

    @property
    def include_dir(self) -> Path:
        return self.project_dir / "include"

    @property
    def templates_dir(self) -> Path:
        return self.include_dir / "templates"

    @property
    def sql_dir(self) -> Path:
        return self.include_dir / "sql"

    @property
    def default_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.home_folder / 'store.db'}"

    def outbox_dir(self, cohort: str) -> Path:
        return self.home_folder / "outbox" / cohort

    def reports_dir(self, cohort: str) -> Path:
        return self.home_folder / "reports" / cohort


def current() -> Settings:
    """The settings as the environment says now (built again only when a ``MENTORFLOW_*`` variable changed)."""
    return _build(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MENTORFLOW_"))))


@lru_cache(maxsize=8)
def _build(_environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()


# -- shorthands for the locations most code needs ---------------------------------------------


def project_dir() -> Path:
    return current().project_dir


def include_dir() -> Path:
    return current().include_dir


def templates_dir() -> Path:
    return current().templates_dir


def sql_dir() -> Path:
    return current().sql_dir


def cohorts_dir() -> Path:
    return current().cohorts_folder


def home() -> Path:
    return current().home_folder


def outbox_dir(cohort: str) -> Path:
    return current().outbox_dir(cohort)


def reports_dir(cohort: str) -> Path:
    return current().reports_dir(cohort)
