"""Create the program store's database on the stack's PostgreSQL server if it is missing.

Usage: create_database.py NAME   (connects with AIRFLOW__DATABASE__SQL_ALCHEMY_CONN's server and user)
"""

from __future__ import annotations

import os
import re
import sys

import sqlalchemy as sa


def main(name: str) -> int:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        print(f"create_database.py: {name!r} is not a plain lower-case database name", file=sys.stderr)
        return 2
    server = sa.make_url(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).set(database="postgres")
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    print(f"database {name} {'exists' if exists else 'created'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
