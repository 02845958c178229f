"""coordinators: service providers, referral steps, case transfers, case lifecycle

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 07:38:38.705701
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_referral_steps_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_steps")),
    )
    with op.batch_alter_table("referral_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_steps_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referral_steps_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "service_providers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("outside", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_service_providers_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_providers")),
    )
    with op.batch_alter_table("service_providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_providers_country"), ["country"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_providers_kind"), ["kind"], unique=False)

    op.create_table(
        "case_lifecycle",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("operation_id", sa.Uuid(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_by", sa.Uuid(), nullable=True),
        sa.Column("erasure_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_case_lifecycle_closed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["erased_by"], ["users.id"], name=op.f("fk_case_lifecycle_erased_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_case_lifecycle_operation_id_operations"),
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_lifecycle")),
    )
    with op.batch_alter_table("case_lifecycle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_lifecycle_closed_at"), ["closed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_case_lifecycle_operation_id"), ["operation_id"], unique=False
        )

    op.create_table(
        "case_transfers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_operation", sa.Uuid(), nullable=False),
        sa.Column("to_operation", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Uuid(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_case_transfers_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["from_operation"],
            ["operations.id"],
            name=op.f("fk_case_transfers_from_operation_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_case_transfers_proposed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["to_operation"],
            ["operations.id"],
            name=op.f("fk_case_transfers_to_operation_operations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transfers")),
    )
    with op.batch_alter_table("case_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_transfers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_transfers_from_operation"), ["from_operation"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_case_transfers_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_transfers_to_operation"), ["to_operation"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_transfers_to_operation"))
        batch_op.drop_index(batch_op.f("ix_case_transfers_status"))
        batch_op.drop_index(batch_op.f("ix_case_transfers_from_operation"))
        batch_op.drop_index(batch_op.f("ix_case_transfers_case_id"))

    op.drop_table("case_transfers")
    with op.batch_alter_table("case_lifecycle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_lifecycle_operation_id"))
        batch_op.drop_index(batch_op.f("ix_case_lifecycle_closed_at"))

    op.drop_table("case_lifecycle")
    with op.batch_alter_table("service_providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_providers_kind"))
        batch_op.drop_index(batch_op.f("ix_service_providers_country"))

    op.drop_table("service_providers")
    with op.batch_alter_table("referral_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_steps_referral_id"))
        batch_op.drop_index(batch_op.f("ix_referral_steps_case_id"))

    op.drop_table("referral_steps")
