"""Request and response bodies of investigations and disclosure requests.

Every investigator result holds only values of types that cannot carry
personal data: pseudonyms (``cr_…``, ``op_…``), chain and role enums,
canonical addresses and transaction ids (their own patterns), asset
symbols, decimals, dates and counts. The investigator's own texts (title,
purpose, legal basis, a request's reason) come back to them as typed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from backend.linkage.addresses import Chain
from backend.types import CONTROL_FREE, PlainText

__all__ = [
    "AddressLookup",
    "AssetTotal",
    "CaseDisclosure",
    "ClusterExpansion",
    "ClusterSummary",
    "CoAddress",
    "DecisionIn",
    "DisclosureRequestIn",
    "DisclosureRequestOut",
    "Hub",
    "InvestigationIn",
    "InvestigationOut",
    "LegalBasisIn",
    "PartialMatch",
    "RequestForCoordinator",
    "RevealedWallet",
    "SearchHit",
    "Summary",
]

#: A case reference: a keyed pseudonym, stable inside one investigation only.
CaseRef = Annotated[
    str, msgspec.Meta(pattern=r"^cr_[0-9a-f]{20}$", examples=["cr_3f9a0c1d2e4b5a6c7d8e"])
]
#: An operation, pseudonymised the same way.
OperationRef = Annotated[str, msgspec.Meta(pattern=r"^op_[0-9a-f]{16}$")]
#: A canonical address (base58, bech32, cashaddr, hex, TON raw): no spaces, no words.
Address = Annotated[str, msgspec.Meta(max_length=128, pattern=r"^[0-9A-Za-z:\-]+$")]
#: The characters of a partial address, as a victim recalled them.
PartialText = Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[0-9A-Za-z:+/=_\-]*$")]
AssetSymbol = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9.]{1,16}$")]
DisclosureRole = Literal[
    "victim_own", "paid_to_perpetrator", "scam_collection", "wage_source", "unknown"
]
DisclosureKind = Literal["wallet", "payment", "transaction"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=CONTROL_FREE)]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=CONTROL_FREE)]


class InvestigationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new investigation: what it is for and on what legal basis."""

    title: Title
    purpose: LongText
    legal_basis: LongText


class InvestigationOut(msgspec.Struct, kw_only=True):
    """An investigation of the caller's."""

    id: uuid.UUID
    title: str
    purpose: str
    legal_basis: str
    created_at: dt.datetime


class CaseDisclosure(msgspec.Struct, kw_only=True):
    """One case that disclosed the address, under its reference in this investigation."""

    case_ref: CaseRef
    operation_ref: OperationRef
    roles: list[DisclosureRole]
    kinds: list[DisclosureKind]
    first_disclosed: dt.date
    last_disclosed: dt.date


class AssetTotal(msgspec.Struct, kw_only=True):
    """Payments to or from the address in one asset, summed exactly."""

    chain: Chain
    asset: AssetSymbol
    total: Decimal
    payments: int


class CoAddress(msgspec.Struct, kw_only=True):
    """Another address the same cases disclosed, and how many of them did."""

    chain: Chain
    address: Address
    cases: int


class PartialMatch(msgspec.Struct, kw_only=True):
    """A partial address a case recalled that fits the address looked up."""

    case_ref: CaseRef
    operation_ref: OperationRef
    role: DisclosureRole
    prefix: PartialText
    suffix: PartialText


class AddressLookup(msgspec.Struct, kw_only=True):
    """Everything this investigation may see about one address.

    ``cases`` (earliest first) and ``co_disclosed`` (most named first) are cut
    at the request's ``limit``; ``case_count``, the dates and the payment sums
    cover every case. Co-disclosures are counted over the address's 500
    earliest cases; ``co_disclosed_complete`` is false when it has more (a hub).
    """

    chain: Chain
    address: Address
    case_count: int
    cases: list[CaseDisclosure]
    first_disclosed: dt.date | None
    last_disclosed: dt.date | None
    period_from: dt.date | None
    period_to: dt.date | None
    payments: list[AssetTotal]
    co_disclosed: list[CoAddress]
    co_disclosed_complete: bool
    partial_matches: list[PartialMatch]


class SearchHit(msgspec.Struct, kw_only=True):
    """A full address that fits a partial one."""

    chain: Chain
    address: Address
    cases: int
    first_disclosed: dt.date
    last_disclosed: dt.date


class Hub(msgspec.Struct, kw_only=True):
    """An address named by many cases across several operations (an exchange, typically)."""

    chain: Chain
    address: Address
    cases: int
    operations: int


class AddressRef(msgspec.Struct, kw_only=True):
    """An address on a chain."""

    chain: Chain
    address: Address


class ClusterSummary(msgspec.Struct, kw_only=True):
    """One connected group of addresses and cases, hubs left out."""

    addresses: int
    cases: int
    operations: int
    sample: list[AddressRef]


class AddressNode(msgspec.Struct, kw_only=True):
    """An address of a cluster; a hub is shown but not expanded through."""

    chain: Chain
    address: Address
    cases: int
    hub: bool


class CaseNode(msgspec.Struct, kw_only=True):
    """A case of a cluster, by reference."""

    case_ref: CaseRef
    operation_ref: OperationRef


class Edge(msgspec.Struct, kw_only=True):
    """A disclosure: a case named an address in a role."""

    case_ref: CaseRef
    chain: Chain
    address: Address
    role: DisclosureRole


class ClusterExpansion(msgspec.Struct, kw_only=True):
    """The cluster reached from one address, up to ``max_nodes`` nodes."""

    addresses: list[AddressNode]
    cases: list[CaseNode]
    edges: list[Edge]
    truncated: bool


class Summary(msgspec.Struct, kw_only=True):
    """Cases per chain and role; counts from 1 to k-1 (and what would reveal them) are null."""

    k: int
    chains: list[Chain]
    roles: list[DisclosureRole]
    cells: list[list[int | None]]
    chain_totals: list[int | None]
    role_totals: list[int | None]
    total: int | None


class DisclosureRequestIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Ask to learn more about one case reference, and why."""

    case_ref: CaseRef
    reason: LongText


class RevealedWallet(msgspec.Struct, kw_only=True):
    """A victim's own wallet, revealed by an approved request."""

    chain: Chain
    address: Address


class DisclosureRequestOut(msgspec.Struct, kw_only=True):
    """A request as its investigator sees it; ``revealed`` only once approved."""

    id: uuid.UUID
    case_ref: CaseRef
    reason: str
    status: Literal["pending", "approved", "refused"]
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    revealed: list[RevealedWallet] | None = None


class RequestForCoordinator(msgspec.Struct, kw_only=True):
    """A request about a case of the coordinator's operations."""

    id: uuid.UUID
    case_id: uuid.UUID
    operation_id: uuid.UUID
    investigation_id: uuid.UUID
    investigation_title: str
    investigation_purpose: str
    legal_basis: str
    reason: str
    status: Literal["pending", "approved", "refused"]
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str | None


class LegalBasisIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A legal basis, other than consent, for sharing a case's financial links."""

    legal_basis: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=CONTROL_FREE)]


class DecisionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A coordinator's decision, with an optional note."""

    decision: Literal["approve", "refuse"]
    note: PlainText | None = None
