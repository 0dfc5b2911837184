"""The matching committee's edits of a round (``mentorflow.committee.acting``): ``committee_edits``, the locks
and forbids the console's re-solve uses. New table only; no data changes.

Revision ID: 0015_committee_edits
Revises: 0014_committee_votes
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_committee_edits"
down_revision = "0014_committee_votes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "committee_edits",
        sa.Column("edit_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("round", sa.String(20), nullable=False, comment="initial | midpoint"),
        sa.Column("kind", sa.String(10), nullable=False, comment="lock | forbid"),
        sa.Column("mentor_id", sa.String(64), nullable=False),
        sa.Column("mentee_id", sa.String(64), nullable=False),
        sa.Column("via", sa.String(200), comment="how it was made, e.g. 'swap E1:E2 with E3:E4'"),
        sa.Column("added_by", sa.String(200), nullable=False, comment="the Airflow user id"),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("cohort_id", "round", "kind", "mentor_id", "mentee_id", name="uq_committee_edit"),
    )
    op.create_index("ix_committee_edits_cohort_id", "committee_edits", ["cohort_id"])


def downgrade() -> None:
    op.drop_index("ix_committee_edits_cohort_id", "committee_edits")
    op.drop_table("committee_edits")
