"""The demo's shortcuts around Airflow's metadata: a DAG folder parsed and written once per lifecycle while its
files are unchanged, and SQLite commits that do not wait for the disk (in the demo's process only)."""

from __future__ import annotations

import inspect

import pytest
import sqlalchemy as sa

from mentorflow.demo import metadata


def test_dag_test_still_parses_and_writes_through_the_functions_parsed_once_replaces():
    """:func:`metadata.parsed_once` replaces two names of ``airflow.dag_processing.dagbag`` that ``dag.test``
    imports at each call: an Airflow whose ``dag.test`` stops doing so must fail here, not slow down silently."""
    from airflow.sdk.definitions.dag import DAG

    assert "from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db" in inspect.getsource(DAG.test)


def test_a_dag_folder_is_parsed_and_written_once_until_a_dag_or_cohort_file_changes(tmp_path, monkeypatch):
    from airflow.dag_processing import dagbag as module

    parsed, written = [], []

    class Bag:
        def __init__(self, **where):
            parsed.append(where)

    def sync(bag, bundle_name, bundle_version, **_):
        written.append((bag, bundle_name, bundle_version))

    monkeypatch.setattr(module, "BundleDagBag", Bag)
    monkeypatch.setattr(module, "sync_bag_to_db", sync)
    dags, cohorts = tmp_path / "dags", tmp_path / "cohorts"
    dags.mkdir()
    cohorts.mkdir(exist_ok=True)
    monkeypatch.setenv("MENTORFLOW_COHORTS_DIR", str(cohorts))
    (dags / "cohorts.py").write_text("build = 1\n")
    (cohorts / "a.yaml").write_text("cohort: a\n")

    def dag_test() -> None:  # what each dag.test call of Airflow 3.3 does with the DAG folder
        bag = module.BundleDagBag(dag_folder=dags, bundle_path=dags, bundle_name="dags-folder")
        module.sync_bag_to_db(bag, "dags-folder", None)

    with metadata.parsed_once():
        dag_test()
        dag_test()
        assert (len(parsed), len(written)) == (1, 1)
        (cohorts / "a.yaml").write_text("cohort: a\nname: A, renamed\n")
        dag_test()
        dag_test()
        assert (len(parsed), len(written)) == (2, 2) and written[1][0] is not written[0][0]
        (cohorts / "b.yaml").write_text("cohort: b\n")  # a new cohort: its DAGs must reach the database
        dag_test()
        (dags / "cohorts.py").write_text("build = 2\n")
        dag_test()
        assert (len(parsed), len(written)) == (4, 4)
    assert module.BundleDagBag is Bag and module.sync_bag_to_db is sync  # put back
    dag_test()
    assert (len(parsed), len(written)) == (5, 5)  # outside the block: every call parses and writes, as before


def test_sqlite_commits_stop_waiting_for_the_disk_only_after_the_demo_asks(tmp_path):
    def pragmas(engine: sa.Engine) -> tuple:
        with engine.connect() as conn:
            found = (conn.exec_driver_sql("PRAGMA journal_mode").scalar(),
                     conn.exec_driver_sql("PRAGMA synchronous").scalar())
        engine.dispose()
        return found

    assert pragmas(sa.create_engine(f"sqlite:///{tmp_path / 'before.db'}"))[1] == 2  # FULL: SQLite's default
    try:
        metadata.quick_commits()
        metadata.quick_commits()  # once is enough; twice changes nothing
        assert pragmas(sa.create_engine(f"sqlite:///{tmp_path / 'demo.db'}")) == ("wal", 1)  # NORMAL
    finally:
        sa.event.remove(sa.engine.Engine, "connect", metadata._no_flush_wait)
    assert pragmas(sa.create_engine(f"sqlite:///{tmp_path / 'after.db'}"))[1] == 2


@pytest.mark.parametrize("missing", ["dags", "cohorts"])
def test_the_fingerprint_of_a_missing_folder_is_empty_not_an_error(tmp_path, monkeypatch, missing):
    monkeypatch.setenv("MENTORFLOW_COHORTS_DIR", str(tmp_path / ("nowhere" if missing == "cohorts" else "c")))
    assert metadata.fingerprint(tmp_path / ("nowhere" if missing == "dags" else "d"))[1:] == ()
