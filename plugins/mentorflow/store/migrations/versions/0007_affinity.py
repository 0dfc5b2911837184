"""``applications.affinity_network``, ``affinity_match`` and ``affinity_consent``: a self-described network
or identity, whether the applicant asks for a partner who shares it, and their consent to its use.

Affinity matching (``matching.affinity`` in the cohort YAML) pairs people who asked for it with someone
of the same network. The network is written only with consent, so the columns are nullable and
existing rows keep NULL: no network, no request, no consent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COMMENTS = {
    "affinity_network": "self-described network or identity, stored only with affinity_consent; never shown to the "
                        "committee or in reports",
    "affinity_match": "the applicant asks for a partner who shares affinity_network",
    "affinity_consent": "the applicant agreed that affinity_network is used for matching (false or NULL: it is not "
                        "stored)",
}


def upgrade() -> None:
    op.add_column("applications", sa.Column("affinity_network", sa.String(100), nullable=True,
                                            comment=COMMENTS["affinity_network"]))
    op.add_column("applications", sa.Column("affinity_match", sa.Boolean(), nullable=True,
                                            comment=COMMENTS["affinity_match"]))
    op.add_column("applications", sa.Column("affinity_consent", sa.Boolean(), nullable=True,
                                            comment=COMMENTS["affinity_consent"]))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for column in ("affinity_consent", "affinity_match", "affinity_network"):
            batch.drop_column(column)
