"""A real ``airflow api-server`` in a child process, started one way for the demo and the tests (through
:mod:`.server_process`: Airflow's command line with garbage collection fitted to its boot and its exit).

It listens on 127.0.0.1 (a free port unless one is given) and runs in its own process group, so a Ctrl-C in the
terminal reaches only the parent, which stops it. Its output goes to a log file. :meth:`AirflowServer.start`
returns at once (the server takes a while to boot: start it early); :meth:`AirflowServer.wait_ready` waits, bounded,
until its health endpoint answers and raises :class:`ServerFailed` naming the log file when the server exits or
never answers. :meth:`AirflowServer.stop` sends SIGTERM to the group, then SIGKILL after a grace period; it runs
at interpreter exit too, and a stopped server can be started again. On Linux the kernel also sends the server
SIGTERM when its parent dies without stopping it (killed by a signal whose handler Airflow's task code reset, or
crashed), so it never outlives the demo.

:func:`simple_auth` is the SimpleAuthManager configuration for named users: passwords generated into a JSON file
only its owner may read (mode 0600), and a JWT secret of its own. :func:`login` gets a user's token
(``POST /auth/token``), as Airflow's login page does.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"


PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for the child when its parent dies


class ServerFailed(RuntimeError):
    """The API server did not come up, or refused a login; the message says why and where its log is."""


def _terminate_with_parent():
    """On Linux, a ``preexec_fn`` that has the kernel send the server SIGTERM when its parent dies, however it
    dies (a SIGTERM or SIGKILL that skips ``finally`` blocks, a crash): it never outlives the demo. None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, before the fork
    except (OSError, AttributeError):
        return None

    def set_parent_death_signal() -> None:
        with contextlib.suppress(Exception):
            prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))

    return set_parent_death_signal


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_passwords(path: Path, users: dict[str, str]) -> dict[str, str]:
    """A generated password for each user (name -> role), written as SimpleAuthManager reads them: a JSON object in
    a file created with mode 0600 (never readable by others, not even for a moment)."""
    passwords = {user: secrets.token_urlsafe(12) for user in users}
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its mode otherwise
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(passwords, out, indent=1)
    return passwords


def simple_auth(passwords_file: Path, users: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The environment of an API server whose SimpleAuthManager knows ``users`` (name -> role: admin, user,
    viewer, ...) and the users' passwords, written to ``passwords_file`` first."""
    passwords = write_passwords(passwords_file, users)
    env = {
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in users.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
    }
    return env, passwords


def login(url: str, user: str, password: str, timeout: float = 30) -> str:
    """``user``'s Airflow token (``POST /auth/token``); never logged."""
    try:
        answer = httpx.post(f"{url}/auth/token", json={"username": user, "password": password}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ServerFailed(f"Airflow at {url} did not answer the login of {user}: {type(exc).__name__}") from None
    if answer.status_code not in (200, 201):
        raise ServerFailed(f"Airflow at {url} refused the login of {user}: HTTP {answer.status_code}")
    return answer.json()["access_token"]


class AirflowServer:
    """One ``airflow api-server`` process (``env`` is its whole environment)."""

    def __init__(self, env: dict[str, str], log_path: Path, *, port: int | None = None, apps: str = "core",
                 hang_after: float = 300):
        self.env, self.log_path, self.apps, self.hang_after = env, Path(log_path), apps, hang_after
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> AirflowServer:
        """Start the process (once) and return without waiting for it."""
        if self.process is None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "w") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "mentorflow.demo.server_process", "api-server", "-H", "127.0.0.1",
                     "-p", str(self.port), "-w", "1", "--apps", self.apps],
                    env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True, preexec_fn=_terminate_with_parent())
            atexit.register(self.stop)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float | None = None) -> str:
        """The base URL once the health endpoint answers 200; :class:`ServerFailed` when the process exits or
        ``timeout`` (default ``hang_after``) seconds pass first. Cheap once the server is up."""
        if self.process is None:
            raise ServerFailed("the Airflow API server was not started")
        limit = self.hang_after if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            try:
                if httpx.get(f"{self.url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise ServerFailed(f"the Airflow API server exited (code {self.process.returncode}) before it "
                                   f"answered; see its log {self.log_path}:\n{self.log_tail()}")
            if time.monotonic() >= deadline:
                raise ServerFailed(f"the Airflow API server at {self.url} did not answer within {limit:.0f} s; "
                                   f"see its log {self.log_path}")
            time.sleep(0.5)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, grace: float = 30) -> None:
        """SIGTERM to the server's process group, SIGKILL after ``grace`` seconds; safe to call again."""
        process, self.process = self.process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:  # the whole group is gone already
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # what is left of the group (a worker that outlived its parent)
        except ProcessLookupError:
            pass
        process.wait()

    def __enter__(self) -> AirflowServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
