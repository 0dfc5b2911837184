"""Groups that are groups: ``group_health``, a group's health score per pulse period (a group cohort's
mentor and mentees, or a mentoring circle, sharing ``matches.group_id``).

Revision ID: 0010_groups
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_groups"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_health",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(40), primary_key=True),
        sa.Column("group_id", sa.Integer, primary_key=True, comment="matches.group_id"),
        sa.Column("leader_id", sa.String(64), nullable=False, comment="the group's mentor"),
        sa.Column("members", sa.Integer, nullable=False, comment="mentees in the group's pairs that were surveyed"),
        sa.Column("score", sa.Float, nullable=False, comment="mean of the group's pair scores (0..1)"),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("group_health")
