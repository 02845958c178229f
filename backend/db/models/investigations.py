"""Investigations, the linkage index investigators query, and disclosure requests.

The linkage index is a projection of the disclosures synced from phones: it is
written when a disclosure or consent record is written (and rebuilt by
``lantern linkage reindex``), so that investigators' queries never open a
sealed case record on their hot path. What it holds in clear is public chain
data (canonical addresses, transaction ids, assets, amounts, dates) and
pseudonymous ids; a victim's own wallet is kept only as a keyed lookup tag.
See ``docs/linkage.md``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, utcnow


class Investigation(Base):
    """Opened by an investigator, with a purpose and a legal basis."""

    __tablename__ = "investigations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(2000))
    legal_basis: Mapped[str] = mapped_column(String(2000))
    #: The master key that wraps its case-reference key (``wrapped_key``), or, while
    #: ``wrapped_key`` is empty, the one that key is derived from. Case references
    #: stay the same when a rotation re-wraps the key under a new master key.
    key_id: Mapped[str] = mapped_column(String(32), info={"names_master_key": "rewrap"})
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LinkedDisclosure(Base):
    """One disclosed wallet, payment or transaction on one chain, as investigators query it.

    A wallet valid on several chains (legacy ``1…`` on Bitcoin and Bitcoin
    Cash) has one row per chain. ``address`` and the search keys are empty for
    a victim's own wallet (personal data): only its keyed ``lookup_tag`` is kept.
    """

    __tablename__ = "linkage_disclosures"
    __table_args__ = (
        Index("ix_linkage_disclosures_lookup_tag", "lookup_tag"),
        Index("ix_linkage_disclosures_chain_search_key", "chain", "search_key"),
        Index("ix_linkage_disclosures_chain_search_reversed", "chain", "search_reversed"),
        Index("ix_linkage_disclosures_chain_address", "chain", "address"),
    )

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(16), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    operation_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(24))
    #: HMAC(wallet-lookup key, "chain:canonical"); for a partial address, the tag
    #: of the chain's partials (HMAC of "partial:chain"), so both are found by one index.
    lookup_tag: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    #: The master key ``lookup_tag`` was made under (empty on rows older than this column).
    key_id: Mapped[str | None] = mapped_column(String(32), info={"names_master_key": "rewrap"})
    address: Mapped[str | None] = mapped_column(String(128))
    tx_hash: Mapped[str | None] = mapped_column(String(130))
    #: The canonical address as partial search compares it (lower case where case means nothing).
    search_key: Mapped[str | None] = mapped_column(String(128))
    search_reversed: Mapped[str | None] = mapped_column(String(128))
    partial_prefix: Mapped[str | None] = mapped_column(String(64))
    partial_suffix: Mapped[str | None] = mapped_column(String(64))
    asset: Mapped[str | None] = mapped_column(String(48))
    #: An exact decimal, as text (never a float).
    amount: Mapped[str | None] = mapped_column(String(96))
    date_from: Mapped[dt.date | None]
    date_to: Mapped[dt.date | None]
    disclosed_on: Mapped[dt.date]
    #: The victim's own: their wallet, or a payment they sent (the chain names
    #: their wallet as its sender). Shown only through an approved request.
    sealed: Mapped[bool] = mapped_column(default=False, server_default=false())


class CaseBasis(Base):
    """A legal basis, other than consent, for a case's disclosures to reach investigators.

    Consent is not kept here: every query asks the standing consent
    (``consent_states``, the one consent rule).
    """

    __tablename__ = "linkage_case_bases"

    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    legal_basis: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DisclosureRequest(Base):
    """An investigator's request to learn more about one case reference."""

    __tablename__ = "disclosure_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    investigation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("investigations.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    operation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    case_ref: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(2000))


class ApprovedRecord(Base):
    """A disclosure record an approved request revealed, at the revision approved.

    The read-back reveals exactly these (a record revised or added after the
    approval is not revealed by it).
    """

    __tablename__ = "disclosure_request_records"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosure_requests.id"), primary_key=True
    )
    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    rev: Mapped[int]


class ReachedCase(Base):
    """A case an investigation reached by its own work (a lookup, a search, a cluster).

    Exports, the summary, hubs and clusters of an investigation read only the
    rows of these cases, so that no investigation holds the whole index.
    """

    __tablename__ = "investigation_reach"

    investigation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("investigations.id"), primary_key=True
    )
    case_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    reached_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
