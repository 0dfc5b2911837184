"""The gateway over the program store: where it is (:func:`url_for`) and every read and write.

SQLAlchemy Core over an SQLite file by default, PostgreSQL in production (an Airflow
connection). Tasks open a store with :meth:`Store.for_cohort`, which never creates or changes
tables: it checks that the store is at the schema this code needs, and otherwise raises
:class:`~mentorflow.errors.StoreNotReady` saying to run ``mentorflow db upgrade``
(:meth:`Store.upgrade`, Alembic migrations in ``migrations/``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from mentorflow import settings
from mentorflow.privacy import private_dir
from mentorflow.store import migrate, upserts
from mentorflow.store.tables import _now, cohorts, metadata, reports

POOL_SIZE, POOL_OVERFLOW = 20, 30  # connections kept, and opened beyond them under load
# stores found at the head revision in this process (URL with password): checked once each
_READY: set[str] = set()


def default_url() -> str:
    """The store of cohorts that name none: ``MENTORFLOW_STORE_URL``, else an SQLite file in the home folder."""
    return settings.current().default_store_url


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


ARRAY_AT_MOST = 1_000  # Store.among on PostgreSQL: a text array up to this many values, a joined JSON list beyond


# rows of one upsert in a transaction of its own on PostgreSQL after which the table's statistics are refreshed (a
# stage reading a freshly loaded 100k-row table before autovacuum had looked at it ran its first gate 1.3 s slower)
ANALYZE_AFTER = 10_000


class Store:
    """A thin gateway over the program store tables; every write is one transaction."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None, durable: bool = True):
        """``durable=False``: a throw-away SQLite store (a what-if's) commits without waiting for the disk
        (``PRAGMA synchronous=OFF``): same schema, same rows, ~20 fewer flushes to disk per run."""
        self.url = url or default_url()
        if engine is None:
            if self.url.startswith("sqlite:///"):
                db_path = self.url.removeprefix("sqlite:///")
                if db_path and db_path != ":memory:":
                    private_dir(Path(db_path).resolve().parent)
                    if not os.path.exists(db_path):  # the store holds people's answers: owner only
                        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT, 0o600))
            # a pool at least as large as the web server's worker threads (40), so no request waits for a connection
            pool = {} if self.url.startswith("sqlite") else {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
            # hide_parameters: an error's text (logged, e.g. by the forms app) never carries the rows' values, which
            # for a batch of form posts would be every applicant's answers
            engine = sa.create_engine(self.url, future=True, hide_parameters=True, **pool)
            if engine.dialect.name == "sqlite":
                sa.event.listen(engine, "connect", _sqlite_pragmas)
                if not durable:
                    sa.event.listen(engine, "connect", _sqlite_not_durable)
        self.engine = engine

    @classmethod
    def for_cohort(cls, config: Any) -> Store:
        """The cohort's store, checked to be at the head revision (never creates or changes tables)."""
        store = cls(url_for(config.store))
        store.require_ready()
        return store

    # -- schema: migrations -------------------------------------------------------------------

    @property
    def _key(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def shown_url(self) -> str:
        """The store's URL with the password hidden."""
        return migrate.shown_url(self.engine.url)

    def upgrade(self) -> tuple[str | None, str | None]:
        """Run the migrations to the head; returns (revision before, revision after). Idempotent."""
        before, after = migrate.upgrade(self.engine)
        _READY.add(self._key)
        return before, after

    def revision(self) -> str | None:
        """The store's revision (None: no migration history)."""
        with self.engine.connect() as conn:
            return migrate.current(conn)

    def status(self) -> migrate.Status:
        return migrate.status(self.engine)

    def require_ready(self) -> None:
        """Raise :class:`~mentorflow.errors.StoreNotReady` unless the store is at the head (checked once per process)."""
        if self._key in _READY:
            return
        migrate.require_head(self.engine)
        _READY.add(self._key)

    def drop_all(self) -> None:
        """Drop every table of the store, the migration history and the 0.1.0 ``stage_runs`` (tests, benchmarks)."""
        metadata.drop_all(self.engine)
        with self.engine.begin() as conn:
            for table in ("stage_runs", "alembic_version"):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        _READY.discard(self._key)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # -- generic helpers ----------------------------------------------------------------------

    def begin(self) -> AbstractContextManager[sa.Connection]:
        """A transaction: ``with store.begin() as conn:`` and pass ``conn`` to the writes that belong together."""
        return self.engine.begin()

    def upsert(self, table: sa.Table, rows: Iterable[Mapping[str, Any]], *, update: bool = True,
               update_columns: Sequence[str] | None = None, conflict_key: Sequence[str] | None = None,
               conn: sa.Connection | None = None) -> int:
        """Insert rows, or update them (``update``) or leave them (not ``update``) when the key exists.

        The one insert-or-update of the project. ``update_columns`` limits an update to those columns
        (default: every column given but the key); ``conflict_key`` names a unique key other than the
        primary key; ``conn`` joins the caller's transaction (default: a transaction of its own, which on
        PostgreSQL also refreshes the table's statistics after :data:`ANALYZE_AFTER` rows or more).
        """
        rows = [dict(r) for r in rows]
        if not rows:
            return 0
        if conn is None:
            with self.engine.begin() as own:
                written = self.upsert(table, rows, update=update, update_columns=update_columns,
                                      conflict_key=conflict_key, conn=own)
                if self.dialect == "postgresql" and written >= ANALYZE_AFTER:  # a bulk load, read at once by the next
                    own.execute(sa.text(f'ANALYZE "{table.name}"'))  # stage: plans need the table's new size
                return written
        stmt = upserts.statement(self.dialect, table, update, tuple(update_columns or rows[0]),
                                 tuple(conflict_key or ()))
        keys = upserts.conflict_key(table, conflict_key)
        written = upserts.one_per_key(rows, keys, update) if self.dialect == "postgresql" else rows
        for start in range(0, len(written), 5000):
            conn.execute(stmt, written[start : start + 5000])
        return len(rows)

    def rows(self, table: sa.Table, **where: Any) -> list[dict[str, Any]]:
        stmt = sa.select(table)
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        keys, records = self._records(stmt)
        return [dict(zip(keys, record)) for record in records]

    def frame(self, table: sa.Table, *, columns: Sequence[str] | None = None, **where: Any):
        """The rows of ``table`` matching ``where`` (column = value) as a DataFrame; ``columns``: only those."""
        stmt = sa.select(*(table.c[c] for c in columns)) if columns else sa.select(table)
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        return self.select_frame(stmt)

    def select_frame(self, stmt: sa.Select):
        """The rows of a SELECT as a DataFrame, one column per selected column (what :meth:`frame` returns)."""
        import pandas as pd

        keys, records = self._records(stmt)
        return pd.DataFrame(records, columns=keys)

    def _records(self, stmt: sa.Select) -> tuple[list[str], list[tuple]]:
        """The selected columns' names and the rows as tuples: the driver's rows, with each column's result
        conversion (the one SQLAlchemy's rows would apply) run column by column and only where a type has one.
        Building a Row per record, and then a dictionary or a frame from its mapping, cost seconds per 100,000
        records."""
        with self.engine.connect() as conn:
            result = conn.execute(stmt)
            keys, cursor = list(result.keys()), result.cursor
            convert = [column.type.dialect_impl(conn.dialect).result_processor(conn.dialect, described[1])
                       for column, described in zip(stmt.selected_columns, cursor.description)]
            records = cursor.fetchall()
            result.close()
        if records and any(convert):
            values = [list(column) if how is None else [how(v) for v in column]
                      for column, how in zip(zip(*records), convert)]
            records = list(zip(*values))
        return keys, records

    def among(self, column: sa.ColumnElement, values: Iterable[str]) -> sa.ColumnElement[bool]:
        """``column IN (values)`` with the values bound as one parameter however many there are, where ``in_``
        binds one per value (and SQLite caps their number). SQLite unpacks a JSON list (``json_each``). On
        PostgreSQL up to :data:`ARRAY_AT_MOST` values are one text array (``= ANY``: an index lookup per value),
        more a JSON list joined as a set (a hashed join): a short list joined as a set was unpacked again for
        every row whenever the planner had no statistics for the table yet, and a long one is slower as an array
        (``benchmarks/bench_store_writes.py``: 25 values among 2,000 fresh rows 13.7 ms joined, 1.0 ms as an
        array; 90,000 among 100,000, 468 ms joined, 527 ms as an array)."""
        values = list(values)
        if self.dialect == "postgresql" and len(values) <= ARRAY_AT_MOST:
            return column == sa.any_(sa.bindparam(None, [str(v) for v in values], type_=postgresql.ARRAY(sa.Text)))
        listed = sa.bindparam(None, json.dumps(values), type_=sa.String)
        if self.dialect == "postgresql":
            return column.in_(sa.select(sa.func.json_array_elements_text(sa.cast(listed, sa.JSON))))
        return column.in_(sa.select(sa.column("value")).select_from(sa.func.json_each(listed)))

    def count(self, table: sa.Table, **where: Any) -> int:
        stmt = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            stmt = stmt.where(table.c[column] == value)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    # -- cohort-level records -----------------------------------------------------------------

    def register_cohort(self, config: Any, *, conn: sa.Connection | None = None) -> None:
        """Record the cohort; registering it again updates its name, type and config, never ``created_at``
        (the cohort-over-cohort report orders cohorts by it)."""
        self.upsert(
            cohorts,
            [
                {
                    "cohort_id": config.cohort,
                    "name": config.name,
                    "program_type": config.program_type.value,
                    "config_json": config.model_dump_json(),
                    "created_at": _now(),
                }
            ],
            update_columns=("name", "program_type", "config_json"),
            conn=conn,
        )

    def record_report(self, cohort_id: str, kind: str, path: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(reports.insert().values(cohort_id=cohort_id, kind=kind, path=path, created_at=_now()))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_not_durable(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def ddl(dialect_name: str) -> str:
    """CREATE statements for one dialect, as committed under include/sql/."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable, SetColumnComment

    dialect = {"postgresql": postgresql.dialect(), "sqlite": sqlite.dialect()}[dialect_name]
    parts = [f"-- mentorflow program store, {dialect_name} dialect.\n-- Generated by `mentorflow db ddl`; do not edit by hand.\n"]
    for table in metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)).strip() + ";\n")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)).strip() + ";\n")
        if dialect.supports_comments:
            for column in table.columns:
                if column.comment:
                    parts.append(str(SetColumnComment(column).compile(dialect=dialect)).strip() + ";\n")
    return "\n".join(parts)
