"""sign-in throttling by account and network, denial counters, audit log proof against TRUNCATE

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # Old counters were keyed differently; they are only counters: start afresh.
    op.execute("DELETE FROM login_throttle")
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_tag", sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column("trusted_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_login_throttle_account_tag"), ["account_tag"], unique=False
        )
    op.create_table(
        "audit_denial_counters",
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "window_start", "action", "reason", name=op.f("pk_audit_denial_counters")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Row triggers do not see TRUNCATE; a statement trigger does.
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    op.drop_table("audit_denial_counters")
    op.execute("DELETE FROM login_throttle")
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_throttle_account_tag"))
        batch_op.drop_column("trusted_until")
        batch_op.drop_column("account_tag")
