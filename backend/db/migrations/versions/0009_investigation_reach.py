"""what an approved disclosure request revealed (record and revision); what each
investigation reached by its own work; index rows sealed as the victim's own
(their wallet, or a payment they sent)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosure_request_records",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["disclosure_requests.id"],
            name=op.f("fk_disclosure_request_records_request_id_disclosure_requests"),
        ),
        sa.PrimaryKeyConstraint(
            "request_id", "record_id", name=op.f("pk_disclosure_request_records")
        ),
    )
    op.create_table(
        "investigation_reach",
        sa.Column("investigation_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_investigation_reach_investigation_id_investigations"),
        ),
        sa.PrimaryKeyConstraint("investigation_id", "case_id", name=op.f("pk_investigation_reach")),
    )
    with op.batch_alter_table("investigation_reach", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investigation_reach_case_id"), ["case_id"], unique=False
        )
    with op.batch_alter_table("linkage_disclosures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # A victim's own wallet was sealed by its role; a payment the victim sent is
    # found only by `lantern linkage reindex` (the direction is in the sealed body).
    rows = sa.table("linkage_disclosures", sa.column("role", sa.String()), sa.column("sealed"))
    op.get_bind().execute(rows.update().where(rows.c.role == "victim_own").values(sealed=True))
    # Approvals given before this revision named no records: they reveal the
    # case's own wallets as they stand now, once, at upgrade.
    requests = sa.table(
        "disclosure_requests",
        sa.column("id", sa.Uuid()),
        sa.column("case_id", sa.Uuid()),
        sa.column("status", sa.String()),
    )
    index = sa.table(
        "linkage_disclosures",
        sa.column("record_id", sa.Uuid()),
        sa.column("case_id", sa.Uuid()),
        sa.column("role", sa.String()),
    )
    records = sa.table("sync_records", sa.column("id", sa.Uuid()), sa.column("rev", sa.Integer()))
    approved = sa.table(
        "disclosure_request_records",
        sa.column("request_id", sa.Uuid()),
        sa.column("record_id", sa.Uuid()),
        sa.column("rev", sa.Integer()),
    )
    owned = (
        sa.select(requests.c.id, records.c.id, records.c.rev)
        .select_from(requests)
        .join(index, index.c.case_id == requests.c.case_id)
        .join(records, records.c.id == index.c.record_id)
        .where(requests.c.status == "approved", index.c.role == "victim_own")
        .distinct()
    )
    op.get_bind().execute(approved.insert().from_select(["request_id", "record_id", "rev"], owned))


def downgrade() -> None:
    with op.batch_alter_table("linkage_disclosures", schema=None) as batch_op:
        batch_op.drop_column("sealed")
    with op.batch_alter_table("investigation_reach", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investigation_reach_case_id"))
    op.drop_table("investigation_reach")
    op.drop_table("disclosure_request_records")
