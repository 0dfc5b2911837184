"""The matching committee's audit trail (``mentorflow.committee.audit``): ``committee_audit``, one row per view,
note, vote or re-solve in the console. A new table only; no data changes.

Revision ID: 0013_committee_audit
Revises: 0012_workspace
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_committee_audit"
down_revision = "0012_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "committee_audit",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("round", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False,
                  comment="the Airflow user id of the reviewer (or the system)"),
        sa.Column("action", sa.String(40), nullable=False, comment="view | note | vote | resolve | ..."),
        sa.Column("detail_json", sa.Text, nullable=False, comment="what was seen or changed; never a token"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_committee_audit_round", "committee_audit", ["cohort_id", "round", "at"])


def downgrade() -> None:
    op.drop_table("committee_audit")
