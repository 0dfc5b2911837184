"""``match_certificates``: what top-k pruning could have cost each round's proposal (no personal data).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_certificates",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("round", sa.String(20), primary_key=True),
        sa.Column("certificate_json", sa.Text(), nullable=False,
                  comment="bound, total, fairness mode and the sentence"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("match_certificates")
