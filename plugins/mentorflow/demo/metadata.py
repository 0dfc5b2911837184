"""The demo's databases in its own process: Airflow's metadata created and read once per lifecycle, and
SQLite commits that wait for no disk flush.

:func:`create` does what ``airflow db migrate`` does (Airflow's ``upgradedb``; a new database is made from the
ORM and stamped at the head revision) without starting a second Python that imports Airflow again: the demo
imports Airflow anyway, right after.

:func:`parsed_once`: each ``dag.test`` call of Airflow 3.3 parses the whole DAG folder and writes every DAG it
finds to the metadata database (so that a DAG another one triggers exists, apache/airflow#64884); a lifecycle
calls it 23 times on the same files. Inside :func:`parsed_once` a parse is kept while the files the DAGs are made
of (the DAG folder's Python files and the cohort files) are unchanged, and a kept parse is written once: the
same DAGs reach the database as before, and a changed file is parsed and written again.

:func:`quick_commits`: the demo's SQLite databases (Airflow's metadata, the program store) are write-ahead logged;
with ``synchronous=NORMAL`` a commit no longer waits for the disk (about 1.7 ms each, thousands in a lifecycle).
A crash of the demo loses nothing committed; a power cut may lose the last commits of a demo run, which is
run again from scratch anyway. Only the demo's process does this: a real deployment's store keeps SQLite's
default (and Airflow's metadata is on PostgreSQL there).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from mentorflow import settings


def create() -> None:
    """The metadata database named by Airflow's configuration (``AIRFLOW_HOME``, set before Airflow's import),
    brought to Airflow's head revision as ``airflow db migrate`` would; :class:`SystemExit` saying why if not."""
    from airflow.utils import db
    from airflow.utils.providers_configuration_loader import providers_configuration_loaded

    try:
        providers_configuration_loaded(db.upgradedb)()
    except Exception as exc:
        raise SystemExit(f"creating Airflow's metadata database failed: {type(exc).__name__}: {exc}") from exc


def fingerprint(dag_folder: str | os.PathLike) -> tuple:
    """What the DAGs of ``dag_folder`` are made of, as (path, size, modification time) triples: its Python
    files and the cohort files (:func:`mentorflow.settings.cohorts_dir`)."""
    folder, cohorts = Path(dag_folder), settings.cohorts_dir()
    files = sorted(folder.rglob("*.py")) if folder.is_dir() else [folder]
    files += sorted(p for p in cohorts.glob("*.y*ml") if p.suffix in {".yaml", ".yml"}) if cohorts.is_dir() else []
    stamps = []
    for path in files:
        with contextlib.suppress(OSError):
            stat = path.stat()
            stamps.append((str(path), stat.st_size, stat.st_mtime_ns))
    return (str(cohorts), *stamps)


@contextlib.contextmanager
def parsed_once() -> Iterator[None]:
    """While the block runs, ``dag.test`` reuses its DAG folder's parse and skips writing a parse it wrote
    already, until one of the files (:func:`fingerprint`) changes."""
    from airflow.dag_processing import dagbag as module

    real_bag, real_sync = module.BundleDagBag, module.sync_bag_to_db
    kept: dict[Any, Any] = {}
    written: list[tuple[Any, str, str | None]] = []  # the bags themselves: an id could be reused

    def bag(*args: Any, **kwargs: Any):
        key = (args, tuple(sorted(kwargs.items())), fingerprint(kwargs.get("dag_folder") or args[0]))
        if key not in kept:
            kept.clear()
            kept[key] = real_bag(*args, **kwargs)
        return kept[key]

    def sync(dagbag, bundle_name: str, bundle_version: str | None, **kwargs: Any) -> None:
        if any(dagbag is done and (bundle_name, bundle_version) == (name, version) for done, name, version in written):
            return
        real_sync(dagbag, bundle_name, bundle_version, **kwargs)
        written[:] = [(dagbag, bundle_name, bundle_version)]

    module.BundleDagBag, module.sync_bag_to_db = bag, sync
    try:
        yield
    finally:
        module.BundleDagBag, module.sync_bag_to_db = real_bag, real_sync


def quick_commits() -> None:
    """Every SQLite connection this process opens from now on commits without waiting for the disk."""
    if not sa.event.contains(sa.engine.Engine, "connect", _no_flush_wait):
        sa.event.listen(sa.engine.Engine, "connect", _no_flush_wait)


def _no_flush_wait(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):  # not PostgreSQL (a cohort's store may be there)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
