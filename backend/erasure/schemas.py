"""Bodies of erasure, closure and the retention report."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec

__all__ = ["ClosureOut", "ErasureOut", "ErasureReason", "RetentionReport"]

#: Why a case is erased: a code, never free text (an audit entry holds no case content).
ErasureReason = Literal[
    "person_request",
    "consent_withdrawn",
    "retention",
    "duplicate",
    "entered_in_error",
    "legal_order",
]


class ErasureOut(msgspec.Struct, kw_only=True):
    """What an erasure did."""

    case_id: uuid.UUID
    erased_at: dt.datetime
    reason: ErasureReason
    records: int


class ClosureOut(msgspec.Struct, kw_only=True):
    """A case's closure: the day retention counts from."""

    case_id: uuid.UUID
    closed_at: dt.datetime
    erase_after: dt.datetime | None


class RetentionReport(msgspec.Struct, kw_only=True):
    """What ``lantern retention run`` erased, or would erase on a dry run."""

    applied: bool
    days: int
    cutoff: dt.datetime
    cases: list[uuid.UUID]
    #: Records erased; ``None`` on a dry run (records are counted as they are erased,
    #: so a dry run never reported the 0 it used to).
    records: int | None
