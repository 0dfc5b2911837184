"""A real ``airflow api-server`` for tests, started the product's one way (mentorflow.demo.airflow_server: a loopback
port, its own process group, waited for until its health endpoint answers, stopped with SIGTERM then SIGKILL)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from mentorflow.demo.airflow_server import AirflowServer


@contextlib.contextmanager
def api_server(env: dict[str, str], port: int, log_path: Path, *, hang_after: float = 300) -> Iterator[str]:
    """The server's base URL while the block runs. Only a hang fails it (``hang_after`` seconds without an
    answer): no timing is asserted."""
    with AirflowServer(env, log_path, port=port, hang_after=hang_after) as server:
        yield server.wait_ready()
