"""The CLI finds the cohorts, the store and Airflow's home by itself (docs/settings.md, "Where the CLI looks").

Each test runs ``mentorflow`` as a subprocess from a checkout with a clean environment (no ``MENTORFLOW_*``, no
``AIRFLOW_HOME``): the checkout is a copy of this one's package (so it finds itself from its own files) with an
empty ``cohorts/`` folder, as a fresh clone has it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, write_cohort


@pytest.fixture
def checkout(tmp_path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "plugins", root / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("include", "dags"):
        (root / name).symlink_to(ROOT / name)
    (root / "cohorts").mkdir()
    (root / "cohorts" / "README.md").write_text("One YAML file per cohort.\n", encoding="utf-8")
    return root


def cli(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ["PATH"], "HOME": str(checkout.parent), "PYTHONPATH": str(checkout / "plugins"),
             "LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, "-m", "mentorflow.cli.main", *args], cwd=checkout, env=clean,
                          capture_output=True, text=True, timeout=600)


def demo_home(checkout: Path) -> Path:
    """What `mentorflow demo` leaves, in small: var/demo with a cohort file and an upgraded program store."""
    from mentorflow.store import Store

    home = checkout / "var" / "demo"
    (home / "cohorts").mkdir(parents=True)
    write_cohort(home / "cohorts", "demo-cohort")
    store = Store(f"sqlite:///{home / 'store.db'}")
    store.upgrade()
    return home


def test_a_fresh_checkout_says_where_it_looked(checkout):
    listed = cli(checkout, "cohort", "list")
    assert listed.returncode == 0, listed.stderr
    assert (f"no cohort files found; looked in {checkout / 'cohorts'} and {checkout / 'var' / 'demo' / 'cohorts'}"
            in listed.stdout)
    status = cli(checkout, "cohort", "status", "demo-cohort")
    assert status.returncode == 1
    assert "no such cohort file" in status.stderr and f"looked in {checkout / 'cohorts'}" in status.stderr


def test_after_the_demo_list_finds_the_demo_cohort_with_no_variables(checkout):
    home = demo_home(checkout)
    listed = cli(checkout, "cohort", "list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split()[0] for line in listed.stdout.splitlines() if not line.startswith(("#", "cohort "))]
    assert rows == ["demo-cohort"]
    assert f"cohorts in {home / 'cohorts'} (the demo's home" in listed.stdout


@pytest.mark.airflow
def test_after_the_demo_status_reads_the_demos_store_and_airflow_runs(checkout, airflow_db, monkeypatch):
    import pendulum
    from airflow.sdk import DAG, task
    from mentorflow.cohorts.loader import load_cohort
    from mentorflow.orchestration.wiring import dag_id
    from mentorflow.store import Store, people

    home = demo_home(checkout)
    monkeypatch.setenv("MENTORFLOW_COHORTS_DIR", str(home / "cohorts"))  # in this process: the DAG factory's cohorts
    (home / "airflow").symlink_to(airflow_db)  # the demo's Airflow home: this session's metadata database
    store = Store(f"sqlite:///{home / 'store.db'}")
    store.register_cohort(load_cohort(home / "cohorts" / "demo-cohort.yaml"))
    store.upsert(people, [{"cohort_id": "demo-cohort", "employee_id": f"E{i}", "full_name": f"P {i}",
                           "email": f"p{i}@example.com", "on_pip": False} for i in range(3)])
    with DAG(dag_id("demo-cohort", "open"), schedule=None, start_date=pendulum.datetime(2026, 1, 1)) as dag:
        @task
        def import_roster():
            return {"people": 3}

        import_roster()
    dag.test(logical_date=pendulum.datetime(2026, 1, 5, 9))

    status = cli(checkout, "cohort", "status", "demo-cohort")
    assert status.returncode == 0, status.stderr
    rows = {line.split()[0]: line.split() for line in status.stdout.splitlines() if line.strip()}
    assert rows["people"] == ["people", "3"]
    assert rows["open"][5:8] == ["success", "people", "3"]
    assert rows["match"][1:3] == ["never", "run"]
    assert f"Airflow home {home / 'airflow'}" in status.stdout


def test_the_checkouts_own_cohorts_win_and_the_demo_is_named(checkout):
    home = demo_home(checkout)
    write_cohort(checkout / "cohorts", "spring-2027")
    listed = cli(checkout, "cohort", "list")
    assert [line.split()[0] for line in listed.stdout.splitlines() if not line.startswith(("#", "cohort "))] == [
        "spring-2027"]
    assert f"the demo's cohorts are in {home / 'cohorts'}: `mentorflow --home {home} …`" in listed.stdout
    demo = cli(checkout, "--home", str(home), "cohort", "list")
    assert [line.split()[0] for line in demo.stdout.splitlines() if not line.startswith(("#", "cohort "))] == [
        "demo-cohort"]


def test_the_rule_in_the_settings_object(tmp_path):
    from mentorflow.settings import Settings

    project = tmp_path / "project"
    (project / "var" / "demo" / "cohorts").mkdir(parents=True)
    (project / "var" / "demo" / "airflow").mkdir()
    (project / "cohorts").mkdir()
    checkout = Settings(project_dir=project, cohorts_dir=None, home=None)
    assert not checkout.locate({}).found
    (project / "var" / "demo" / "cohorts" / "demo-cohort.yaml").write_text("cohort: demo-cohort\n")
    demo = checkout.locate({})
    assert (demo.cohorts_dir, demo.home, demo.airflow_home) == (
        project / "var" / "demo" / "cohorts", project / "var" / "demo", project / "var" / "demo" / "airflow")
    assert checkout.locate({"AIRFLOW_HOME": "/elsewhere"}).airflow_home == Path("/elsewhere")  # explicit wins
    named = Settings(project_dir=project, cohorts_dir=tmp_path / "mine", home=None).locate({})
    assert named.cohorts_dir == tmp_path / "mine" and named.why == "set by MENTORFLOW_COHORTS_DIR"
    (project / "cohorts" / "own.yml").write_text("cohort: own\n")
    own = checkout.locate({})
    assert own.cohorts_dir == project / "cohorts" and own.other == project / "var" / "demo"
