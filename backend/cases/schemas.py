"""Response bodies of ``/api/v1/cases``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import msgspec

__all__ = ["CaseDetail", "CaseLine", "ConflictRef", "QuarantineRef", "RecordOut"]

Band = Literal["strong_indicators", "some_indicators", "insufficient_information"]


class CaseLine(msgspec.Struct, kw_only=True):
    """One line of the triage list: no identity field, only what triage sorts and filters on."""

    id: uuid.UUID
    operation_id: uuid.UUID
    case_code: str | None
    age_group: str
    band: Band | None
    flags: list[str]
    referral_statuses: list[str]
    consents: dict[str, str]
    urgency: int
    updated_at: dt.datetime


class RecordOut(msgspec.Struct, kw_only=True):
    """A record of the case, decrypted."""

    id: uuid.UUID
    entity: str
    rev: int
    #: ``None`` when the stored body does not open (``unreadable``): the operator is alerted.
    data: dict[str, Any] | None
    facets: dict[str, Any]
    created_by: uuid.UUID
    updated_at: dt.datetime
    #: The stored body was altered or misplaced and cannot be read; the rest of the case can.
    unreadable: bool = False


class ConflictRef(msgspec.Struct, kw_only=True):
    """A sync conflict of the case (details at ``/api/v1/sync/conflicts``)."""

    id: uuid.UUID
    record_id: uuid.UUID
    field: str
    kind: str
    status: str


class QuarantineRef(msgspec.Struct, kw_only=True):
    """A quarantined mutation of the case (details at ``/api/v1/sync/quarantine``)."""

    id: uuid.UUID
    entity: str
    record_id: uuid.UUID
    status: str


class CaseDetail(msgspec.Struct, kw_only=True):
    """A case, decrypted, with everything recorded about it."""

    case: RecordOut
    screenings: list[RecordOut]
    consents: list[RecordOut]
    accounts: list[RecordOut]
    disclosures: list[RecordOut]
    referrals: list[RecordOut]
    conflicts: list[ConflictRef]
    quarantine: list[QuarantineRef]
