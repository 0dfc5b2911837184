"""A mentee is in at most one live pair of a round: a partial unique index on matches.

Live means proposed, approved or active; ended and completed pairs do not count, and a mentor may
be in several live pairs (several mentees). Every program type pairs each mentee once per round, so
the index only refuses what a stage must never write: a second proposal next to an approved round
gave everyone two partners until close-out.

A store that already holds such duplicates is not changed: the upgrade stops and names them, so
ops can end the extra pairs (status 'ended') and run the upgrade again.

Revision ID: 0004b
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mentorflow.errors import StoreNotReady
from mentorflow.store.migrate import UPGRADE_COMMAND, shown_url

revision = "0004b"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "uq_matches_live_mentee"
LIVE = "status IN ('proposed', 'approved', 'active')"


def _duplicates(bind: sa.Connection) -> list[tuple[str, str, str, int]]:
    return list(bind.execute(sa.text(
        f"SELECT cohort_id, round, mentee_id, COUNT(*) FROM matches WHERE {LIVE} "
        "GROUP BY cohort_id, round, mentee_id HAVING COUNT(*) > 1 ORDER BY cohort_id, round, mentee_id")))


def upgrade() -> None:
    bind = op.get_bind()
    duplicates = _duplicates(bind)
    if duplicates:
        shown = "; ".join(f"{c} {r} {m} ({n} live pairs)" for c, r, m, n in duplicates[:10])
        more = f" and {len(duplicates) - 10} more" if len(duplicates) > 10 else ""
        raise StoreNotReady(shown_url(bind.engine.url), (
            f"{len(duplicates)} mentee(s) are in more than one live pair of a round (cohort round mentee: "
            f"{shown}{more}), which revision {revision} forbids; end the extra pairs (status 'ended') and run "
            f"`{UPGRADE_COMMAND}` again"))
    op.create_index(INDEX, "matches", ["cohort_id", "round", "mentee_id"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade() -> None:
    op.drop_index(INDEX, table_name="matches")
