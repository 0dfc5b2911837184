"""Bring a program store to the schema of this code (Alembic, driven from Python, no alembic.ini).

- :func:`upgrade` runs the revisions in ``migrations/versions/`` up to the head. A store made
  by mentorflow 0.1.0 (all of its tables, no ``alembic_version``) is first stamped at the
  baseline revision ``0001``; a database holding only some of those tables is refused.
- :func:`status` / :func:`require_head` say whether a store is at the head, without changing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from mentorflow.errors import StoreNotReady

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
BASELINE = "0001"
"""The revision of the 0.1.0 schema, the last one made without migrations."""
UPGRADE_COMMAND = "mentorflow db upgrade"
UPGRADE_LOCK = 0x6D656E746F72  # PostgreSQL advisory lock key held while an upgrade runs ("mentor")


def shown_url(url: str | sa.URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    return sa.make_url(url).render_as_string(hide_password=True)


def alembic_config(connection: Connection | Engine | None = None) -> Config:
    """An Alembic configuration for the program store; ``connection`` goes to env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this code needs (the single head of the migrations)."""
    return script().get_current_head()


@lru_cache(maxsize=1)
def baseline_schema() -> dict[str, frozenset[str]]:
    """Table name → column names of revision 0001, read by running it on an in-memory SQLite."""
    engine = sa.create_engine("sqlite://")
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), BASELINE)
            inspector = sa.inspect(connection)
            return {name: frozenset(c["name"] for c in inspector.get_columns(name))
                    for name in inspector.get_table_names() if name != "alembic_version"}
    finally:
        engine.dispose()


def current(connection: Connection) -> str | None:
    """The store's revision, or None when it has no migration history (``alembic_version``)."""
    return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True)
class Status:
    url: str  # password hidden
    current: str | None
    head: str
    legacy: bool  # no migration history, but mentorflow tables (made by 0.1.0)

    @property
    def ready(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        if self.ready:
            return f"at revision {self.current} (head)"
        if self.current is None and self.legacy:
            return (f"made by mentorflow 0.1.0 (its tables, no migration history); this code needs "
                    f"revision {self.head}")
        if self.current is None:
            return f"empty (no mentorflow tables); this code needs revision {self.head}"
        if self.current not in {s.revision for s in script().walk_revisions()}:
            return (f"at revision {self.current}, which this code does not know (made by a newer mentorflow?); "
                    f"this code needs revision {self.head}")
        return f"at revision {self.current}; this code needs revision {self.head}"


def _mentorflow_tables(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names()) & set(baseline_schema())


def status(engine: Engine) -> Status:
    with engine.connect() as connection:
        rev = current(connection)
        legacy = rev is None and bool(_mentorflow_tables(connection))
    return Status(shown_url(engine.url), rev, head(), legacy)


def require_head(engine: Engine) -> None:
    """Raise :class:`StoreNotReady` unless the store is at the head revision."""
    found = status(engine)
    if not found.ready:
        raise StoreNotReady(found.url, f"{found.describe()}. Run `{UPGRADE_COMMAND}` for this store "
                                       f"(--url URL when it is not MENTORFLOW_STORE_URL) and try again")


def baseline_problems(connection: Connection) -> list[str]:
    """What keeps a store without migration history from being the 0.1.0 schema (empty: nothing)."""
    inspector = sa.inspect(connection)
    present = set(inspector.get_table_names())
    problems = []
    for name, columns in sorted(baseline_schema().items()):
        if name not in present:
            problems.append(f"table {name} is missing")
            continue
        missing = sorted(columns - {c["name"] for c in inspector.get_columns(name)})
        if missing:
            problems.append(f"table {name} lacks column(s) {', '.join(missing)}")
    return problems


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Run the migrations up to ``target``; returns (revision before, revision after).

    The whole upgrade is one transaction: a migration that stops (duplicate live pairs, say) leaves the
    store as it was. On PostgreSQL it runs under an advisory lock; on SQLite foreign keys are off while
    it runs (batch mode copies tables), as Alembic advises, and on again afterwards.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:  # pysqlite runs DDL outside a transaction unless one is opened explicitly
                    connection.exec_driver_sql("BEGIN")
                if connection.dialect.name == "postgresql":  # two upgrades at once (two init containers) take turns
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
                before = current(connection)
                config = alembic_config(connection)
                if before is None and _mentorflow_tables(connection):
                    problems = baseline_problems(connection)
                    if problems:
                        raise StoreNotReady(
                            shown_url(engine.url),
                            "has some of mentorflow's tables but no migration history, and is not the 0.1.0 "
                            "schema either (" + "; ".join(problems) + "); it cannot be upgraded automatically")
                    command.stamp(config, BASELINE)
                command.upgrade(config, target)
                after = current(connection)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
    return before, after
