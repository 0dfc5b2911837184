"""``applications.share_goals``: whether the applicant agreed that their goals are quoted to their partner.

The application form promises that answers stay with the program team, yet the kickoff and the
midpoint introductions quoted each partner's goals to the other. The form now asks (default: no) and
the introductions quote goals only where this is true. The column is nullable and existing rows
keep NULL, which means no consent: applications made before the question was asked share nothing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COMMENT = "the applicant agreed that their goals are quoted to their partner (false or NULL: they are not)"


def upgrade() -> None:
    op.add_column("applications", sa.Column("share_goals", sa.Boolean(), nullable=True, comment=COMMENT))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("share_goals")
