import datetime as dt

import pytest
from conftest import write_cohort
from mentorflow import settings
from mentorflow.cohorts.loader import load_cohort
from mentorflow.store import Store, applications, cohorts, ddl, email_ledger, people


@pytest.fixture
def config(cohorts_dir):
    return load_cohort(write_cohort(cohorts_dir))


def _person(employee_id: str, **kw):
    return {"cohort_id": "test-cohort", "employee_id": employee_id, "full_name": f"Person {employee_id}",
            "email": f"{employee_id}@example.com", "level": 3, "on_pip": False,
            "hire_date": dt.date(2020, 1, 2), **kw}


def test_round_trip_keeps_types(store, config):
    store.register_cohort(config)
    store.upsert(people, [_person("E1", manager_id=None), _person("E2", manager_id="E1", on_pip=True)])
    rows = {r["employee_id"]: r for r in store.rows(people, cohort_id="test-cohort")}
    assert rows["E2"]["manager_id"] == "E1"
    assert rows["E2"]["on_pip"] is True and rows["E1"]["on_pip"] is False
    assert rows["E1"]["hire_date"] == dt.date(2020, 1, 2)
    assert rows["E1"]["level"] == 3


def test_upsert_updates_or_keeps_on_conflict(store, config):
    store.register_cohort(config)
    base = {"cohort_id": "test-cohort", "employee_id": "E1", "role": "mentee", "goals": "first", "source": "form",
            "status": "received", "submitted_at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)}
    store.upsert(applications, [base])
    store.upsert(applications, [{**base, "goals": "csv copy", "source": "csv"}], update=False)
    assert store.rows(applications)[0]["goals"] == "first"
    store.upsert(applications, [{**base, "goals": "edited"}])
    assert store.rows(applications)[0]["goals"] == "edited"
    assert store.count(applications, cohort_id="test-cohort") == 1


def test_each_upsert_updates_the_columns_it_names_although_statements_are_built_once(store, config):
    """The upsert statement is kept per table and column set: a later call with other columns or other
    values must not reuse what an earlier call set."""
    store.register_cohort(config)
    base = {"cohort_id": "test-cohort", "employee_id": "E1", "role": "mentee", "goals": "first", "source": "form",
            "status": "received", "submitted_at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)}
    store.upsert(applications, [base])
    store.upsert(applications, [{**base, "goals": "second", "status": "changed"}], update_columns=("goals",))
    [row] = store.rows(applications)
    assert (row["goals"], row["status"]) == ("second", "received")
    store.upsert(applications, [{**base, "goals": "third", "status": "changed"}])
    [row] = store.rows(applications)
    assert (row["goals"], row["status"]) == ("third", "changed")
    store.upsert(applications, [{"cohort_id": "test-cohort", "employee_id": "E1", "goals": "fourth"}])
    [row] = store.rows(applications)
    assert (row["goals"], row["status"], row["source"]) == ("fourth", "changed", "form")


def test_registering_a_cohort_again_keeps_its_created_at(store, config):
    store.register_cohort(config)
    [first] = store.rows(cohorts)
    again = config.model_copy(update={"name": "Renamed Cohort"})
    store.register_cohort(again)
    [second] = store.rows(cohorts)
    assert second["created_at"] == first["created_at"]
    assert second["name"] == "Renamed Cohort" and second["config_json"] == again.model_dump_json()


def test_the_gateway_has_no_stage_run_bookkeeping_left():
    """Stage runs are Airflow's to keep (``mentorflow cohort status`` reads them there)."""
    left = {"stage_started", "stage_step_done", "stage_failed", "last_stage_runs", "_stage_update", "_stage_summary"}
    assert left.isdisjoint(dir(Store))


def test_bulk_upsert_of_many_rows(store):
    rows = [{"cohort_id": "test-cohort", "person_id": f"P{i}", "template": "pulse", "period": "pulse-1",
             "recipient": f"p{i}@example.com", "status": "pending", "backend": "outbox", "attempts": 0,
             "updated_at": dt.datetime.now(dt.timezone.utc)} for i in range(12_000)]
    assert store.upsert(email_ledger, rows) == 12_000
    assert store.count(email_ledger, template="pulse") == 12_000


def test_among_names_any_number_of_values_in_one_parameter(store, config):
    """More values than SQLite binds to one statement (32,766), quotes and unknown ids included, on both stores."""
    import sqlalchemy as sa

    store.register_cohort(config)
    store.upsert(people, [_person(f"E{i}") for i in range(3)] + [_person("O'Brien")])
    wanted = ["E0", "O'Brien", *(f"X{i}" for i in range(40_000))]
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(people.c.employee_id).where(people.c.cohort_id == config.cohort,
                                                                   store.among(people.c.employee_id, wanted)))
        assert sorted(r[0] for r in found) == ["E0", "O'Brien"]
        none = sa.select(people.c.employee_id).where(store.among(people.c.employee_id, []))
        assert conn.execute(none).fetchall() == []


def test_default_store_is_a_sqlite_file_in_mentorflow_home(mentorflow_home):
    store = Store()
    store.upgrade()
    assert store.dialect == "sqlite"
    assert (mentorflow_home / "store.db").exists()


def test_store_url_setting_overrides_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("MENTORFLOW_STORE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    assert Store().url == f"sqlite:///{tmp_path / 'elsewhere.db'}"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_committed_ddl_matches_the_table_definitions(dialect):
    committed = (settings.sql_dir() / f"schema.{dialect}.sql").read_text(encoding="utf-8")
    assert committed == ddl(dialect), "run `mentorflow db ddl --write` and commit include/sql/"


def test_a_throw_away_store_does_not_wait_for_the_disk_and_a_real_one_does(tmp_path):
    def synchronous(store: Store) -> int:
        with store.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA synchronous").scalar()

    real, throw_away = Store(f"sqlite:///{tmp_path / 'real.db'}"), Store(f"sqlite:///{tmp_path / 'w.db'}", durable=False)
    try:
        assert synchronous(real) == 2  # FULL: the program store flushes every commit
        assert synchronous(throw_away) == 0  # OFF: a what-if's store
        throw_away.upgrade()  # the same migrations, to the same head
        assert throw_away.status().ready
    finally:
        real.engine.dispose()
        throw_away.engine.dispose()
