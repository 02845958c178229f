"""the consent that stands per case and purpose, written by the consent rule as
consents arrive (receipt order, withdrawals stand); backfilled from the consent
records already stored, in the order they were stored

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_PURPOSES = {"services", "financial_investigation", "prosecution_evidence", "aggregate_statistics"}
_STATES = {"given", "refused", "withdrawn"}


def upgrade() -> None:
    op.create_table(
        "consent_states",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "purpose", name=op.f("pk_consent_states")),
    )
    records = sa.table(
        "sync_records",
        sa.column("id", sa.Uuid()),
        sa.column("case_id", sa.Uuid()),
        sa.column("entity", sa.String()),
        sa.column("facets", sa.Text()),
        sa.column("deleted", sa.Boolean()),
        sa.column("created_at", sa.DateTime()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(records.c.id, records.c.case_id, records.c.facets)
        .where(records.c.entity == "consent", records.c.deleted.is_(False))
        .order_by(records.c.created_at, records.c.id)
    ).all()
    # The rule of backend/consent/rules.py, as it stood when this migration was written
    # (a migration never imports application code that may change later).
    stands: dict[tuple[uuid.UUID, str], tuple[str, uuid.UUID, int]] = {}
    for record_id, case_id, facets in rows:
        values = json.loads(facets or "{}")
        purpose, state = values.get("purpose"), values.get("state")
        if purpose not in _PURPOSES or state not in _STATES:
            continue
        key = (case_id, purpose)
        stood = stands.get(key)
        count = stood[2] + 1 if stood else 1
        if stood and stood[0] == "withdrawn" and str(values.get("supersedes")) != str(stood[1]):
            stands[key] = (stood[0], stood[1], count)
        else:
            stands[key] = (state, record_id, count)
    table = sa.table(
        "consent_states",
        sa.column("case_id", sa.Uuid()),
        sa.column("purpose", sa.String()),
        sa.column("state", sa.String()),
        sa.column("record_id", sa.Uuid()),
        sa.column("received", sa.BigInteger()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = dt.datetime.now(dt.UTC)
    if stands:
        bind.execute(
            table.insert(),
            [
                {
                    "case_id": case_id,
                    "purpose": purpose,
                    "state": state,
                    "record_id": record_id,
                    "received": count,
                    "updated_at": now,
                }
                for (case_id, purpose), (state, record_id, count) in stands.items()
            ],
        )


def downgrade() -> None:
    op.drop_table("consent_states")
