"""The program store of mentorflow 0.1.0, as its DDL files define it (the baseline).

Exactly ``include/sql/schema.{sqlite,postgresql}.sql`` of 0.1.0 (kept as test data in
``tests/data/``): every table, key and index. A store made by 0.1.0 (``mentorflow db init``,
no ``alembic_version``) is recognised and stamped at this revision by
:func:`mentorflow.store.migrate.upgrade` before the later revisions run.

Written out in full, never imported from ``tables.py``: a revision must not change when the
tables do.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# the tables this revision makes, for recognising a 0.1.0 store (mentorflow.store.migrate)
TABLES = (
    "cohorts", "people", "applications", "quarantine", "matches", "unmatched", "email_ledger", "pulse_responses",
    "pair_health", "evaluations", "stage_runs", "reports", "rematch_requests", "form_events", "triage_requests",
)


def _ts(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("program_type", sa.String(20), nullable=False),
        sa.Column("config_json", sa.Text(), nullable=False),
        _ts("created_at", False),
        sa.PrimaryKeyConstraint("cohort_id"),
    )
    op.create_table(
        "people",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("department", sa.String(120), nullable=True),
        sa.Column("job_title", sa.String(200), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.String(64), nullable=True),
        sa.Column("location", sa.String(120), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("on_pip", sa.Boolean(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("eligibility_reason", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.cohort_id"]),
        sa.PrimaryKeyConstraint("cohort_id", "employee_id"),
    )
    op.create_table(
        "applications",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(10), nullable=True),
        sa.Column("motivation", sa.Text(), nullable=True),
        sa.Column("prior_experience", sa.Text(), nullable=True),
        sa.Column("skills_offered", sa.Text(), nullable=True),
        sa.Column("skills_wanted", sa.Text(), nullable=True),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("preferred_traits", sa.Text(), nullable=True),
        *[sa.Column(f"tipi_{i}", sa.Integer(), nullable=True) for i in range(1, 11)],
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("hours_per_month", sa.Float(), nullable=True),
        sa.Column("preferred_partners", sa.Text(), nullable=True),
        sa.Column("avoid_partners", sa.Text(), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        _ts("submitted_at", False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.cohort_id"]),
        sa.PrimaryKeyConstraint("cohort_id", "employee_id"),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("gate", sa.String(40), nullable=False),
        sa.Column("record_key", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("row_json", sa.Text(), nullable=True),
        _ts("created_at", False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cohort_id", "gate", "record_key", "reason", name="uq_quarantine_row_reason"),
    )
    op.create_index("ix_quarantine_cohort_id", "quarantine", ["cohort_id"], unique=False)
    op.create_table(
        "matches",
        sa.Column("match_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("round", sa.String(20), nullable=False),
        sa.Column("mentor_id", sa.String(64), nullable=False),
        sa.Column("mentee_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("components_json", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        _ts("created_at", False),
        _ts("ended_at", True),
        sa.Column("end_reason", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("match_id"),
    )
    op.create_index("ix_matches_cohort_id", "matches", ["cohort_id"], unique=False)
    op.create_table(
        "unmatched",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("round", sa.String(20), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("cohort_id", "round", "employee_id"),
    )
    op.create_table(
        "email_ledger",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("backend", sa.String(12), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("updated_at", False),
        sa.PrimaryKeyConstraint("cohort_id", "person_id", "template", "period"),
    )
    op.create_table(
        "pulse_responses",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.String(64), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=False),
        sa.Column("goal_progress", sa.Integer(), nullable=False),
        sa.Column("follow_through", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("wants_end", sa.Boolean(), nullable=False),
        _ts("submitted_at", False),
        sa.PrimaryKeyConstraint("cohort_id", "period", "match_id", "respondent_id"),
    )
    op.create_table(
        "pair_health",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("silent_streak", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cohort_id", "period", "match_id"),
    )
    op.create_table(
        "evaluations",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("goals_met", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=False),
        sa.Column("recommend", sa.Integer(), nullable=False),
        sa.Column("valuable_topics", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        _ts("submitted_at", False),
        sa.PrimaryKeyConstraint("cohort_id", "employee_id"),
    )
    op.create_table(
        "stage_runs",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        _ts("started_at", False),
        _ts("finished_at", True),
        sa.PrimaryKeyConstraint("cohort_id", "stage", "run_id"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        _ts("created_at", False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reports_cohort_id", "reports", ["cohort_id"], unique=False)
    op.create_table(
        "rematch_requests",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        _ts("submitted_at", False),
        sa.PrimaryKeyConstraint("cohort_id", "match_id", "requester_id"),
    )
    op.create_table(
        "form_events",
        sa.Column("event_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dag_run_id", sa.String(250), nullable=True),
        _ts("created_at", False),
        _ts("delivered_at", True),
        sa.PrimaryKeyConstraint("event_id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_form_events_cohort_id", "form_events", ["cohort_id"], unique=False)
    op.create_table(
        "triage_requests",
        sa.Column("cohort_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        _ts("received_at", False),
        sa.PrimaryKeyConstraint("cohort_id", "run_id"),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
