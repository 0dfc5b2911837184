"""Shared set-up for the committee console tests: a cohort with a real proposal and named reviewers, and the
Airflow simple auth manager's users (the console validates their tokens with Airflow's own code)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import run_of, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.demo.airflow_server import free_port, simple_auth
from mentorflow.demo.airflow_server import login as airflow_login
from mentorflow.demo.synthetic import write_population
from mentorflow.store import Store, applications

COHORT = "committee-cohort"
REVIEWERS = ["chair", "member"]
# Airflow users: two reviewers, one user who is no reviewer, an admin, a viewer
USERS = {"chair": "user", "member": "user", "outsider": "user", "boss": "admin"}
AVOIDED = "E-AVOIDED-SECRET"  # an "avoid" answer the console must never show
NETWORK = "private-network-secret"  # an affinity network the console must never show


@dataclass
class ConsoleWorld:
    cohorts_dir: Path
    store_url: str

    @property
    def config(self):
        return load_cohort(self.cohorts_dir / f"{COHORT}.yaml")

    @property
    def store(self) -> Store:
        return Store(self.store_url)


def build_world(base: Path, people: int = 60) -> ConsoleWorld:
    """A cohort of ``people`` imported, validated and matched once (initial round), its reviewers chair and member;
    one applicant's avoid list and affinity network set to markers a test can look for."""
    from mentorflow.stages import intake, match, validate
    from mentorflow.stages import open as open_stage

    cohorts = base / "cohorts"
    cohorts.mkdir(parents=True, exist_ok=True)
    write_population(cohorts / "data", people, seed=5)
    url = f"sqlite:///{base / 'store.db'}"
    config = load_cohort(write_cohort(cohorts, COHORT, store={"url": url}, committee={"reviewers": REVIEWERS}))
    store = Store(url)
    store.upgrade()
    store.register_cohort(config)
    open_stage.import_roster(run_of(config, store, config.calendar.application_open.date()))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    match.propose_matches(run_of(config, store))
    with store.begin() as conn:
        conn.execute(applications.update().where(applications.c.cohort_id == COHORT).values(
            avoid_partners=AVOIDED, affinity_network=NETWORK, affinity_consent=True))
    store.engine.dispose()
    return ConsoleWorld(cohorts, url)


def airflow_auth_env(base: Path, users: dict[str, str] | None = None) -> dict[str, str]:
    """The simple auth manager's configuration for ``users`` (name -> role; default USERS), their passwords written
    beforehand into ``base``/passwords.json (mode 0600), as the stack and the demo do."""
    return simple_auth(base / "passwords.json", users or USERS)[0]


def password_of(base: Path, user: str) -> str:
    return json.loads((base / "passwords.json").read_text(encoding="utf-8"))[user]


@contextlib.contextmanager
def airflow_api_server(workdir: Path, cohorts_dir: Path | None = None,
                       users: dict[str, str] | None = None) -> Iterator[tuple[str, dict[str, str]]]:
    """A real ``airflow api-server`` (simple auth manager with ``users``, default USERS; this project's plugin) on a
    free loopback port; yields its base URL and the users' passwords. Only a hang fails it (no timing is asserted)."""
    from airflow_server import api_server

    env = {**os.environ, **airflow_auth_env(workdir, users)}
    if cohorts_dir is not None:
        env["MENTORFLOW_COHORTS_DIR"] = str(cohorts_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    passwords = {user: password_of(workdir, user) for user in users or USERS}
    with api_server(env, port, workdir / "api-server.log") as served:
        assert served == url
        yield url, passwords


def login(url: str, user: str, password: str) -> str:
    """A real Airflow token, as the login page gets it (``POST /auth/token``)."""
    return airflow_login(url, user, password)
