"""the ledger of statistics released to each audience, so a new release can be
compared with every earlier one (differencing over time)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statistics_releases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("audience", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("tables", sa.Text(), nullable=False),
        sa.Column("cases", sa.Text(), nullable=True),
        sa.Column("kept", sa.Text(), nullable=False),
        sa.Column("hidden", sa.Text(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistics_releases")),
        sa.UniqueConstraint("audience", "seq", name=op.f("uq_statistics_releases_audience")),
    )


def downgrade() -> None:
    op.drop_table("statistics_releases")
