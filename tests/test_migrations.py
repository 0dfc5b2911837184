"""The program store's migrations: a 0.1.0 store upgrades and keeps its data; the migrations and
``tables.py`` agree; tasks refuse a store that is behind.

Every test runs on SQLite and on a fresh PostgreSQL database of its own (dropped afterwards).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import PG_ADMIN_URL, _postgres_reachable, write_cohort
from mentorflow.cohorts.loader import load_cohort
from mentorflow.errors import StoreNotReady
from mentorflow.store import Store, cohorts, metadata, migrate, people
from mentorflow.store.gateway import _READY

DATA = Path(__file__).parent / "data"
UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
KEPT = ("cohorts", "people", "applications", "matches", "email_ledger")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """The URL of an empty database: an SQLite file, or a PostgreSQL database made for this test
    (its URL carries a password, which messages must hide; the server trusts local users)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    reason = _postgres_reachable()
    if reason:
        pytest.skip(reason)
    name = f"mentorflow_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_ADMIN_URL).set(database=name)
    if url.password is None:
        url = url.set(password="not-shown-anywhere")
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def store(empty_url):
    s = Store(empty_url)
    yield s
    s.engine.dispose()


def _run_sql_file(engine: sa.Engine, path: Path) -> None:
    statements = [s.strip() for s in path.read_text(encoding="utf-8").split(";\n") if s.strip()]
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def _reflected(conn: sa.Connection) -> dict[str, sa.Table]:
    meta = sa.MetaData()
    meta.reflect(conn)
    return dict(meta.tables)


