"""``matches.mentor_slot``: a mentee may have several mentors in a round (``mentors_per_mentee``).

Revision 0004b made a mentee's live pairs of a round unique, which refuses a second mentor. Each live
pair now has a slot, 1 to N, and the unique index is on (cohort, round, mentee, slot): with one mentor
per mentee every pair has slot 1 and the store refuses exactly what it refused before; with N mentors a
mentee is in at most N live pairs of a round. Existing rows get slot 1 (they already satisfy the old
index, so the new one cannot fail).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_INDEX = "uq_matches_live_mentee"
INDEX = "uq_matches_live_mentee_slot"
LIVE = "status IN ('proposed', 'approved', 'active')"
COMMENT = "which of the mentee's mentors in the round: 1, or up to matching.rules.mentors_per_mentee"


def upgrade() -> None:
    op.add_column("matches", sa.Column("mentor_slot", sa.Integer(), nullable=False, server_default=sa.text("1"),
                                       comment=COMMENT))
    op.drop_index(OLD_INDEX, table_name="matches")
    op.create_index(INDEX, "matches", ["cohort_id", "round", "mentee_id", "mentor_slot"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade() -> None:
    # refuses (IntegrityError) while a mentee has two live pairs of a round: end the extra pairs first
    op.drop_index(INDEX, table_name="matches")
    with op.batch_alter_table("matches") as batch:
        batch.drop_column("mentor_slot")
    op.create_index(OLD_INDEX, "matches", ["cohort_id", "round", "mentee_id"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
