"""The append-only, hash-chained audit log."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base


class AuditEntry(Base):
    """One audited event. ``mac`` chains it to the entry before (``seq - 1``).

    ``seq`` is assigned under a lock as the previous ``seq`` plus one, so the
    log has no gaps: a deleted row shows as a gap as well as a broken link.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(BigInteger, "postgresql"), primary_key=True, autoincrement=False
    )
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4)
    at: Mapped[dt.datetime]
    action: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    device_id: Mapped[uuid.UUID | None]
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    #: Kept after the key is destroyed: the file keeps its audit-chain key.
    key_id: Mapped[str] = mapped_column(String(32), info={"names_master_key": "kept"})
    mac: Mapped[bytes] = mapped_column(LargeBinary(32))


class DenialCounter(Base):
    """Repeated anonymous denials (unknown accounts, back-off refusals) per window.

    Counted here instead of one audit entry each, so unauthenticated traffic
    cannot flood the audit log: an entry is appended at the 1st, 10th, 100th…
    occurrence of a kind in a window.
    """

    __tablename__ = "audit_denial_counters"

    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
