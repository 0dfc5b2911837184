"""Shared set-up for the committee console tests: a cohort with a real proposal and named reviewers, and the
Airflow simple auth manager's users (the console validates their tokens with Airflow's own code)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import run_of, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.committee.hitl import HitlClient
from mentorflow.demo.airflow_server import free_port, simple_auth
from mentorflow.demo.airflow_server import login as airflow_login
from mentorflow.demo.committee import release
from mentorflow.demo.synthetic import write_population
from mentorflow.store import Store, applications

COHORT = "committee-cohort"
REVIEWERS = ["chair", "member"]
# Airflow users: two reviewers, one user who is no reviewer, an admin, a viewer
USERS = {"chair": "user", "member": "user", "outsider": "user", "boss": "admin"}
FIVE = ["ann", "ben", "cai", "dee", "eve"]  # a committee of five (quorum 3) for the HITL tests against a real api-server
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
    env["MENTORFLOW_AIRFLOW_URL"] = url  # the console inside answers Airflow's HITL tasks through this same server
    passwords = {user: password_of(workdir, user) for user in users or USERS}
    with api_server(env, port, workdir / "api-server.log") as served:
        assert served == url
        yield url, passwords


def login(url: str, user: str, password: str) -> str:
    """A real Airflow token, as the login page gets it (``POST /auth/token``)."""
    return airflow_login(url, user, password)


@contextlib.contextmanager
def committee_airflow(workdir: Path, reviewers: list[str]) -> Iterator[Callable[[str], HitlClient]]:
    """A real api-server whose users are ``reviewers`` (role user); yields ``client(user)``: a HitlClient holding
    that user's own token (a fresh login), as the console passes the deciding reviewer's."""
    with airflow_api_server(workdir, users={name: "user" for name in reviewers}) as (url, passwords):

        def client(user: str) -> HitlClient:
            return HitlClient(login(url, user, passwords[user]), url)

        yield client


def await_review(client: HitlClient, dag_id: str, hang_after: float = 300) -> list[dict]:
    """The DAG's committee task(s) waiting for input, once there is one (seen through the REST API). Only a hang
    fails it: no timing is asserted."""
    deadline = time.monotonic() + hang_after
    while not (waiting := client.waiting(dag_id)):
        assert time.monotonic() < deadline, f"no committee task of {dag_id} waited for input"
        time.sleep(0.5)
    return waiting


def hitl_details(client: HitlClient, dag_id: str, task_id: str) -> list[dict]:
    """Airflow's HITL details of ``task_id`` in every run of ``dag_id`` (answered or not)."""
    answer = httpx.get(f"{client.base_url}/api/v2/dags/{dag_id}/dagRuns/~/hitlDetails",
                       headers={"Authorization": f"Bearer {client.token}"})
    assert answer.status_code == 200, answer.text
    return [d for d in answer.json()["hitl_details"] if d["task_instance"]["task_id"] == task_id]


@contextlib.contextmanager
def meanwhile(action: Callable[[], None], dag_id: str, join_after: float = 60) -> Iterator[None]:
    """Run ``action`` (the committee) in a thread while the block runs (``dag.test``, which blocks while its HITL
    task waits); an error in the thread fails the test when the block ends. When ``action`` fails, the review task
    of ``dag_id`` still waiting is marked failed, as the demo's committee does, so ``dag.test`` ends instead of
    waiting for the task's 72-hour timeout."""
    errors: list[BaseException] = []
    finished = threading.Event()   # set when the block (dag.test) has returned

    def guarded() -> None:
        try:
            action()
        except BaseException as exc:  # reported to the test's thread
            errors.append(exc)
            release(dag_id, finished, wait=300)   # returns at once when dag.test has ended

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    try:
        yield
    finally:
        finished.set()
    thread.join(timeout=join_after)
    if errors:
        raise errors[0]
    assert not thread.is_alive(), "the committee's thread did not finish"


# -- the console in this process, with real Airflow tokens ----------------------------------------

@pytest.fixture(scope="module")
def airflow_auth(tmp_path_factory, airflow_db):
    """Airflow's auth manager in this process, configured with the test users (as the console initialises it
    outside the API server). The metadata database holds revoked tokens."""
    mp = pytest.MonkeyPatch()
    for key, value in airflow_auth_env(tmp_path_factory.mktemp("airflow-auth")).items():
        mp.setenv(key, value)
    from mentorflow.committee import auth

    yield auth.auth_manager()
    mp.undo()


@pytest.fixture
def console(world, airflow_auth, monkeypatch):
    """(client factory, world): ``client(user)`` is a TestClient of a fresh console app with ``user``'s Airflow
    token in the UI's cookie (no user: anonymous)."""
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from mentorflow.committee.app import create_app

    monkeypatch.setenv("MENTORFLOW_COHORTS_DIR", str(world.cohorts_dir))
    app = create_app()

    def client(user: str | None = None, role: str = "user", **jwt) -> TestClient:
        c = TestClient(app)
        if user:
            c.cookies.set("_token", airflow_auth.generate_jwt(SimpleAuthManagerUser(username=user, role=role), **jwt))
        return c

    return client, world


def hitl_cohort(cohorts_dir: Path, cohort: str, reviewers: list[str], quorum: int, seed: int):
    """A hitl-reviewed cohort of 60 synthetic people, its store ready and registered, nothing imported: (config, store)."""
    from conftest import ready_store

    write_population(cohorts_dir / "data", 60, seed=seed)
    config = load_cohort(write_cohort(cohorts_dir, cohort,
                                      committee={"review_mode": "hitl", "reviewers": reviewers, "quorum": quorum}))
    store = ready_store(config)
    store.register_cohort(config)
    return config, store


def stage_dag(config, round_name: str):
    """The round's stage DAG (match or midpoint) of ``config`` as the DAG processor parses it."""
    from airflow.dag_processing.dagbag import DagBag

    from conftest import ROOT
    from mentorflow.committee.hitl import dag_id_for

    return DagBag(dag_folder=str(ROOT / "dags")).dags[dag_id_for(config.cohort, round_name)]


def validated_hitl_cohort(cohorts_dir: Path, cohort: str, reviewers: list[str], quorum: int, seed: int):
    """A hitl-reviewed cohort of 60 people with its applications validated (ready for the match DAG), and that DAG
    as the DAG processor parses it: (config, store, dag)."""
    from mentorflow.stages import intake, validate
    from mentorflow.stages import open as open_stage

    config, store = hitl_cohort(cohorts_dir, cohort, reviewers, quorum, seed)
    open_stage.import_roster(run_of(config, store, config.calendar.application_open.date()))
    intake.import_applications(run_of(config, store))
    validate.validate_applications(run_of(config, store))
    return config, store, stage_dag(config, "initial")


def csrf_of(html: str) -> str:
    """The CSRF field of a console page (bound to the signed-in user)."""
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)
