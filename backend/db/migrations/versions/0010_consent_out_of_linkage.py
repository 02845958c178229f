"""the linkage index asks the one consent rule (consent_states) in every query:
its own copy of the latest financial_investigation consent per case goes; rows
that held only a consent go with it (a recorded legal basis stays)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM linkage_case_bases WHERE legal_basis IS NULL")
    with op.batch_alter_table("linkage_case_bases", schema=None) as batch_op:
        batch_op.drop_column("consent_record")
        batch_op.drop_column("consent_at")
        batch_op.drop_column("consent_state")


def downgrade() -> None:
    with op.batch_alter_table("linkage_case_bases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("consent_record", sa.Uuid(), nullable=True))
