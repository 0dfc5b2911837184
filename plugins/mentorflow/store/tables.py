"""The program store: every cohort's people, applications, matches, emails and responses.

SQLAlchemy Core over an SQLite file by default, PostgreSQL in production (an
Airflow connection). The tables below are the single source of truth; the DDL in
``include/sql/`` is generated from them (``mentorflow db ddl``) and a test keeps
the two in step.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mentorflow import settings as paths

metadata = sa.MetaData()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _ts(name: str, **kw: Any) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


cohorts = sa.Table(
    "cohorts",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("program_type", sa.String(20), nullable=False),
    sa.Column("config_json", sa.Text, nullable=False),
    _ts("created_at", nullable=False, default=_now),
)

people = sa.Table(
    "people",
    metadata,
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.cohort_id"), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("department", sa.String(120)),
    sa.Column("job_title", sa.String(200)),
    sa.Column("level", sa.Integer),
    sa.Column("manager_id", sa.String(64)),
    sa.Column("location", sa.String(120)),
    sa.Column("timezone", sa.String(64)),
    sa.Column("hire_date", sa.Date),
    sa.Column("on_pip", sa.Boolean, nullable=False, default=False),
    sa.Column("eligible", sa.Boolean),
    sa.Column("eligibility_reason", sa.String(200)),
)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.cohort_id"), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(10)),
    sa.Column("motivation", sa.Text),
    sa.Column("prior_experience", sa.Text),
    sa.Column("skills_offered", sa.Text),
    sa.Column("skills_wanted", sa.Text),
    sa.Column("goals", sa.Text),
    sa.Column("preferred_traits", sa.Text),
    *[sa.Column(f"tipi_{i}", sa.Integer) for i in range(1, 11)],
    sa.Column("capacity", sa.Integer),
    sa.Column("hours_per_month", sa.Float),
    sa.Column("preferred_partners", sa.Text),
    sa.Column("avoid_partners", sa.Text),
    sa.Column("source", sa.String(20), nullable=False, default="form"),
    sa.Column("status", sa.String(20), nullable=False, default="received"),
    _ts("submitted_at", nullable=False, default=_now),
)

APPLICATION_FIELDS: tuple[str, ...] = tuple(
    c.name for c in applications.columns if c.name not in {"cohort_id", "source", "status", "submitted_at"}
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("gate", sa.String(40), nullable=False),
    sa.Column("record_key", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, default="open"),
    sa.Column("row_json", sa.Text),
    _ts("created_at", nullable=False, default=_now),
    sa.UniqueConstraint("cohort_id", "gate", "record_key", "reason", name="uq_quarantine_row_reason"),
)

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("match_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("round", sa.String(20), nullable=False),
    sa.Column("mentor_id", sa.String(64), nullable=False),
    sa.Column("mentee_id", sa.String(64), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("components_json", sa.Text, comment="score components (0..1) behind the score"),
    sa.Column("status", sa.String(20), nullable=False),
    _ts("created_at", nullable=False, default=_now),
    _ts("ended_at"),
    sa.Column("end_reason", sa.String(200)),
)

unmatched = sa.Table(
    "unmatched",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("round", sa.String(20), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
)

email_ledger = sa.Table(
    "email_ledger",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("template", sa.String(40), primary_key=True),
    sa.Column("period", sa.String(40), primary_key=True),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("backend", sa.String(12), nullable=False),
    sa.Column("message_id", sa.String(200)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("attempt_id", sa.String(32)),
    sa.Column("last_error", sa.Text),
    _ts("updated_at", nullable=False, default=_now),
)

pulse_responses = sa.Table(
    "pulse_responses",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(40), primary_key=True),
    sa.Column("match_id", sa.Integer, primary_key=True),
    sa.Column("respondent_id", sa.String(64), primary_key=True),
    sa.Column("meetings", sa.Integer, nullable=False),
    sa.Column("satisfaction", sa.Integer, nullable=False),
    sa.Column("goal_progress", sa.Integer, nullable=False),
    sa.Column("follow_through", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("wants_end", sa.Boolean, nullable=False, default=False),
    _ts("submitted_at", nullable=False, default=_now),
)

pair_health = sa.Table(
    "pair_health",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("period", sa.String(40), primary_key=True),
    sa.Column("match_id", sa.Integer, primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("silent_streak", sa.Integer, nullable=False, default=0),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("employee_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("goals_met", sa.Integer, nullable=False),
    sa.Column("satisfaction", sa.Integer, nullable=False),
    sa.Column("recommend", sa.Integer, nullable=False),
    sa.Column("valuable_topics", sa.Text, comment="topics the partnership turned out to be valuable for, ';'-joined"),
    sa.Column("comment", sa.Text),
    _ts("submitted_at", nullable=False, default=_now),
)

stage_runs = sa.Table(
    "stage_runs",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("stage", sa.String(20), primary_key=True),
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("summary_json", sa.Text, nullable=False, default="{}"),
    _ts("started_at", nullable=False, default=_now),
    _ts("finished_at"),
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    _ts("created_at", nullable=False, default=_now),
)

# -- participant forms (mentorflow.forms) -------------------------------------------------------

rematch_requests = sa.Table(
    "rematch_requests",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("match_id", sa.Integer, primary_key=True),
    sa.Column("requester_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("comment", sa.Text),
    _ts("submitted_at", nullable=False, default=_now),
)

form_events = sa.Table(
    "form_events",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), nullable=False, index=True),
    sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
    sa.Column("match_id", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("requester_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(12), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("dag_run_id", sa.String(250)),
    _ts("created_at", nullable=False, default=_now),
    _ts("delivered_at"),
)

triage_requests = sa.Table(
    "triage_requests",
    metadata,
    sa.Column("cohort_id", sa.String(64), primary_key=True),
    sa.Column("run_id", sa.String(250), primary_key=True),
    sa.Column("match_id", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("requester_id", sa.String(64), nullable=False),
    _ts("received_at", nullable=False, default=_now),
)


def default_url() -> str:
    return os.environ.get("MENTORFLOW_STORE_URL") or f"sqlite:///{paths.home() / 'store.db'}"


def url_for(store_config: Any | None = None) -> str:
    """The store URL for a cohort: its YAML's url, else its Airflow connection, else the default.

    The Airflow connection is looked up only here, at task run time, never at DAG parse time.
    """
    if store_config is not None and store_config.url:
        return store_config.url
    if store_config is not None and store_config.conn_id:
        from airflow.sdk import BaseHook

        uri = BaseHook.get_connection(store_config.conn_id).get_uri()
        return uri.replace("postgres://", "postgresql://", 1)
    return default_url()


class Store:
    """A thin gateway over the program store tables; every write is one transaction."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None):
        self.url = url or default_url()
        if engine is None:
            if self.url.startswith("sqlite:///"):
                db_path = self.url.removeprefix("sqlite:///")
                if db_path and db_path != ":memory:":
                    os.makedirs(os.path.dirname(os.path.abspath(db_path)), exist_ok=True)
            engine = sa.create_engine(self.url, future=True)
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", _sqlite_pragmas)
        self.engine = engine

    @classmethod
    def for_cohort(cls, config: Any) -> Store:
        store = cls(url_for(config.store))
        store.create_all()
        return store

    def create_all(self) -> None:
        metadata.create_all(self.engine)

    def drop_all(self) -> None:
        metadata.drop_all(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- generic helpers ----------------------------------------------------------------------

    def begin(self):
        """A transaction: ``with store.begin() as conn:`` and pass ``conn`` to the writes that belong together."""
        return self.engine.begin()

    def upsert(self, table: sa.Table, rows: Iterable[Mapping[str, Any]], *, update: bool = True,
               conn: sa.Connection | None = None) -> int:
        """Insert rows, or update them (``update``) or leave them (not ``update``) when the key exists;
        inside ``conn``'s transaction when given, else in a transaction of its own."""
        rows = [dict(r) for r in rows]
        if not rows:
            return 0
        keys = [c.name for c in table.primary_key.columns]
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = insert(table)
        columns = [c for c in rows[0] if c not in keys]
        if update and columns:
            stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=keys)
        if conn is None:
            with self.engine.begin() as own:
                return self.upsert(table, rows, update=update, conn=own)
        for start in range(0, len(rows), 5000):
            conn.execute(stmt, rows[start : start + 5000])
        return len(rows)

    def rows(self, table: sa.Table, **where: Any) -> list[dict[str, Any]]:
        stmt = sa.select(table)
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def frame(self, table: sa.Table, **where: Any):
        import pandas as pd

        stmt = sa.select(table)
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        with self.engine.connect() as conn:
            result = conn.execute(stmt)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    def count(self, table: sa.Table, **where: Any) -> int:
        stmt = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    # -- cohort-level records -----------------------------------------------------------------

    def register_cohort(self, config: Any, *, conn: sa.Connection | None = None) -> None:
        """Record the cohort (and its current settings); the first registration's time is kept."""
        row = {"cohort_id": config.cohort, "name": config.name, "program_type": config.program_type.value,
               "config_json": config.model_dump_json()}
        self.upsert(cohorts, [row], conn=conn)  # created_at: the column default, on first insert only

    def stage_started(self, cohort_id: str, stage: str, run_id: str) -> None:
        self.upsert(
            stage_runs,
            [{"cohort_id": cohort_id, "stage": stage, "run_id": run_id, "status": "running",
              "summary_json": "{}", "started_at": _now(), "finished_at": None}],
        )

    def _stage_update(self, cohort_id: str, stage: str, run_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                stage_runs.update()
                .where(stage_runs.c.cohort_id == cohort_id, stage_runs.c.stage == stage, stage_runs.c.run_id == run_id)
                .values(**values)
            )

    def _stage_summary(self, cohort_id: str, stage: str, run_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(stage_runs.c.summary_json).where(
                    stage_runs.c.cohort_id == cohort_id, stage_runs.c.stage == stage, stage_runs.c.run_id == run_id)
            ).scalar()
        return json.loads(found or "{}")

    def stage_step_done(self, cohort_id: str, stage: str, run_id: str, step: str, summary: Mapping[str, Any],
                        *, last: bool) -> None:
        """Merge one step's summary into the stage run; the last step marks the stage a success."""
        merged = self._stage_summary(cohort_id, stage, run_id)
        merged[step] = {k: v for k, v in summary.items() if k != "committee_text"}
        values: dict[str, Any] = {"summary_json": json.dumps(merged, default=str)}
        if last:
            values.update(status="success", finished_at=_now())
        self._stage_update(cohort_id, stage, run_id, **values)

    def stage_failed(self, cohort_id: str, stage: str, run_id: str, error: str) -> None:
        merged = self._stage_summary(cohort_id, stage, run_id)
        merged["error"] = error
        self._stage_update(cohort_id, stage, run_id, status="failed", summary_json=json.dumps(merged),
                           finished_at=_now())

    def last_stage_runs(self, cohort_id: str) -> dict[str, dict[str, Any]]:
        """The newest run of each stage of a cohort."""
        latest: dict[str, dict[str, Any]] = {}
        for row in sorted(self.rows(stage_runs, cohort_id=cohort_id), key=lambda r: r["started_at"]):
            latest[row["stage"]] = row
        return latest

    def record_report(self, cohort_id: str, kind: str, path: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(reports.insert().values(cohort_id=cohort_id, kind=kind, path=path, created_at=_now()))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def ddl(dialect_name: str) -> str:
    """CREATE statements for one dialect, as committed under include/sql/."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = {"postgresql": postgresql.dialect(), "sqlite": sqlite.dialect()}[dialect_name]
    parts = [f"-- mentorflow program store, {dialect_name} dialect.\n-- Generated by `mentorflow db ddl`; do not edit by hand.\n"]
    for table in metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)).strip() + ";\n")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)).strip() + ";\n")
    return "\n".join(parts)
