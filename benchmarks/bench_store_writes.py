"""The store's bulk writes and list lookups on PostgreSQL, each against the form it replaced, in the same run on the
same database (loopback only):

- ``Store.upsert`` of N rows of ``people`` (rewritten: every row an update) against the same statement without
  ``RETURNING``, which SQLAlchemy hands to psycopg2's ``executemany``: one statement, one round trip, per row;
- ``Store.among`` of a short list (25 values) among 2,000 freshly loaded rows and of a long one (90% of N) among N,
  against the other form (a text array, ``= ANY``, or a JSON list joined as a set), as an UPDATE and a SELECT.

    python benchmarks/bench_store_writes.py [--rows 100000] [--repeat 3]

Prints the best of ``--repeat`` wall times of each and the ratio to its baseline. The lookups run on tables in a
database of their own, loaded without ANALYZE, as a stage sees a table a bulk load has just filled.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from mentorflow.store import Store, people  # noqa: E402
from mentorflow.store.gateway import ARRAY_AT_MOST  # noqa: E402
from mentorflow.store.upserts import conflict_key  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
COHORT = "bench-store"


def _person(i: int) -> dict:
    return {"cohort_id": COHORT, "employee_id": f"E{i:06d}", "full_name": f"Person {i}", "email": f"e{i}@example.com",
            "level": 3, "on_pip": False, "hire_date": dt.date(2020, 1, 2)}


def _best(repeat: int, run) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def _one_statement_per_row(store: Store, rows: list[dict]) -> None:
    """The upsert as it was: ON CONFLICT without RETURNING, which psycopg2 executes row by row."""
    keys = conflict_key(people, None)
    stmt = postgresql.insert(people)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in rows[0] if c not in keys})
    with store.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(stmt, rows[start : start + 5000])


def _as_array(column, values):
    return column == sa.any_(sa.bindparam(None, list(values), type_=postgresql.ARRAY(sa.Text)))


def _as_joined_list(column, values):
    listed = sa.bindparam(None, json.dumps(list(values)), type_=sa.String)
    return column.in_(sa.select(sa.func.json_array_elements_text(sa.cast(listed, sa.JSON))))


def _lookups(store: Store, values: list[str], repeat: int) -> dict[str, tuple[float, float]]:
    """(UPDATE s, SELECT s) of each form of the list lookup; the table stays without statistics."""
    out = {}
    for name, where in (("text array", _as_array), ("joined JSON list", _as_joined_list)):
        def update(where=where):
            with store.engine.begin() as conn:
                conn.execute(people.update().where(people.c.cohort_id == COHORT, where(people.c.employee_id, values))
                             .values(level=4))

        def select(where=where):
            with store.engine.connect() as conn:
                found = conn.execute(sa.select(people.c.employee_id).where(
                    people.c.cohort_id == COHORT, where(people.c.employee_id, values))).fetchall()
            assert len(found) == len(values)

        out[name] = (_best(repeat, update), _best(repeat, select))
    return out


@contextlib.contextmanager
def _fresh_store():
    """A store in a database of its own, dropped afterwards: its tables have no planner statistics yet."""
    name = f"mentorflow_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        store = Store(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
        store.upgrade()
        with store.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO cohorts (cohort_id, name, program_type, config_json, created_at) "
                                 "VALUES (:c, :c, 'traditional', '{}', now())"), {"c": COHORT})
        yield store
        store.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"store writes on PostgreSQL, {args.rows:,} rows, best of {args.repeat}; python {sys.version.split()[0]}")
    for count, values in ((2_000, [f"E{i:06d}" for i in range(25)]),
                          (args.rows, [f"E{i:06d}" for i in range(args.rows) if i % 10])):
        with _fresh_store() as store:
            with store.engine.begin() as conn:  # in the caller's transaction: no ANALYZE after it
                store.upsert(people, [_person(i) for i in range(count)], conn=conn)
            timed = _lookups(store, values, args.repeat)
        (a_update, a_select), (j_update, j_select) = timed["text array"], timed["joined JSON list"]
        print(f"  among {len(values):,} of {count:,} fresh rows: UPDATE array {1000 * a_update:.2f} ms, joined list "
              f"{1000 * j_update:.2f} ms ({j_update / a_update:.2f}x); SELECT array {1000 * a_select:.2f} ms, "
              f"joined list {1000 * j_select:.2f} ms ({j_select / a_select:.2f}x); Store.among uses the "
              f"{'array' if len(values) <= ARRAY_AT_MOST else 'joined list'} here")
    with _fresh_store() as store:
        rows = [_person(i) for i in range(args.rows)]
        store.upsert(people, rows)
        new = _best(args.repeat, lambda: store.upsert(people, rows))
        old = _best(args.repeat, lambda: _one_statement_per_row(store, rows))
    print(f"  upsert, rewriting every row: Store.upsert {new:.2f} s; one statement per row (baseline) {old:.2f} s; "
          f"{old / new:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
