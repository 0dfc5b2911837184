"""``erasures``: a record of each erasure of a person's data (who ran it and when, never whom).

Revision ID: 0005
Revises: 0004b
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("performed_by", sa.String(200), nullable=False,
                  comment="who ran the erasure (never whom it erased)"),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False, comment="the cohort, or 'all cohorts'"),
    )


def downgrade() -> None:
    op.drop_table("erasures")
