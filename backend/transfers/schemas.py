"""Bodies of the transfer routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec

__all__ = ["TransferCreate", "TransferDestination", "TransferOut", "TransferStatus"]

TransferStatus = Literal["pending", "accepted", "declined", "cancelled"]


class TransferCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Offer a case to another operation."""

    to_operation: uuid.UUID


class TransferDestination(msgspec.Struct, kw_only=True):
    """An operation a case may be offered to: its name and country, nothing of its cases."""

    id: uuid.UUID
    name: str
    country: str


class TransferOut(msgspec.Struct, kw_only=True):
    """A transfer and where it stands."""

    id: uuid.UUID
    case_id: uuid.UUID
    from_operation: uuid.UUID
    to_operation: uuid.UUID
    status: TransferStatus
    proposed_by: uuid.UUID
    proposed_at: dt.datetime
    decided_by: uuid.UUID | None
    decided_at: dt.datetime | None
