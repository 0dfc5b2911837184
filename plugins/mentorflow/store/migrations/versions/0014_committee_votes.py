"""The matching committee's votes (``mentorflow.committee``): ``committee_votes``, one live vote per reviewer
per round. New table only; no data changes.

Revision ID: 0014_committee_votes
Revises: 0012_workspace
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_committee_votes"
down_revision = "0012_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "committee_votes",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("round", sa.String(20), primary_key=True, comment="initial | midpoint"),
        sa.Column("reviewer", sa.String(200), primary_key=True,
                  comment="the Airflow user id of a committee.reviewers"),
        sa.Column("decision", sa.String(10), nullable=False, comment="approve | reject"),
        sa.Column("comment", sa.Text),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("committee_votes")
