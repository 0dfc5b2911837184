"""The partnership's own space (``mentorflow.workspace``): ``agreements`` (each member's confirmation of the
mentoring agreement), ``goals`` and ``milestones``, ``meeting_log`` and ``next_steps``, and
``resource_feedback`` (a member's use and rating of a library resource). New tables only; no data changes.

Revision ID: 0012_workspace
Revises: 0011_selection
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_workspace"
down_revision = "0011_selection"
branch_labels = None
depends_on = None

NEW = ("agreements", "goals", "milestones", "meeting_log", "next_steps", "resource_feedback")


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("space_id", sa.String(20), primary_key=True, comment="pair-<match_id> | group-<group_id>"),
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("confidential", sa.Boolean, nullable=False, comment="keeps what is said in the partnership private"),
        sa.Column("meet_every", sa.String(20), nullable=False, comment="week | two weeks | month"),
        sa.Column("modes", sa.String(60), nullable=False, comment="';'-joined: in person, call, written"),
        sa.Column("wants_to_learn", sa.Text, comment="the member's own words"),
        sa.Column("offers", sa.Text, comment="what the member offers the others (both directions when symbiotic)"),
        sa.Column("raise_problem", sa.Text, comment="how the member will raise a problem"),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), comment="NULL while a draft"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "goals",
        sa.Column("goal_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("space_id", sa.String(20), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("source", sa.String(12), nullable=False, comment="application (the mentee's goals) | added"),
        sa.Column("owner_id", sa.String(64), nullable=False, comment="whose goal it is (the mentee of a pair)"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), comment="removed from the page (kept for the counts)"),
    )
    op.create_index("ix_goals_space", "goals", ["cohort_id", "space_id"])
    op.create_table(
        "milestones",
        sa.Column("milestone_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("goal_id", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("due_on", sa.Date),
        sa.Column("reached_at", sa.DateTime(timezone=True)),
        sa.Column("reached_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_milestones_goal_id", "milestones", ["goal_id"])
    op.create_table(
        "meeting_log",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("space_id", sa.String(20), nullable=False),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(12), nullable=False, comment="meeting | call | written"),
        sa.Column("private_note", sa.Text, comment="the author's own note: shown to nobody else, never reported"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_meeting_log_space", "meeting_log", ["cohort_id", "space_id"])
    op.create_table(
        "next_steps",
        sa.Column("step_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("space_id", sa.String(20), nullable=False),
        sa.Column("entry_id", sa.Integer, comment="the log entry it was agreed in, if any"),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("due_on", sa.Date),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_next_steps_space", "next_steps", ["cohort_id", "space_id"])
    op.create_table(
        "resource_feedback",
        sa.Column("cohort_id", sa.String(64), primary_key=True),
        sa.Column("space_id", sa.String(20), primary_key=True),
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("resource_id", sa.String(80), primary_key=True),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("rating", sa.Integer, comment="1..5, NULL when not rated"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in reversed(NEW):
        op.drop_table(name)
