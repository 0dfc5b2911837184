"""A real ``airflow api-server`` for tests, started one way: on a loopback port, in its own process group,
waited for until its health endpoint answers, and stopped (SIGTERM, then SIGKILL) when the block ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


@contextlib.contextmanager
def api_server(env: dict[str, str], port: int, log_path: Path, *, hang_after: float = 300) -> Iterator[str]:
    """The server's base URL while the block runs. Only a hang fails it (``hang_after`` seconds without an
    answer): no timing is asserted."""
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "-H", "127.0.0.1", "-p", str(port),
                                   "-w", "1", "--apps", "core"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            deadline = time.monotonic() + hang_after
            while True:
                try:
                    if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert server.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, f"Airflow API server did not start in {hang_after:.0f} s"
                time.sleep(1)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
