"""The two column comments that 0.1.0's DDL files left out (PostgreSQL; SQLite keeps no comments).

0.1.0 set them when it created the tables itself (``mentorflow db init``) but its generated
DDL did not carry them, so a store built from those files lacks them. Setting them again on a
store that has them changes nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COMMENTS = {
    ("matches", "components_json"): "score components (0..1) behind the score",
    ("evaluations", "valuable_topics"): "topics the partnership turned out to be valuable for, ';'-joined",
}


def _set(comments: dict[tuple[str, str], str | None]) -> None:
    if not op.get_context().dialect.supports_comments:
        return
    for (table, column), comment in comments.items():
        op.alter_column(table, column, existing_type=sa.Text(), existing_nullable=True, comment=comment)


def upgrade() -> None:
    _set(COMMENTS)


def downgrade() -> None:
    _set(dict.fromkeys(COMMENTS))