def _snapshot(engine: sa.Engine) -> dict[str, list[dict]]:
    """Every row of every table (but the migration history), in key order, read through reflection."""
    with engine.connect() as conn:
        tables = _reflected(conn)
        return {
            name: [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
            for name, t in tables.items() if name != "alembic_version"
        }


def make_0_1_0_store(engine: sa.Engine) -> dict[str, list[dict]]:
    """A store as mentorflow 0.1.0 left it: its committed DDL, a few rows in six tables; returns a snapshot."""
    _run_sql_file(engine, DATA / f"schema-0.1.0.{engine.dialect.name}.sql")
    rows = {
        "cohorts": [{"cohort_id": "spring-2026", "name": "Spring 2026", "program_type": "traditional",
                     "config_json": '{"cohort": "spring-2026"}', "created_at": T0}],
        "people": [{"cohort_id": "spring-2026", "employee_id": f"E{i}", "full_name": f"Person {i}",
                    "email": f"p{i}@example.com", "department": "Eng", "level": i, "manager_id": "E1" if i > 1 else None,
                    "hire_date": dt.date(2020, 1, i), "on_pip": i == 3, "eligible": i != 3,
                    "eligibility_reason": "pip" if i == 3 else "ok"} for i in (1, 2, 3)],
        "applications": [{"cohort_id": "spring-2026", "employee_id": employee, "role": role, "goals": "grow",
                          "tipi_1": 5, "hours_per_month": 2.5, "source": "form", "status": "valid",
                          "submitted_at": T0 + dt.timedelta(hours=1)} for employee, role in (("E1", "mentor"),
                                                                                             ("E2", "mentee"))],
        "matches": [{"cohort_id": "spring-2026", "round": "initial", "mentor_id": "E1", "mentee_id": "E2",
                     "score": 0.81, "explanation": "skills", "components_json": '{"skills": 0.9}',
                     "status": "active", "created_at": T0 + dt.timedelta(days=1)}],
        "email_ledger": [{"cohort_id": "spring-2026", "person_id": "E1", "template": "kickoff", "period": "kickoff",
                          "recipient": "p1@example.com", "status": "sent", "backend": "outbox",
                          "message_id": "<m1@example.com>", "attempts": 1, "updated_at": T0 + dt.timedelta(days=1)}],
        "stage_runs": [{"cohort_id": "spring-2026", "stage": "open", "run_id": "scheduled__2026-03-01",
                        "status": "success", "summary_json": '{"import_roster": {"people": 3}}',
                        "started_at": T0, "finished_at": T0 + dt.timedelta(minutes=2)}],
    }
    with engine.begin() as conn:
        tables = _reflected(conn)
        assert set(tables) == set(migrate.baseline_schema()), "the 0.1.0 DDL and revision 0001 name different tables"
        for name, values in rows.items():
            conn.execute(tables[name].insert(), values)
    snapshot = _snapshot(engine)
    assert {name: len(r) for name, r in snapshot.items() if r} == {name: len(r) for name, r in rows.items()}
    return snapshot


# columns added since 0.1.0 that existing rows fill with a default (every other added column starts empty)
ADDED_WITH_DEFAULT = {("matches", "mentor_slot"): 1}  # each existing pair is its mentee's first (only) mentor


def schema_diff(engine: sa.Engine) -> list:
    """What Alembic's autogenerate would change to make the database match ``metadata`` ([]: nothing)."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)


def _config_for(cohorts_dir: Path, url: str):
    return load_cohort(write_cohort(cohorts_dir, store={"url": url}))


# -- (a) a 0.1.0 store upgrades to the head and keeps its data ----------------------------------


def test_a_0_1_0_store_upgrades_to_head_and_keeps_every_row(store):
    before = make_0_1_0_store(store.engine)
    assert store.revision() is None

    assert store.upgrade() == (None, migrate.head())

    after = _snapshot(store.engine)
    added_since = {"erasures", "match_certificates", "recommendations", "selection_requests", "offers", "waitlist",
                   "group_health", "agreements", "goals", "milestones", "meeting_log", "next_steps",
                   "resource_feedback", "committee_audit", "committee_votes",
                   "committee_edits", "committee_questions"}  # tables that 0.1.0 did not have start empty
    assert set(after) == set(before) - {"stage_runs"} | added_since
    assert all(not after[name] for name in added_since)
    for name in before:
        if name != "stage_runs":
            # every value kept; columns added since 0.1.0 (applications.share_goals, affinity_*) start empty
            assert len(after[name]) == len(before[name]), name
            assert [{k: row[k] for k in old} for row, old in zip(after[name], before[name])] == before[name], name
            assert all(v == ADDED_WITH_DEFAULT.get((name, k)) for row, old in zip(after[name], before[name])
                       for k, v in row.items() if k not in old), name
    assert {name for name in KEPT if after[name]} == set(KEPT)
    assert schema_diff(store.engine) == []
    with store.engine.connect() as conn:
        history = conn.execute(sa.text("select version_num from alembic_version")).scalars().all()
    assert history == [migrate.head()]
    # the kept rows read back through the new code, types and all
    by_id = {p["employee_id"]: p for p in store.rows(people)}
    assert by_id["E3"]["on_pip"] is True and by_id["E1"]["hire_date"] == dt.date(2020, 1, 1)
    [cohort] = store.rows(cohorts)
    created = cohort["created_at"]
    assert (created if created.tzinfo else created.replace(tzinfo=UTC)) == T0


def test_migrations_from_an_empty_database_match_the_table_definitions(store):
    assert store.upgrade() == (None, migrate.head())
    assert schema_diff(store.engine) == []
    assert "stage_runs" not in sa.inspect(store.engine).get_table_names()


def test_the_committed_ddl_builds_the_same_schema(store):
    """include/sql/ (what a DBA may apply by hand) carries everything tables.py says, comments too."""
    from mentorflow import settings

    _run_sql_file(store.engine, settings.sql_dir() / f"schema.{store.dialect}.sql")
    assert schema_diff(store.engine) == []


def test_the_check_sees_a_difference_between_database_and_tables(store):
    """The comparison the tests above rely on does report a difference when there is one."""
    store.upgrade()
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_matches_cohort_id"))
    assert [d[0] for d in schema_diff(store.engine)] == ["add_index"]


# -- (b) idempotent ------------------------------------------------------------------------------


def test_upgrade_twice_changes_nothing_the_second_time(store):
    make_0_1_0_store(store.engine)
    store.upgrade()
    snapshot = _snapshot(store.engine)
    assert store.upgrade() == (migrate.head(), migrate.head())
    assert _snapshot(store.engine) == snapshot
    assert schema_diff(store.engine) == []


def test_downgrade_to_the_baseline_and_up_again(store):
    store.upgrade()
    migrate.upgrade(store.engine, "head")  # nothing to do
    from alembic import command

    with store.engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), migrate.BASELINE)
    assert store.revision() == migrate.BASELINE
    assert "stage_runs" in sa.inspect(store.engine).get_table_names()
    assert store.upgrade() == (migrate.BASELINE, migrate.head())
    assert schema_diff(store.engine) == []


def test_a_database_with_only_some_of_the_tables_is_refused(store):
    with store.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE cohorts (cohort_id VARCHAR(64) PRIMARY KEY)"))
    with pytest.raises(StoreNotReady, match="cannot be upgraded automatically") as refused:
        store.upgrade()
    assert "table people is missing" in str(refused.value)
    assert "lacks column(s) config_json, created_at, name, program_type" in str(refused.value)
    assert store.revision() is None
    assert sa.inspect(store.engine).get_table_names() == ["cohorts"]


# -- (c) tasks never create tables and refuse a store that is behind ----------------------------


def test_for_cohort_refuses_a_store_that_is_behind(store, cohorts_dir):
    make_0_1_0_store(store.engine)
    migrate.upgrade(store.engine, "0002")
    config = _config_for(cohorts_dir, store.url)
    with pytest.raises(StoreNotReady) as behind:
        Store.for_cohort(config)
    message = str(behind.value)
    assert "`mentorflow db upgrade`" in message and "at revision 0002" in message
    assert store.shown_url in message
    password = sa.make_url(store.url).password
    assert password is None or password not in message
    store.upgrade()
    assert Store.for_cohort(config).count(people) == 3


def test_for_cohort_does_not_create_tables(store, cohorts_dir):
    config = _config_for(cohorts_dir, store.url)
    with pytest.raises(StoreNotReady, match=r"empty .*`mentorflow db upgrade`"):
        Store.for_cohort(config)
    assert sa.inspect(store.engine).get_table_names() == []


def test_for_cohort_refuses_an_unmigrated_0_1_0_store(store, cohorts_dir):
    make_0_1_0_store(store.engine)
    with pytest.raises(StoreNotReady, match=r"made by mentorflow 0\.1\.0.*`mentorflow db upgrade`"):
        Store.for_cohort(_config_for(cohorts_dir, store.url))


def test_for_cohort_checks_each_store_once_per_process(store, cohorts_dir, monkeypatch):
    store.upgrade()
    _READY.clear()
    checks = []
    real = migrate.require_head
    monkeypatch.setattr(migrate, "require_head", lambda engine: checks.append(engine.url) or real(engine))
    config = _config_for(cohorts_dir, store.url)
    for _ in range(3):
        Store.for_cohort(config)
    assert len(checks) == 1
