"""``mentorflow demo`` as a user runs it, and the Airflow API server it starts.

The demo runs in a child process (it configures Airflow for its own folder, and Airflow reads its configuration once
per process). It must end with exit 0, and its committee must have answered both reviews through the console: the
reviewers' votes and the audit trail in the program store, and Airflow's HITL record naming the deciding reviewer.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys

import httpx
import pytest
import sqlalchemy as sa
from child_output import lines_of, read_until
from conftest import ROOT

from mentorflow.demo.airflow_server import AirflowServer, ServerFailed, simple_auth
from mentorflow.demo.run import MARKER, clear_home

COHORT = "demo-cohort"
STAGE_2_WITHIN = 900  # seconds: a child silent for longer before its second stage has hung (a hang fails, no timing)


def test_a_server_that_cannot_start_fails_naming_its_log(tmp_path):
    env, passwords = simple_auth(tmp_path / "passwords.json", {"admin": "admin", "ann": "user"})
    assert stat.S_IMODE(os.stat(tmp_path / "passwords.json").st_mode) == 0o600
    assert json.loads((tmp_path / "passwords.json").read_text()) == passwords and len(set(passwords.values())) == 2
    broken = {**os.environ, **env, "AIRFLOW__CORE__AUTH_MANAGER": "no.such.module.AuthManager"}
    server = AirflowServer(broken, tmp_path / "logs" / "api-server.log", hang_after=300)
    with server, pytest.raises(ServerFailed, match=re.escape(str(tmp_path / "logs" / "api-server.log"))):
        server.wait_ready()
    assert not server.running
    server.stop()  # again: nothing to do


def test_the_demo_never_deletes_a_folder_it_did_not_make(tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.md").write_text("months of work")
    with pytest.raises(SystemExit, match=r"thesis is not empty and is not a demo folder .*--home"):
        clear_home(mine)
    assert (mine / "chapter1.md").read_text() == "months of work"

    for made_by in ("demo", "older demo"):  # a folder a demo made (an older one had no marker) is cleared
        home = tmp_path / made_by
        (home / "cohorts").mkdir(parents=True)
        (home / ("cohorts/demo-cohort.yaml" if made_by == "older demo" else MARKER)).write_text("")
        (home / "store.db").write_text("old")
        clear_home(home)
        assert sorted(p.name for p in home.iterdir()) == sorted(["cohorts", MARKER])
    empty = tmp_path / "empty"
    empty.mkdir()
    clear_home(empty)
    assert (empty / MARKER).exists()


def test_a_demo_home_that_is_someone_elses_folder_stops_the_demo_before_anything_runs(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"),
                                                                      os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "mentorflow.cli.main", "demo", "--home", str(mine), "--no-serve"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "is not a demo folder" in run.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_a_child_silent_before_the_awaited_line_fails_the_wait_instead_of_hanging_it():
    """The Ctrl-C test below once read the demo's output in an unbounded loop: a demo hung before its second
    stage held the suite forever. Its reads go through :func:`read_until`, which gives up after its deadline."""
    child = subprocess.Popen([sys.executable, "-c", "import time; print('[ 1/23] open', flush=True); time.sleep(120)"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        with pytest.raises(AssertionError, match=r"(?s)nothing more within 1 s.*\[ 1/23\] open"):
            read_until(lines_of(child), "[ 2/", within=1)
    finally:
        child.kill()
        child.wait()


@pytest.mark.slow
@pytest.mark.airflow
def test_ctrl_c_while_the_stages_run_stops_the_demo_and_its_server(tmp_path, progress):
    """Ctrl-C inside a stage used to fail the running task, which then waited for its retry: the demo hung."""
    progress("demo: Ctrl-C during `mentorflow demo --people 40 --no-serve` …")
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "mentorflow.cli.main", "demo", "--home", str(tmp_path / "d"),
                                "--people", "40", "--no-serve"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        output = lines_of(process)
        said = read_until(output, "[ 2/", STAGE_2_WITHIN)  # the second stage's tasks are running
        url = re.search(r"Airflow API server starting at (http://127\.0\.0\.1:(\d+))", said)
        assert url, said[-3000:]
        process.send_signal(signal.SIGINT)
        rest = read_until(output, None, 300)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = said + rest
    assert process.returncode == 130, text[-3000:]
    assert "the demo stops after the current stage" in text and "interrupted: stopped before stage" in text
    assert "Done in" not in text
    with pytest.raises(httpx.TransportError):  # the API server the demo started is gone
        httpx.get(f"{url.group(1)}/api/v2/monitor/health", timeout=5)


@pytest.mark.slow
@pytest.mark.airflow
def test_the_demo_ends_well_and_its_committee_votes_through_the_console(tmp_path, progress):
    home = tmp_path / "demo"
    progress("demo: `mentorflow demo --people 120 --no-serve` in a child process …")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "plugins"),
                                                                      os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "mentorflow.cli.main", "demo", "--home", str(home), "--people", "120",
                          "--no-serve"],
                         env=env, capture_output=True, text=True, timeout=1800)
    said = run.stdout
    assert run.returncode == 0, said[-4000:] + run.stderr[-4000:]

    assert "approved automatically" not in said
    assert "DeprecationWarning" not in said + run.stderr  # third-party chatter stays out of the progress lines
    for review in ("match", "midpoint"):
        assert (f"committee: ann approved, ben approved -> approved; the {review} review was answered through the "
                "console") in said
    passwords = json.loads((home / "airflow-passwords.json").read_text())
    assert set(passwords) == {"admin", "ann", "ben", "cai"}
    assert stat.S_IMODE(os.stat(home / "airflow-passwords.json").st_mode) == 0o600
    assert not any(password in said for password in passwords.values())

    store = sa.create_engine(f"sqlite:///{home / 'store.db'}")
    with store.connect() as conn:
        votes = {(r.round, r.reviewer): (r.decision, r.comment) for r in conn.execute(sa.text(
            "select round, reviewer, decision, comment from committee_votes where cohort_id = :c"), {"c": COHORT})}
        audit = sorted((r.round, r.actor, json.loads(r.detail_json)["outcome"]) for r in conn.execute(sa.text(
            "select round, actor, detail_json from committee_audit where cohort_id = :c and action = 'vote'"),
            {"c": COHORT}))
    store.dispose()
    assert set(votes) == {("initial", "ann"), ("initial", "ben"), ("midpoint", "ann"), ("midpoint", "ben")}
    assert all(decision == "approve" and "demo reviewer" in comment for decision, comment in votes.values())
    assert audit == [("initial", "ann", "pending"), ("initial", "ben", "approved"),
                     ("midpoint", "ann", "pending"), ("midpoint", "ben", "approved")]

    metadata = sa.create_engine(f"sqlite:///{home / 'airflow' / 'airflow.db'}")
    with metadata.connect() as conn:
        answered = {r.dag_id: (json.loads(r.responded_by), json.loads(r.chosen_options)) for r in conn.execute(sa.text(
            "select ti.dag_id, h.responded_by, h.chosen_options from hitl_detail h "
            "join task_instance ti on ti.id = h.ti_id where ti.task_id = 'committee_approval'"))}
    metadata.dispose()
    assert answered == {f"mentorflow__{COHORT}__{stage}": ({"id": "ben", "name": "ben"}, ["Approve"])
                        for stage in ("match", "midpoint")}

    url = re.search(r"Airflow API server starting at (http://127\.0\.0\.1:\d+)", said).group(1)
    with pytest.raises(httpx.ConnectError):  # stopped with the demo
        httpx.get(f"{url}/api/v2/monitor/health", timeout=5)


def test_the_live_and_running_cohorts_keep_every_person_of_their_roster_slice(tmp_path):
    """The served demo's small cohorts take slices of the demo's roster (300 people by default). A person whose
    manager fell outside the slice was held by the roster gate ("manager_id is not in the roster"): the running
    cohort kept 7 of its 40 people, made no pair, and the demo printed no pulse or partnership link for it."""
    from conftest import ready_store, run_of
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.demo import serve
    from mentorflow.demo.synthetic import write_population
    from mentorflow.stages import open as open_stage
    from mentorflow.store import quarantine

    (tmp_path / "cohorts").mkdir(exist_ok=True)
    roster, apps = write_population(tmp_path / "data", 300, seed=7)
    for path, size in zip(serve.write_live_cohorts(tmp_path, roster, apps, "http://127.0.0.1:8080/mentorflow"),
                          (serve.LIVE_PEOPLE, serve.RUNNING_PEOPLE)):
        config = load_cohort(path)
        store = ready_store(config)
        store.register_cohort(config)
        imported = open_stage.import_roster(run_of(config, store, config.calendar.application_open.date()))
        held = [q["reason"] for q in store.rows(quarantine, cohort_id=config.cohort, gate="roster")]
        assert imported["people"] == size and not any("known_managers" in r for r in held), (config.cohort, held[:3])
        store.engine.dispose()
