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


def test_a_key_repeated_within_one_upsert_keeps_what_writing_one_row_at_a_time_keeps(store, config):
    """One multi-row statement may touch a row only once (PostgreSQL refuses it otherwise): updating keeps the
    last of a repeated key, inserting only the first, as separate statements would."""
    store.register_cohort(config)
    rows = [_person("E1", level=1), _person("E2", level=1), _person("E1", level=2), _person("E1", level=3)]
    store.upsert(people, rows)
    assert {r["employee_id"]: r["level"] for r in store.rows(people)} == {"E1": 3, "E2": 1}
    store.upsert(people, [_person("E3", level=1), _person("E3", level=2)], update=False)
    assert store.rows(people, employee_id="E3")[0]["level"] == 1


def test_an_upsert_on_postgresql_sends_many_rows_per_statement(store, config):
    """Without RETURNING, SQLAlchemy hands an ``ON CONFLICT`` upsert to psycopg2's executemany, which sends one
    statement and waits for one round trip per row (17 ms for 25 rows of a form post's batch here)."""
    import sqlalchemy as sa

    if store.dialect != "postgresql":
        pytest.skip("SQLite's executemany runs in-process: no round trips to save")
    store.register_cohort(config)
    sent: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO people"):
            sent.append((statement, executemany))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.upsert(people, [_person(f"E{i}") for i in range(2_500)])
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    assert store.count(people) == 2_500
    rendered = [statement.count("%(employee_id") for statement, _ in sent]  # rows written out in each statement
    assert len(sent) <= 3 and sum(rendered) == 2_500, rendered  # pages of at most 1,000 rows


def test_among_on_postgresql_is_not_unpacked_again_for_every_row(store, config):
    """On a table the planner has no statistics for yet, a JSON list joined as a set-returning function was
    unpacked again for each of the table's rows (a nested loop: 10 ms for 25 values among 2,000 people)."""
    import sqlalchemy as sa

    if store.dialect != "postgresql":
        pytest.skip("the plan in question is PostgreSQL's")
    store.register_cohort(config)
    store.upsert(people, [_person(f"E{i}") for i in range(2_000)])
    stmt = sa.select(people.c.employee_id).where(people.c.cohort_id == config.cohort,
                                                 store.among(people.c.employee_id, [f"E{i}" for i in range(25)]))
    with store.engine.connect() as conn:
        plan = "\n".join(r[0] for r in conn.execute(sa.text("EXPLAIN ANALYZE " + str(stmt.compile(
            store.engine, compile_kwargs={"literal_binds": True})))))
        assert len(conn.execute(stmt).fetchall()) == 25
    assert "Loop" not in plan and "Join" not in plan, plan


def test_a_bulk_upsert_of_its_own_refreshes_the_planners_statistics_on_postgresql(store, config):
    """A stage that reads a table right after a bulk load planned it as empty (no statistics until autovacuum
    came by): the first applications gate after loading 100,000 applications ran 1.3 s slower."""
    import sqlalchemy as sa

    if store.dialect != "postgresql":
        pytest.skip("SQLite's planner keeps no statistics of this kind")
    store.register_cohort(config)
    store.upsert(people, [_person(f"E{i}") for i in range(10_000)])
    with store.engine.connect() as conn:
        known = conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'people'")).scalar_one()
    assert known == 10_000


def test_a_failed_write_names_no_ones_answers_in_its_error(store, config):
    """A database error's text is logged (the forms app's 503): with a batch of posts in one statement it
    would have carried every applicant's answers; the store's engine keeps the parameters out of it."""
    import sqlalchemy as sa

    store.register_cohort(config)
    secret = "my private goal: leave this team"
    with pytest.raises(sa.exc.DBAPIError) as failed:
        store.upsert(applications, [{"cohort_id": "no-such-cohort", "employee_id": "E1", "role": "mentee",
                                     "goals": secret, "source": "form", "status": "received",
                                     "submitted_at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)}])
    assert secret not in str(failed.value)
