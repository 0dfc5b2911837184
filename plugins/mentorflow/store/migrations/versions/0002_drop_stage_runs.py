"""Drop ``stage_runs``: it duplicated Airflow's own run state.

``mentorflow cohort status`` reads each stage's newest DAG run and its tasks' return values
from Airflow's metadata database instead. The rows are not carried anywhere: Airflow keeps
the same facts for as long as its own retention allows. Dropping a table needs no batch mode
on SQLite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("stage_runs")


def downgrade() -> None:
    op.create_table(
        "stage_runs",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("cohort_id", "stage", "run_id"),
    )
