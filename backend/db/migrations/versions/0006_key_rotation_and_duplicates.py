"""key rotation finds wrapped keys by master key id; person-match encodings and duplicate proposals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
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
    op.create_table(
        "person_encodings",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
        sa.Column("name_filter", sa.LargeBinary(length=128), nullable=False),
        sa.Column("birth_year", sa.LargeBinary(length=8), nullable=True),
        sa.Column("birth_year_window", sa.LargeBinary(length=24), nullable=False),
        sa.Column("nationality", sa.LargeBinary(length=8), nullable=True),
        sa.Column("sex", sa.LargeBinary(length=8), nullable=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_person_encodings")),
    )
    with op.batch_alter_table("person_encodings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_encodings_key_year", ["master_key_id", "birth_year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_encodings_master_key_id"), ["master_key_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_person_encodings_pending"), ["pending"], unique=False)

    op.create_table(
        "duplicate_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("left_case_id", sa.Uuid(), nullable=False),
        sa.Column("right_case_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("name_similarity", sa.Float(), nullable=False),
        sa.Column("birth_year", sa.String(length=12), nullable=False),
        sa.Column("nationality", sa.String(length=12), nullable=False),
        sa.Column("sex", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("primary_case_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_duplicate_proposals_decided_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_proposals")),
        sa.UniqueConstraint(
            "left_case_id", "right_case_id", name=op.f("uq_duplicate_proposals_left_case_id")
        ),
    )
    with op.batch_alter_table("duplicate_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_proposals_left_case_id"), ["left_case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_duplicate_proposals_right_case_id"), ["right_case_id"], unique=False
        )
        batch_op.create_index("ix_duplicate_proposals_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("duplicate_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_duplicate_proposals_status")
        batch_op.drop_index(batch_op.f("ix_duplicate_proposals_right_case_id"))
        batch_op.drop_index(batch_op.f("ix_duplicate_proposals_left_case_id"))

    op.drop_table("duplicate_proposals")
    with op.batch_alter_table("person_encodings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_encodings_pending"))
        batch_op.drop_index(batch_op.f("ix_person_encodings_master_key_id"))
        batch_op.drop_index("ix_person_encodings_key_year")

    op.drop_table("person_encodings")
    with op.batch_alter_table("sync_quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_quarantine_master_key_id"))
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_keys_master_key_id"))
