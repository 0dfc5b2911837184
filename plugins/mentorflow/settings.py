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
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
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
    forms_rate_limit_redis_url: str | None = Field(
        None, description="forms: keep the per-link rate limit in this Redis, shared by every worker (default: in-process)")
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
    reports_base_url: str | None = Field(None, description="where HR opens the reports (default: <airflow_url>/mentorflow-reports)")
    lp_backend: Literal["cbc", "highs"] = Field("cbc", description="the PuLP backend of the matcher's LP model (measured: CBC)")

    @field_validator("reports_base_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not a web address: give it as http(s)://host[:port]/path")
        return value

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

    @property
    def reports_url(self) -> str:
        """Base URL of the reports HR opens by link (the plugin's reports app inside Airflow's API server)."""
        return (self.reports_base_url or f"{self.airflow_url or DEFAULT_AIRFLOW_URL}/mentorflow-reports").rstrip("/")

    @property
    def demo_home(self) -> Path:
        """Where ``mentorflow demo`` puts everything by default."""
        return self.home_folder / "demo"

    def locate(self, environ: Mapping[str, str] | None = None, home: Path | None = None) -> Place:
        """Where a command finds the cohorts, the runtime data and Airflow's home; the rule (docs/settings.md):

        1. ``home`` (the CLI's ``--home``): that folder, its ``cohorts/`` and its ``airflow/``;
        2. ``MENTORFLOW_COHORTS_DIR`` or ``MENTORFLOW_HOME`` set: those, as everywhere else;
        3. the checkout's ``cohorts/`` when it holds a cohort file;
        4. else the demo's home (``var/demo``) when its ``cohorts/`` holds one (what ``mentorflow demo`` left);
        5. else the checkout's folders, found empty (``looked`` says where).

        ``AIRFLOW_HOME`` set always wins for Airflow's home.
        """
        environ = os.environ if environ is None else environ
        airflow_set = Path(environ["AIRFLOW_HOME"]) if environ.get("AIRFLOW_HOME") else None
        checkout = self.project_dir / "cohorts"
        demo = self.demo_home
        if home is not None:
            home = home.resolve()
            return Place(self.cohorts_dir or home / "cohorts", home, airflow_set or _existing(home / "airflow"),
                         "--home", (self.cohorts_dir or home / "cohorts",))
        if self.cohorts_dir or self.home:
            named = " and ".join(n for n, v in (("MENTORFLOW_COHORTS_DIR", self.cohorts_dir),
                                                ("MENTORFLOW_HOME", self.home)) if v)
            return Place(self.cohorts_folder, self.home_folder, airflow_set, f"set by {named}", (self.cohorts_folder,))
        looked = (checkout, demo / "cohorts")
        if has_cohort_files(checkout):
            other = demo if has_cohort_files(demo / "cohorts") else None
            return Place(checkout, self.home_folder, airflow_set, "the checkout's cohorts/", looked, other)
        if has_cohort_files(demo / "cohorts"):
            return Place(demo / "cohorts", demo, airflow_set or _existing(demo / "airflow"),
                         "the demo's home (left by `mentorflow demo`)", looked)
        return Place(checkout, self.home_folder, airflow_set, "the checkout's cohorts/ (none found)", looked,
                     found=False)


DEFAULT_AIRFLOW_URL = "http://127.0.0.1:8080"


def has_cohort_files(folder: Path) -> bool:
    """A folder holding at least one cohort file (``*.yaml`` or ``*.yml``)."""
    return folder.is_dir() and any(p.suffix in {".yaml", ".yml"} for p in folder.glob("*.y*ml"))


def _existing(folder: Path) -> Path | None:
    return folder if folder.is_dir() else None


@dataclass(frozen=True)
class Place:
    """Where the cohorts, the runtime data and Airflow's home are, why there, and which folders were looked in."""

    cohorts_dir: Path
    home: Path
    airflow_home: Path | None  # None: Airflow's own default (AIRFLOW_HOME unset, no airflow/ in the home)
    why: str
    looked: tuple[Path, ...]
    other: Path | None = None  # a demo home with cohorts that this place leaves out
    found: bool = True

    def environment(self) -> dict[str, str]:
        """The variables that make this place explicit for the rest of a process (and Airflow, imported later)."""
        env = {"MENTORFLOW_COHORTS_DIR": str(self.cohorts_dir), "MENTORFLOW_HOME": str(self.home)}
        if self.airflow_home is not None:
            env["AIRFLOW_HOME"] = str(self.airflow_home)
        return env

    def describe(self) -> str:
        airflow = f"Airflow home {self.airflow_home}" if self.airflow_home else "Airflow's own configuration"
        return f"cohorts in {self.cohorts_dir} ({self.why}); data in {self.home}; {airflow}"


PREFIX = "MENTORFLOW_"
_RAW_PREFIX = PREFIX.encode()
_cached: tuple[object, Settings] | None = None  # this process's settings and the variables they were built from


def _variables() -> object:
    """The ``MENTORFLOW_*`` variables as they are now, compared (not decoded, not sorted) to tell whether the
    cached settings still hold. On POSIX the environment is a dict of bytes behind ``os.environ`` (CPython's
    ``os._Environ._data``, which every change through ``os.environ`` updates): scanning it raw is ~5× cheaper
    than decoding every variable; elsewhere the decoded variables are compared."""
    raw = getattr(os.environ, "_data", None)
    if isinstance(raw, dict) and all(isinstance(key, bytes) for key in list(raw)[:1]):
        return [item for item in raw.items() if item[0].startswith(_RAW_PREFIX)]
    return [item for item in os.environ.items() if item[0].startswith(PREFIX)]


def current() -> Settings:
    """This process's settings, cached: built again only when a ``MENTORFLOW_*`` variable changed (a test or the
    demo can change one and see the change at once), or after :func:`refresh`."""
    global _cached
    variables = _variables()
    cached = _cached
    if cached is not None and cached[0] == variables:
        return cached[1]
    built = _build(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX))))
    _cached = (variables, built)
    return built


def refresh() -> None:
    """Forget the cached settings: the next :func:`current` reads the environment again (for a change that does
    not go through ``os.environ``, e.g. ``os.putenv``, or a file a setting names)."""
    global _cached
    _cached = None
    _build.cache_clear()


@lru_cache(maxsize=8)  # tests switch between a few environments: each is built once
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
