"""Alembic migrations of the program store (run by :mod:`mentorflow.store.migrate`, no alembic.ini).

``versions/`` holds one hand-written file per revision, numbered ``0001``, ``0002``, …; see
docs/production.md, "Program store and migrations".
"""
