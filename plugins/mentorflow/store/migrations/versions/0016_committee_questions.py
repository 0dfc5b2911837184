"""The matching committee's questions to applicants (``mentorflow.committee.asking``): ``committee_questions``,
one row per question with the applicant's answer. New table only; no data changes.

Revision ID: 0016_committee_questions
Revises: 0015_committee_edits
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_committee_questions"
down_revision = "0015_committee_edits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "committee_questions",
        sa.Column("question_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("round", sa.String(20), nullable=False, comment="initial | midpoint"),
        sa.Column("employee_id", sa.String(64), nullable=False, comment="the applicant asked"),
        sa.Column("question", sa.Text, nullable=False, comment="purged (empty) at retention"),
        sa.Column("asked_by", sa.String(200), nullable=False, comment="the Airflow user id"),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text, comment="the applicant's answer; purged at retention"),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_committee_questions_round", "committee_questions", ["cohort_id", "round"])


def downgrade() -> None:
    op.drop_index("ix_committee_questions_round", "committee_questions")
    op.drop_table("committee_questions")
