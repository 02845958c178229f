"""key rotation finds wrapped keys by master key id; person-match encodings and duplicate proposals

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_keys_master_key_id"), ["master_key_id"], unique=False
        )
    with op.batch_alter_table("sync_quarantine", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_quarantine_master_key_id"), ["master_key_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_quarantine_master_key_id"))
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_keys_master_key_id"))
