"""Self-selection: the statuses a request takes when the window closes, in the column's comment
(PostgreSQL; SQLite keeps no comments): ``released`` (accepted, but the mentee kept a preferred mentor or
the mentor's capacity was used by earlier choices: not locked) and ``quarantined`` (held by the selection
gate: not locked). No data changes.

Revision ID: 0011_selection
Revises: 0010_groups
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_selection"
down_revision = "0010_groups"
branch_labels = None
depends_on = None

BEFORE = "requested | accepted | declined | expired (no answer by the deadline)"
AFTER = ("requested | accepted | declined | expired (no answer by the deadline) | released (accepted, not locked: "
         "the mentee kept a preferred mentor, or the mentor's capacity was taken) | quarantined (held by the "
         "selection gate)")


def _set(comment: str) -> None:
    if not op.get_context().dialect.supports_comments:
        return
    op.alter_column("selection_requests", "status", existing_type=sa.String(12), existing_nullable=False,
                    comment=comment, existing_comment=BEFORE if comment == AFTER else AFTER)


def upgrade() -> None:
    _set(AFTER)


def downgrade() -> None:
    _set(BEFORE)
