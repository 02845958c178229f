"""The triage projection: one row per live case, what triage filters and sorts on."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base


class CaseTriage(Base):
    """A live case's triage line, kept by the triage projection (``backend/cases/projection.py``).

    Written from the records' readable facets when any of the case's records is
    written; never from sealed bodies. ``flags`` and ``referral_statuses`` are
    comma-delimited with a comma at each end (``,child,immediate_needs,``) so a
    filter is one ``LIKE``.
    """

    __tablename__ = "case_triage"
    __table_args__ = (
        Index("ix_case_triage_operation_order", "operation_id", "urgency", "updated_at"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    operation_id: Mapped[uuid.UUID]
    case_code: Mapped[str | None] = mapped_column(String(16))
    age_group: Mapped[str] = mapped_column(String(16))
    nationality_tag: Mapped[str | None] = mapped_column(String(64))
    band: Mapped[str | None] = mapped_column(String(32))
    flags: Mapped[str] = mapped_column(Text, default=",")
    referral_statuses: Mapped[str] = mapped_column(Text, default=",")
    urgency: Mapped[int]
    updated_at: Mapped[dt.datetime]
