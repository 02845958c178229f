"""a case's assignee as a column, so pull applies a caseworker's scope in SQL;
changes aimed at one user indexed in change order; two indexes that a
composite one covers are dropped (each random-key index costs every insert)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:10:00
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_changes_target_user")
        batch_op.drop_index("ix_sync_changes_operation_seq")
        batch_op.drop_index("ix_sync_changes_operation_id")
        batch_op.create_index("ix_sync_changes_target_user_seq", ["target_user", "seq"])
        batch_op.create_index(
            "ix_sync_changes_operation_target_seq", ["operation_id", "target_user", "seq"]
        )
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_to", sa.Uuid(), nullable=True))
        batch_op.drop_index("ix_sync_records_case_id")
    records = sa.table(
        "sync_records",
        sa.column("id", sa.Uuid()),
        sa.column("entity", sa.String()),
        sa.column("facets", sa.Text()),
        sa.column("assigned_to", sa.Uuid()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(records.c.id, records.c.facets).where(records.c.entity == "case")
    ).all()
    for record_id, facets in rows:
        assigned = json.loads(facets or "{}").get("assigned_to")
        if assigned:
            bind.execute(
                records.update()
                .where(records.c.id == record_id)
                .values(assigned_to=uuid.UUID(assigned))
            )


def downgrade() -> None:
    with op.batch_alter_table("sync_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_changes_target_user_seq")
        batch_op.drop_index("ix_sync_changes_operation_target_seq")
        batch_op.create_index("ix_sync_changes_target_user", ["target_user"])
        batch_op.create_index("ix_sync_changes_operation_seq", ["operation_id", "seq"])
        batch_op.create_index("ix_sync_changes_operation_id", ["operation_id"])
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.drop_column("assigned_to")
        batch_op.create_index("ix_sync_records_case_id", ["case_id"])
