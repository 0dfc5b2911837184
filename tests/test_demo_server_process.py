"""The demo's API server process is Airflow's command line with the demo's garbage collection: a young
generation collected every ``collecting.YOUNG`` allocations, and everything frozen at exit, after Airflow's own
exit handlers."""

from __future__ import annotations

import gc
import sys

import airflow.__main__
from mentorflow.demo import airflow_server, collecting, server_process


def test_the_server_process_runs_airflows_command_line_with_the_demos_collection(monkeypatch):
    seen, at_exit = {}, []
    monkeypatch.setattr(airflow.__main__, "main", lambda: seen.update(threshold=gc.get_threshold(), argv=sys.argv[:]))
    monkeypatch.setattr(server_process.atexit, "register", at_exit.append)
    monkeypatch.setattr(sys, "argv", ["server_process.py", "api-server", "-p", "8080"])
    before = gc.get_threshold()
    try:
        server_process.main()
    finally:
        gc.set_threshold(*before)
    assert seen["threshold"] == (collecting.YOUNG, *before[1:])
    assert seen["argv"] == ["airflow", "api-server", "-p", "8080"]
    assert at_exit == [gc.freeze]


def test_the_demo_and_the_tests_start_the_server_through_it(tmp_path, monkeypatch):
    started = {}

    class Process:
        pid = 0

    def popen(args, **kwargs):
        started["args"] = args
        return Process()

    monkeypatch.setattr(airflow_server.subprocess, "Popen", popen)
    monkeypatch.setattr(airflow_server.atexit, "register", lambda *a: None)
    airflow_server.AirflowServer({}, tmp_path / "api-server.log", port=8080).start()
    assert started["args"][1:4] == ["-m", "mentorflow.demo.server_process", "api-server"]


def test_fewer_collections_changes_only_the_youngest_generations_threshold():
    before = gc.get_threshold()
    try:
        collecting.fewer_collections()
        assert gc.get_threshold() == (collecting.YOUNG, *before[1:]) and collecting.YOUNG > before[0]
    finally:
        gc.set_threshold(*before)
