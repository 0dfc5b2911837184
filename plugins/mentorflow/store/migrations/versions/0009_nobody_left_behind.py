"""Nobody left behind: self-selection (``recommendations``, ``selection_requests``), what everyone without a
one-to-one partner is offered (``offers``), the ``waitlist``; ``matches.group_id`` for groups and circles;
``applications.circle_volunteer``, ``async_budget`` and ``group_consent``.

Existing rows keep NULL in the new columns: no circle volunteered, no written budget, no consent to share
a name with a group, and a one-to-one pair.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def ts(name: str, **kw) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def upgrade() -> None:
    op.add_column("applications", sa.Column(
        "circle_volunteer", sa.Boolean(), nullable=True,
        comment="a mentor who will also lead a mentoring circle (3-6 mentees)"))
    op.add_column("applications", sa.Column(
        "async_budget", sa.Integer(), nullable=True,
        comment="written questions a month a mentor will answer (async mentoring; 0 or NULL: none)"))
    op.add_column("applications", sa.Column(
        "group_consent", sa.Boolean(), nullable=True,
        comment="in a group or circle, the applicant's name and email may be shared with the other members"))
    op.add_column("matches", sa.Column(
        "group_id", sa.Integer(), nullable=True,
        comment="the group a pair belongs to: a group cohort's mentor and mentees, or a mentoring circle "
                "(round 'circle'); NULL for one-to-one pairs"))
    op.create_table(
        "recommendations",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("mentee_id", sa.String(64), primary_key=True),
        sa.Column("mentor_id", sa.String(64), primary_key=True),
        sa.Column("rank", sa.Integer(), nullable=False, comment="1 = best fit among the mentors shown"),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        ts("created_at", nullable=False),
    )
    op.create_table(
        "selection_requests",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("mentee_id", sa.String(64), primary_key=True),
        sa.Column("mentor_id", sa.String(64), primary_key=True),
        sa.Column("preference", sa.Integer(), nullable=False, comment="1 = the mentee's first choice"),
        sa.Column("status", sa.String(12), nullable=False,
                  comment="requested | accepted | declined | expired (no answer by the deadline)"),
        ts("requested_at", nullable=False),
        ts("answered_at"),
    )
    op.create_table(
        "offers",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, comment="in plain words, why there is no one-to-one partner"),
        sa.Column("options", sa.String(100), nullable=False,
                  comment="what was offered, ';'-joined: circle, async, waitlist (empty: no capacity of any kind)"),
        sa.Column("circle_id", sa.Integer(), comment="the circle (matches.group_id) offered"),
        sa.Column("async_mentor_id", sa.String(64), comment="the mentor offered for written mentoring"),
        sa.Column("choice", sa.String(12), comment="circle | async | waitlist | none; NULL until answered"),
        sa.Column("status", sa.String(12), nullable=False,
                  comment="offered | chosen | defaulted (unanswered: the waitlist place is kept) | started"),
        ts("created_at", nullable=False),
        ts("answered_at"),
    )
    op.create_table(
        "waitlist",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False,
                  comment="waiting | placed | carried (to carried_to) | left"),
        ts("waiting_since", nullable=False,
           comment="when they first joined a waitlist of the program (kept when carried)"),
        ts("joined_at", nullable=False),
        ts("placed_at"),
        sa.Column("placed_match_id", sa.Integer()),
        sa.Column("carried_from", sa.String(64), comment="the earlier cohort whose waitlist they came from"),
        sa.Column("carried_to", sa.String(64), comment="the next cohort they were carried into"),
    )


def downgrade() -> None:
    for table in ("waitlist", "offers", "selection_requests", "recommendations"):
        op.drop_table(table)
    with op.batch_alter_table("matches") as batch:
        batch.drop_column("group_id")
    with op.batch_alter_table("applications") as batch:
        for column in ("group_consent", "async_budget", "circle_volunteer"):
            batch.drop_column(column)
