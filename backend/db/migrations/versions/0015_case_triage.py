"""the triage projection: one row per live case, filtered, sorted and counted in SQL
(lines are computed by the application: `lantern db upgrade` fills the table
once after this revision, `lantern triage rebuild` any time)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_triage",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("case_code", sa.String(length=16), nullable=True),
        sa.Column("age_group", sa.String(length=16), nullable=False),
        sa.Column("nationality_tag", sa.String(length=64), nullable=True),
        sa.Column("band", sa.String(length=32), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("referral_statuses", sa.Text(), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_triage")),
    )
    op.create_index(
        "ix_case_triage_operation_order",
        "case_triage",
        ["operation_id", "urgency", "updated_at"],
        unique=False,
    )
    # The table starts empty: `lantern db upgrade` fills it (it reads this flag).
    op.execute("DELETE FROM server_state WHERE key = 'triage_built'")


def downgrade() -> None:
    op.drop_index("ix_case_triage_operation_order", table_name="case_triage")
    op.drop_table("case_triage")
    op.execute("DELETE FROM server_state WHERE key = 'triage_built'")
