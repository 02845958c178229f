"""What coordinators keep beside the synced records: providers, referral steps, transfers, closure."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, utcnow


class ServiceProvider(Base):
    """An organisation that helps people (a shelter, a clinic, legal aid), per country.

    Its contact details are the provider's own, never a victim's.
    """

    __tablename__ = "service_providers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    country: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: JSON: phone, email, address, website (all optional).
    contact: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON list of language tags.
    languages: Mapped[str] = mapped_column(Text, default="[]")
    outside: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReferralStep(Base):
    """One status a referral took: who moved it, when, from what."""

    __tablename__ = "referral_steps"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    referral_id: Mapped[uuid.UUID] = mapped_column(index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    rev: Mapped[int]
    actor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseTransfer(Base):
    """A case offered to another operation; it moves only when that side accepts."""

    __tablename__ = "case_transfers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    from_operation: Mapped[uuid.UUID] = mapped_column(ForeignKey("operations.id"), index=True)
    to_operation: Mapped[uuid.UUID] = mapped_column(ForeignKey("operations.id"), index=True)
    #: ``pending``, ``accepted``, ``declined`` or ``cancelled`` (the case was erased).
    status: Mapped[str] = mapped_column(String(16), index=True)
    proposed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]


class CaseLifecycle(Base):
    """When a coordinator closed a case, and whether (why, by whom) it was erased."""

    __tablename__ = "case_lifecycle"

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    operation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operations.id"), index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    erased_at: Mapped[dt.datetime | None]
    erased_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    erasure_reason: Mapped[str | None] = mapped_column(String(32))
