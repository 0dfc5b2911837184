"""Alembic environment of the program store.

Run programmatically by :mod:`mentorflow.store.migrate`: the caller puts an open
:class:`~sqlalchemy.engine.Connection` (or an :class:`~sqlalchemy.engine.Engine`) into
``config.attributes["connection"]``; no alembic.ini and no URL in any file. Offline mode
(``--sql``) renders the SQL for ``config.attributes["dialect"]`` (default: postgresql).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection, Engine

from mentorflow.store.tables import metadata

config = context.config

OPTIONS = {
    "target_metadata": metadata,
    # batch mode ("move and copy") where SQLite cannot ALTER in place; see docs/production.md
    "render_as_batch": True,
    "compare_type": True,
}


def run_offline() -> None:
    context.configure(dialect_name=config.attributes.get("dialect", "postgresql"), literal_binds=True, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if given is None:
        raise RuntimeError("the program store's migrations run from mentorflow.store.migrate "
                           "(or `mentorflow db upgrade`), which passes the connection")
    if isinstance(given, Engine):
        with given.begin() as connection:
            _run(connection)
    else:
        _run(given)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
