"""synced case records, their change log, durable mutation outcomes, conflicts, quarantine

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 05:11:58.794786
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "data_keys",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(length=128), nullable=False),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_data_keys")),
    )
    op.create_table(
        "server_state",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_server_state")),
    )
    op.create_table(
        "sync_changes",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("target_user", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_changes")),
    )
    with op.batch_alter_table("sync_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_changes_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            "ix_sync_changes_operation_seq", ["operation_id", "seq"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sync_changes_record_id"), ["record_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sync_changes_target_user"), ["target_user"], unique=False
        )

    op.create_table(
        "sync_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sync_counters")),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("device_value", sa.LargeBinary(), nullable=False),
        sa.Column("base_rev", sa.Integer(), nullable=True),
        sa.Column("server_rev", sa.Integer(), nullable=False),
        sa.Column("mutation_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_sync_conflicts_resolved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_conflicts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_conflicts_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sync_conflicts_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sync_conflicts_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "sync_mutations",
        sa.Column("mutation_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_mutations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("mutation_id", name=op.f("pk_sync_mutations")),
    )
    with op.batch_alter_table("sync_mutations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_mutations_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sync_mutations_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "sync_quarantine",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mutation_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("operation_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(length=128), nullable=False),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["users.id"], name=op.f("fk_sync_quarantine_resolved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sync_quarantine_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_quarantine")),
    )
    with op.batch_alter_table("sync_quarantine", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_quarantine_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sync_quarantine_mutation_id"), ["mutation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sync_quarantine_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sync_quarantine_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sync_quarantine_status"), ["status"], unique=False)

    op.create_table(
        "sync_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_by_mutation", sa.Uuid(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("field_revs", sa.Text(), nullable=False),
        sa.Column("facets", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_sync_records_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_sync_records_operation_id_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_records")),
    )
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.create_index("ix_sync_records_case_entity", ["case_id", "entity"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_records_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sync_records_operation_id"), ["operation_id"], unique=False
        )

    _seed()


def _seed() -> None:
    """The change counter starts at 0; the epoch is random, per database."""
    import uuid

    op.execute("INSERT INTO sync_counters (name, value) VALUES ('changes', 0)")
    op.execute(
        sa.text("INSERT INTO server_state (key, value) VALUES ('epoch', :epoch)").bindparams(
            epoch=uuid.uuid4().hex
        )
    )


def downgrade() -> None:

    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_records_operation_id"))
        batch_op.drop_index(batch_op.f("ix_sync_records_case_id"))
        batch_op.drop_index("ix_sync_records_case_entity")

    op.drop_table("sync_records")
    with op.batch_alter_table("sync_quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_quarantine_status"))
        batch_op.drop_index(batch_op.f("ix_sync_quarantine_record_id"))
        batch_op.drop_index(batch_op.f("ix_sync_quarantine_operation_id"))
        batch_op.drop_index(batch_op.f("ix_sync_quarantine_mutation_id"))
        batch_op.drop_index(batch_op.f("ix_sync_quarantine_case_id"))

    op.drop_table("sync_quarantine")
    with op.batch_alter_table("sync_mutations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_mutations_record_id"))
        batch_op.drop_index(batch_op.f("ix_sync_mutations_device_id"))

    op.drop_table("sync_mutations")
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_conflicts_record_id"))
        batch_op.drop_index(batch_op.f("ix_sync_conflicts_operation_id"))
        batch_op.drop_index(batch_op.f("ix_sync_conflicts_case_id"))

    op.drop_table("sync_conflicts")
    op.drop_table("sync_counters")
    with op.batch_alter_table("sync_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_changes_target_user"))
        batch_op.drop_index(batch_op.f("ix_sync_changes_record_id"))
        batch_op.drop_index("ix_sync_changes_operation_seq")
        batch_op.drop_index(batch_op.f("ix_sync_changes_operation_id"))

    op.drop_table("sync_changes")
    op.drop_table("server_state")
    op.drop_table("data_keys")
