"""The consent that stands, per case and purpose: what every exit asks."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, utcnow


class ConsentState(Base):
    """The consent record that stands for one purpose of one case.

    Written by the consent projector (``backend/consent/projection.py``) in the
    transaction that writes a consent record, in the order the server received
    them: the one rule of ``backend/consent/rules.py``, applied once. Every exit
    (triage, referral packages, summaries, the linkage index, disclosure
    read-backs) reads this row, in SQL or through ``ConsentRepository``.
    """

    __tablename__ = "consent_states"

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: ``given``, ``refused`` or ``withdrawn``.
    state: Mapped[str] = mapped_column(String(16))
    #: The consent record that stands.
    record_id: Mapped[uuid.UUID]
    #: How many consent records for this purpose the server has received (receipt order).
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
