"""rotation carries investigations and the linkage index: an investigation's
case-reference key wrapped under a master key; each linkage row names the
master key its lookup tag was made under

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("investigations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wrapped_key", sa.LargeBinary(length=128), nullable=True))
    with op.batch_alter_table("linkage_disclosures", schema=None) as batch_op:
        # NULL: made before this revision, under a key nobody wrote down (rewrap re-tags it).
        batch_op.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("linkage_disclosures", schema=None) as batch_op:
        batch_op.drop_column("key_id")
    with op.batch_alter_table("investigations", schema=None) as batch_op:
        batch_op.drop_column("wrapped_key")
