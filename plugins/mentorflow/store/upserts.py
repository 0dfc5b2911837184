"""The statement behind :meth:`mentorflow.store.Store.upsert`, the project's one insert-or-update, and the rows
it is given: built once per table, dialect and column set, and sent many rows at a time."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def conflict_key(table: sa.Table, key: Sequence[str] | None) -> list[str]:
    """The columns an upsert's conflict is about: ``key``, else the table's primary key."""
    return list(key or [c.name for c in table.primary_key.columns])


@functools.lru_cache(maxsize=512)
def statement(dialect: str, table: sa.Table, update: bool, given: tuple[str, ...], key: tuple[str, ...]) -> sa.Insert:
    """One insert-or-update statement per table, dialect and set of columns, built once: its values are bound
    parameters (the rows passed to ``execute``), so SQLAlchemy compiles it once too (statement cache).

    On PostgreSQL it returns its key: SQLAlchemy then sends many rows as one multi-row statement (its
    "insertmanyvalues"), which it does for ``ON CONFLICT`` only with ``RETURNING``; without, psycopg2 sends one
    statement, and waits for one round trip, per row."""
    keys = conflict_key(table, key)
    stmt = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)
    columns = [c for c in given if c not in keys]
    if update and columns:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.returning(*(table.c[k] for k in keys)) if dialect == "postgresql" else stmt


def one_per_key(rows: list[dict[str, Any]], keys: Sequence[str], keep_last: bool) -> list[dict[str, Any]]:
    """The rows with distinct conflict keys: the last of each when updating, else the first (what writing them one
    at a time leaves). One multi-row ``INSERT … ON CONFLICT DO UPDATE`` may touch a row only once, so PostgreSQL
    refuses a key repeated within it. A row without its key (a default fills it) cannot repeat one and stays."""
    kept: dict[tuple, dict[str, Any]] = {}
    keyless = []
    for row in rows:
        key = tuple(row.get(k) for k in keys)
        if None in key:
            keyless.append(row)
        elif keep_last or key not in kept:
            kept[key] = row
    return rows if len(kept) + len(keyless) == len(rows) else [*kept.values(), *keyless]
