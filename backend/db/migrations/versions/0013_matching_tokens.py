"""duplicate matching on more than the name and year (issue 20): the blocking
window, day and month of birth, documents and contacts as keyed tokens on
each encoding (and indexed, one row per token, for blocking by identifier),
and how they compared on each proposal. Encodings made before
have none until ``lantern duplicates scan`` re-encodes them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_TOKENS = ("birth_year_block", "documents", "documents_near", "contacts", "contacts_near")
_AGREEMENTS = ("birth_day", "documents", "contacts")


def upgrade() -> None:
    op.create_table(
        "person_encoding_tokens",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.LargeBinary(length=8), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "token"),
    )
    op.create_index(
        "ix_person_encoding_tokens_token", "person_encoding_tokens", ["token"], unique=False
    )
    with op.batch_alter_table("person_encodings", schema=None) as batch_op:
        for name in _TOKENS:
            batch_op.add_column(sa.Column(name, sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("birth_day", sa.LargeBinary(length=8), nullable=True))
        batch_op.add_column(sa.Column("birth_day_swapped", sa.LargeBinary(length=8), nullable=True))
    with op.batch_alter_table("duplicate_proposals", schema=None) as batch_op:
        for name in _AGREEMENTS:
            batch_op.add_column(
                sa.Column(name, sa.String(length=12), nullable=False, server_default="unknown")
            )


def downgrade() -> None:
    op.drop_index("ix_person_encoding_tokens_token", table_name="person_encoding_tokens")
    op.drop_table("person_encoding_tokens")
    with op.batch_alter_table("duplicate_proposals", schema=None) as batch_op:
        for name in _AGREEMENTS:
            batch_op.drop_column(name)
    with op.batch_alter_table("person_encodings", schema=None) as batch_op:
        for name in (*_TOKENS, "birth_day", "birth_day_swapped"):
            batch_op.drop_column(name)
