"""Request and response bodies of ``/api/v1/duplicates``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec

__all__ = ["CaseSide", "DuplicateOut", "MergeIn"]

Agreement = Literal["same", "adjacent", "near", "swapped", "different", "unknown"]
Status = Literal["open", "merged", "dismissed"]


class CaseSide(msgspec.Struct, kw_only=True):
    """One case of a proposed pair: its id, code and operation only (no identity field)."""

    id: uuid.UUID
    case_code: str | None
    operation_id: uuid.UUID


class DuplicateOut(msgspec.Struct, kw_only=True):
    """Two cases that may be one person, with how their encodings compare."""

    id: uuid.UUID
    left: CaseSide
    right: CaseSide
    score: float
    name_similarity: float
    birth_year: Agreement
    nationality: Agreement
    sex: Agreement
    birth_day: Agreement
    documents: Agreement
    contacts: Agreement
    #: Why the pair was proposed, strongest evidence first: ``name:0.93``, then
    #: ``<field>:<agreement>`` for each field known on both sides (for
    #: ``birth_year``, ``birth_day``, ``nationality``, ``sex``, ``documents``,
    #: ``contacts``); the values themselves are never shown.
    reasons: list[str]
    status: Status
    primary_case_id: uuid.UUID | None
    decided_at: dt.datetime | None
    created_at: dt.datetime


class MergeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Which of the two cases is the primary one; both stay, with their histories."""

    primary_case_id: uuid.UUID
