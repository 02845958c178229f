"""Keyed person-match encodings per case, and the possible duplicates proposed from them."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, utcnow


class PersonEncoding(Base):
    """A case's keyed Bloom-filter encoding: no name, no year, only HMAC-derived bits and tokens.

    Meaningless without the ``person-match`` key of the master key it names;
    encodings under different master keys are never compared.
    """

    __tablename__ = "person_encodings"
    __table_args__ = (Index("ix_person_encodings_key_year", "master_key_id", "birth_year"),)

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    master_key_id: Mapped[str] = mapped_column(
        String(32), index=True, info={"names_master_key": "duplicates-scan"}
    )
    name_filter: Mapped[bytes] = mapped_column(LargeBinary(128))
    #: Keyed token of the birth year (blocking); ``None`` when unknown.
    birth_year: Mapped[bytes | None] = mapped_column(LargeBinary(8))
    #: The tokens of year - 1, year and year + 1, concatenated.
    birth_year_window: Mapped[bytes] = mapped_column(LargeBinary(24))
    nationality: Mapped[bytes | None] = mapped_column(LargeBinary(8))
    sex: Mapped[bytes | None] = mapped_column(LargeBinary(8))
    #: The tokens of the blocking window (year ± 2, last two digits swapped),
    #: concatenated; None for encodings made before it (``window`` stands in).
    birth_year_block: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Keyed tokens of month-day of birth, and of it read the other way round.
    birth_day: Mapped[bytes | None] = mapped_column(LargeBinary(8))
    birth_day_swapped: Mapped[bytes | None] = mapped_column(LargeBinary(8))
    #: Keyed tokens of document numbers and contacts (exact; exact and
    #: one-deletion), each 8 bytes, concatenated in sorted order.
    documents: Mapped[bytes | None] = mapped_column(LargeBinary)
    documents_near: Mapped[bytes | None] = mapped_column(LargeBinary)
    contacts: Mapped[bytes | None] = mapped_column(LargeBinary)
    contacts_near: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Stored by sync, not yet compared with its block (``match_pending`` does).
    pending: Mapped[bool] = mapped_column(default=False, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PersonEncodingToken(Base):
    """One keyed document or contact token of a case's encoding, indexed: blocking by identifier.

    A case is compared with the cases born in its year window, and with every
    case that shares one of these tokens whatever its year (a passport number
    joins two records whose years were estimated far apart). The same 8-byte
    HMAC tokens as ``PersonEncoding.documents_near``/``contacts_near``,
    replaced with the encoding and deleted with it.
    """

    __tablename__ = "person_encoding_tokens"

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    token: Mapped[bytes] = mapped_column(LargeBinary(8), primary_key=True, index=True)


class DuplicateProposal(Base):
    """Two cases that may be one person: proposed, then merged or dismissed by a coordinator.

    A merge links the two cases and names the primary one; neither case nor
    any of its records is deleted or changed. Which operations the cases are
    in is read from the cases themselves, so a transferred case takes its
    proposals with it.
    """

    __tablename__ = "duplicate_proposals"
    __table_args__ = (
        UniqueConstraint("left_case_id", "right_case_id"),
        Index("ix_duplicate_proposals_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    left_case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    right_case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    score: Mapped[float] = mapped_column(Float)
    name_similarity: Mapped[float] = mapped_column(Float)
    birth_year: Mapped[str] = mapped_column(String(12))
    nationality: Mapped[str] = mapped_column(String(12))
    sex: Mapped[str] = mapped_column(String(12))
    birth_day: Mapped[str] = mapped_column(String(12), default="unknown")
    documents: Mapped[str] = mapped_column(String(12), default="unknown")
    contacts: Mapped[str] = mapped_column(String(12), default="unknown")
    #: ``open``, ``merged`` or ``dismissed``.
    status: Mapped[str] = mapped_column(String(12), default="open")
    primary_case_id: Mapped[uuid.UUID | None]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
