"""Case records as synced from phones, their change log, and what sync keeps on the side."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, utcnow


class DataKey(Base):
    """A case's data key, wrapped by a master key. Deleting it shreds the case."""

    __tablename__ = "data_keys"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary(128))
    #: Which master key wraps it (indexed: rotation finds and counts by it).
    master_key_id: Mapped[str] = mapped_column(
        String(32), index=True, info={"names_master_key": "rewrap"}
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Record(Base):
    """One synced record (case, consent, screening, account, disclosure, referral).

    ``body`` holds every field the device sent, sealed under the case's data
    key. ``field_revs`` names, per field, the revision that last changed it
    (field names only), which is what per-field merging needs. ``facets`` holds
    the few non-identifying values triage filters on (a band, a status).
    """

    __tablename__ = "sync_records"
    __table_args__ = (Index("ix_sync_records_case_entity", "case_id", "entity"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    #: Indexed by ``ix_sync_records_case_entity`` (case first).
    case_id: Mapped[uuid.UUID]
    operation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operations.id"), index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_by_mutation: Mapped[uuid.UUID]
    rev: Mapped[int] = mapped_column(default=1)
    schema_version: Mapped[int] = mapped_column(default=1)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    field_revs: Mapped[str] = mapped_column(Text, default="{}")
    facets: Mapped[str] = mapped_column(Text, default="{}")
    #: Of a case: the caseworker it is assigned to (besides its creator, the one
    #: whose phones hold it in full). Pull applies that scope in SQL with it.
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(default=None)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Change(Base):
    """One entry of the change log, numbered without gaps in commit order."""

    __tablename__ = "sync_changes"
    __table_args__ = (
        Index("ix_sync_changes_operation_target_seq", "operation_id", "target_user", "seq"),
        Index("ix_sync_changes_target_user_seq", "target_user", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: Indexed by ``ix_sync_changes_operation_target_seq`` (operation first).
    operation_id: Mapped[uuid.UUID]
    rev: Mapped[int]
    op: Mapped[str] = mapped_column(String(8))
    #: A purge aimed at one user's devices only (left an operation).
    target_user: Mapped[uuid.UUID | None]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Counter(Base):
    """Named counters; ``changes`` numbers the change log, locked until commit."""

    __tablename__ = "sync_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ServerState(Base):
    """Facts about this database: its sync epoch (changed by every restore)."""

    __tablename__ = "server_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


class Mutation(Base):
    """The durable outcome of one pushed mutation, under its client-made id."""

    __tablename__ = "sync_mutations"

    mutation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    entity: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    rev: Mapped[int | None]
    result: Mapped[str] = mapped_column(Text, default="{}")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Conflict(Base):
    """A field both a device and the server changed: the device's value, kept for a coordinator."""

    __tablename__ = "sync_conflicts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    entity: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    operation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    field: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24))
    device_value: Mapped[bytes] = mapped_column(LargeBinary)
    base_rev: Mapped[int | None]
    server_rev: Mapped[int]
    mutation_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Quarantined(Base):
    """A mutation that could not be applied: kept, sealed, for a coordinator or a later create."""

    __tablename__ = "sync_quarantine"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    mutation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    device_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    entity: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[uuid.UUID] = mapped_column(index=True)
    operation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary(128))
    master_key_id: Mapped[str] = mapped_column(
        String(32), index=True, info={"names_master_key": "rewrap"}
    )
    #: ``waiting`` (for its record's create), ``open`` (rejected), ``applied``, ``dismissed``.
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[dt.datetime | None]
