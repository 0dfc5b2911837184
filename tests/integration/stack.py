"""The production topology as plain processes: Airflow (CeleryExecutor) on PostgreSQL and Redis.

The same services as ``docker-compose.yml``, started here without containers so that
the integration tests and ``benchmarks/bench_stack.py`` can drive a real distributed
Airflow: api-server, scheduler, dag-processor, triggerer and a Celery worker, each in
its own process group, with a fresh metadata database and a fresh program-store
database that are dropped at the end. Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("MENTORFLOW_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
ADMIN_USER = "admin"
STORE_CONN_ID = "mentorflow_store"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer", "worker")

T = TypeVar("T")

# Every wait below only catches a hang (a component that never comes up, an API that never
# answers): the bounds are far above what a loaded machine needs, and no figure is asserted on.
HANG_S = 900


class StackError(RuntimeError):
    """A stack step failed or timed out; the message ends with the tail of every process log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host: str, port: int) -> str | None:
    """None when something listens on host:port, else the reason (for skip messages)."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return None
    except OSError as exc:
        return f"nothing answers on {host}:{port} ({exc})"


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@dataclass
class Stack:
    """One distributed Airflow installation rooted in ``workdir``."""

    workdir: Path
    worker_concurrency: int = 2
    heartbeat_timeout_s: int = 60  # a killed worker's task is retried after this; a busy one is not
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    _token: str | None = None

    # -- layout ----------------------------------------------------------------------------------

    @property
    def metadata_db(self) -> str:
        return f"mf_airflow_{self.run_id}"

    @property
    def store_db(self) -> str:
        return f"mf_store_{self.run_id}"

    @property
    def store_url(self) -> str:
        return _with_database(PG_ADMIN_URL, self.store_db)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def home(self) -> Path:
        return self.workdir / "mentorflow-home"

    @property
    def cohorts_dir(self) -> Path:
        return self.workdir / "cohorts"

    @property
    def logs_dir(self) -> Path:
        return self.workdir / "process-logs"

    @property
    def password(self) -> str:
        return self._secrets["password"]

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for folder in (self.home, self.cohorts_dir, self.logs_dir, self.workdir / "airflow"):
            folder.mkdir(parents=True, exist_ok=True)
        self._secrets = {"password": secrets.token_urlsafe(12), "jwt": secrets.token_urlsafe(32),
                         "api": secrets.token_urlsafe(32), "app": "stack-" + secrets.token_hex(16)}
        from cryptography.fernet import Fernet

        self._secrets["fernet"] = Fernet.generate_key().decode()
        # Redis database numbers are shared with other users of the server: a unique queue keeps
        # this stack's tasks apart whatever database it lands on.
        self.redis_db = 8 + int(self.run_id[:2], 16) % 8
        self.queue = f"mentorflow-{self.run_id}"
        passwords = self.workdir / "simple_auth_passwords.json"
        passwords.write_text(json.dumps({ADMIN_USER: self.password}), encoding="utf-8")
        self._passwords_file = passwords

    def env(self) -> dict[str, str]:
        """The environment every component shares (the compose file's ``x-airflow-common``)."""
        pg = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]  # user@host:port
        plain = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "MENTORFLOW_"))}
        return {
            **plain,
            "AIRFLOW_HOME": str(self.workdir / "airflow"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__FERNET_KEY": self._secrets["fernet"],
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER":
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self._passwords_file),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}/{self.metadata_db}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}/{self.metadata_db}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": self._secrets["api"],
            "AIRFLOW__API_AUTH__JWT_SECRET": self._secrets["jwt"],
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(self.heartbeat_timeout_s),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            # cohort files appear while the stack runs: re-parse the one DAG file often (it reads YAML only)
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            f"AIRFLOW_CONN_{STORE_CONN_ID.upper()}": _with_database(
                PG_ADMIN_URL.replace("postgresql+psycopg2://", "postgresql://"), self.store_db),
            "MENTORFLOW_HOME": str(self.home),
            "MENTORFLOW_COHORTS_DIR": str(self.cohorts_dir),
            "MENTORFLOW_SECRET_KEY": self._secrets["app"],
            # the forms app (mounted in the api-server) delivers re-match events to this same Airflow
            "MENTORFLOW_AIRFLOW_URL": self.base_url,
            "MENTORFLOW_AIRFLOW_USERNAME": ADMIN_USER,
            "MENTORFLOW_AIRFLOW_PASSWORD": self.password,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"), os.environ.get("PYTHONPATH")])),
        }

    # -- databases -------------------------------------------------------------------------------

    def create_databases(self) -> None:
        """Fresh metadata and program-store databases (the compose init service does the same)."""
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in (self.metadata_db, self.store_db):
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()

    def drop_databases(self) -> None:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in (self.metadata_db, self.store_db):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def migrate(self, timeout_s: float = HANG_S) -> None:
        """``airflow db migrate`` and ``mentorflow db upgrade``, timed (the compose init service)."""
        self._run_timed("airflow db migrate", [sys.executable, "-m", "airflow", "db", "migrate"], timeout_s)
        self._run_timed("mentorflow db upgrade", [sys.executable, "-m", "mentorflow.cli.main", "db", "upgrade",
                                                  "--url", self.store_url], timeout_s)

    def _run_timed(self, label: str, argv: list[str], timeout_s: float) -> None:
        log = self.logs_dir / (label.replace(" ", "-") + ".log")
        started = time.monotonic()
        with log.open("w") as out:
            try:
                code = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=self.env(), cwd=self.workdir,
                                      timeout=timeout_s).returncode
            except subprocess.TimeoutExpired:
                raise StackError(f"{label} did not finish within {timeout_s:.0f}s\n{_tail(log)}") from None
        self.timings[label] = time.monotonic() - started
        if code:
            raise StackError(f"{label} failed (exit {code})\n{_tail(log)}")

    # -- processes -------------------------------------------------------------------------------

    def command(self, component: str) -> list[str]:
        airflow = [sys.executable, "-m", "airflow"]
        return {
            "api-server": [*airflow, "api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            "scheduler": [*airflow, "scheduler"],
            "dag-processor": [*airflow, "dag-processor"],
            "triggerer": [*airflow, "triggerer", "--skip-serve-logs"],
            "worker": [*airflow, "celery", "worker", "--concurrency", str(self.worker_concurrency),
                       "--queues", self.queue, "--skip-serve-logs", "--without-gossip", "--without-mingle",
                       "--celery-hostname", f"mentorflow-{self.run_id}@%h"],
        }[component]

    def start(self, component: str) -> None:
        """Start one component in its own process group, appending to its log."""
        log = (self.logs_dir / f"{component}.log").open("a")
        self.processes[component] = subprocess.Popen(
            self.command(component), stdout=log, stderr=subprocess.STDOUT, env=self.env(), cwd=self.workdir,
            start_new_session=True)
        log.close()

    def start_all(self, timeout_s: float = HANG_S) -> None:
        started = time.monotonic()
        for component in COMPONENTS:
            self.start(component)
        self.wait(lambda: self._api_ready(), timeout_s, "the api-server to answer")
        self.timings["start components"] = time.monotonic() - started

    def _api_ready(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=3).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, component: str, sig: int = signal.SIGKILL) -> int:
        """Signal a component's whole process group (``SIGKILL`` by default: a crash); returns its pid."""
        process = self.processes.pop(component)
        _signal_group(process.pid, sig)
        process.wait(timeout=30)
        return process.pid

    def stop(self, grace_s: float = 15) -> None:
        """Stop every component: SIGTERM to each process group, then SIGKILL what is left."""
        for process in self.processes.values():
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process.pid, signal.SIGKILL)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.processes.clear()

    def exited(self) -> dict[str, int]:
        """Components that have died, with their exit codes."""
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def log_tails(self, lines: int = 40) -> str:
        return "\n".join(_tail(log, lines) for log in sorted(self.logs_dir.glob("*.log")))

    def wait(self, predicate: Callable[[], T], timeout_s: float, what: str, every_s: float = 1.0) -> T:
        """Poll until ``predicate`` returns something truthy; on timeout or a dead component raise with logs."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = predicate()
            if value:
                return value
            dead = self.exited()
            if dead:
                raise StackError(f"while waiting for {what}: component(s) exited {dead}\n{self.log_tails()}")
            if time.monotonic() > deadline:
                raise StackError(f"timed out after {timeout_s:.0f}s waiting for {what}\n{self.log_tails()}")
            time.sleep(every_s)

    # -- REST API --------------------------------------------------------------------------------

    def token(self) -> str:
        """A JWT for the admin user from ``POST /auth/token`` (simple auth manager)."""
        if self._token is None:
            response = httpx.post(f"{self.base_url}/auth/token",
                                  json={"username": ADMIN_USER, "password": self.password}, timeout=120)
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.base_url}/api/v2{path}", timeout=120,
                                 headers={"Authorization": f"Bearer {self.token()}"}, **kwargs)
        if response.status_code >= 400:
            raise StackError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def dag_ids(self) -> list[str]:
        return [d["dag_id"] for d in self.api("GET", "/dags", params={"limit": 100})["dags"]]

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    @property
    def secret_key(self) -> str:
        """The key the stack signs participants' form links with."""
        return self._secrets["app"]

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100, "order_by": "run_after"})["dag_runs"]

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None,
                logical_date: dt.datetime | None = None) -> dict[str, Any]:
        body = {"conf": conf or {}, "logical_date": logical_date.isoformat() if logical_date else None}
        return self.api("POST", f"/dags/{dag_id}/dagRuns", json=body)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def pending_approvals(self) -> list[dict[str, Any]]:
        """Human-in-the-loop steps waiting for an answer, across every DAG."""
        return list(self.api("GET", "/dags/~/dagRuns/~/hitlDetails",
                             params={"response_received": "false"})["hitl_details"])

    def answer(self, detail: dict[str, Any], option: str) -> dict[str, Any]:
        ti = detail["task_instance"]
        path = (f"/dags/{ti['dag_id']}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/"
                f"{ti['map_index']}/hitlDetails")
        return self.api("PATCH", path, json={"chosen_options": [option]})


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return f"--- {path.name}: no log"
    return f"--- {path.name} (last {min(lines, len(text))} of {len(text)} lines)\n" + "\n".join(text[-lines:])
