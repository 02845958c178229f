"""The synced entities, version 1 of each: what a device may send in ``data``.

Every field is optional in the schema because an update carries only the
fields it changes; what a *create* must carry is listed in ``REQUIRED``.
Unknown fields are refused, never dropped silently. Field values are stored
sealed under the case's data key; only ``facets`` (a band, a status) are kept
readable for triage filters.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from backend.types import CONTROL_FREE, PlainText

__all__ = [
    "ENTITIES",
    "IMMUTABLE",
    "REFERRAL_NEXT",
    "REQUIRED",
    "AccountData",
    "CaseData",
    "ConsentData",
    "DisclosureData",
    "Entity",
    "ReferralData",
    "ScreeningData",
]

Entity = Literal["case", "consent", "screening", "account", "disclosure", "referral"]

Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=CONTROL_FREE)]
Tag = Annotated[str, msgspec.Meta(min_length=2, max_length=35, pattern=r"^[A-Za-z0-9-]+$")]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]


class Document(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An identity document the person holds or held."""

    kind: Literal["passport", "national_id", "work_permit", "visa", "other"]
    number: Short | None = None
    country: Country | None = None
    held_by: Literal["person", "employer", "other", "unknown"] | None = None


class Contact(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A way to reach the person or someone they trust."""

    kind: Literal["phone", "messenger", "email", "relative", "other"]
    value: Short
    note: Short | None = None


class CaseData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A person met at an operation (identity fields are personal data)."""

    operation_id: uuid.UUID | UnsetType = UNSET
    case_code: (
        Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{3,5}-[A-Z0-9]{3,5}$")] | UnsetType
    ) = UNSET
    given_names: Short | UnsetType | None = UNSET
    family_name: Short | UnsetType | None = UNSET
    other_names: list[Short] | UnsetType = UNSET
    sex: Literal["female", "male", "other", "unknown"] | UnsetType = UNSET
    date_of_birth: dt.date | UnsetType | None = UNSET
    age_estimate: Annotated[int, msgspec.Meta(ge=0, le=120)] | UnsetType | None = UNSET
    nationality: Country | UnsetType | None = UNSET
    languages: list[Tag] | UnsetType = UNSET
    documents: list[Document] | UnsetType = UNSET
    contacts: list[Contact] | UnsetType = UNSET
    assigned_to: uuid.UUID | UnsetType | None = UNSET
    notes: PlainText | UnsetType | None = UNSET


class ConsentData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Consent for one purpose; immutable once recorded (a withdrawal is a new record)."""

    case_id: uuid.UUID | UnsetType = UNSET
    purpose: (
        Literal[
            "services", "financial_investigation", "prosecution_evidence", "aggregate_statistics"
        ]
        | UnsetType
    ) = UNSET
    state: Literal["given", "refused", "withdrawn"] | UnsetType = UNSET
    recorded_at: dt.datetime | UnsetType = UNSET
    language: Tag | UnsetType = UNSET
    interpreter_present: bool | UnsetType = UNSET
    supersedes: uuid.UUID | UnsetType | None = UNSET


class ScreeningData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """One run of a screening instrument; immutable once completed."""

    case_id: uuid.UUID | UnsetType = UNSET
    instrument_key: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,64}$")] | UnsetType = UNSET
    instrument_version: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | UnsetType = UNSET
    locale: Tag | UnsetType = UNSET
    answers: dict[str, Any] | UnsetType = UNSET
    started_at: dt.datetime | UnsetType = UNSET
    completed_at: dt.datetime | UnsetType | None = UNSET
    corrects: uuid.UUID | UnsetType | None = UNSET


class AccountData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """The person's own narrative: the most sensitive record."""

    case_id: uuid.UUID | UnsetType = UNSET
    text: PlainText | UnsetType = UNSET
    language: Tag | UnsetType | None = UNSET


class DisclosureData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A wallet, payment or recruiter identifier the person disclosed, as entered."""

    case_id: uuid.UUID | UnsetType = UNSET
    kind: Literal["wallet", "payment", "transaction", "recruiter"] | UnsetType = UNSET
    role: (
        Literal["victim_own", "paid_to_perpetrator", "scam_collection", "wage_source", "unknown"]
        | UnsetType
    ) = UNSET
    raw: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] | UnsetType = UNSET
    chain: Short | UnsetType | None = UNSET
    asset: Short | UnsetType | None = UNSET
    amount: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType | None = UNSET
    date_from: dt.date | UnsetType | None = UNSET
    date_to: dt.date | UnsetType | None = UNSET
    direction: Literal["sent", "received", "unknown"] | UnsetType | None = UNSET
    note: PlainText | UnsetType | None = UNSET


class ReferralData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A referral to help."""

    case_id: uuid.UUID | UnsetType = UNSET
    service: (
        Literal[
            "shelter",
            "medical",
            "legal_aid",
            "embassy",
            "repatriation",
            "psychosocial",
            "interpreter",
        ]
        | UnsetType
    ) = UNSET
    status: Literal["proposed", "accepted", "in_progress", "completed", "declined"] | UnsetType = (
        UNSET
    )
    note: PlainText | UnsetType | None = UNSET


ENTITIES: dict[str, type[msgspec.Struct]] = {
    "case": CaseData,
    "consent": ConsentData,
    "screening": ScreeningData,
    "account": AccountData,
    "disclosure": DisclosureData,
    "referral": ReferralData,
}

#: What a create must carry, per entity.
REQUIRED: dict[str, tuple[str, ...]] = {
    "case": ("operation_id", "case_code"),
    "consent": ("case_id", "purpose", "state", "recorded_at"),
    "screening": ("case_id", "instrument_key", "instrument_version", "answers", "started_at"),
    "account": ("case_id", "text"),
    "disclosure": ("case_id", "kind", "role", "raw"),
    "referral": ("case_id", "service", "status"),
}

#: Entities that never change once recorded (corrections are new records).
IMMUTABLE = frozenset({"consent"})

#: Where a referral may go from each status: one workflow for phones and coordinators.
REFERRAL_NEXT: dict[str, frozenset[str]] = {
    "proposed": frozenset({"accepted", "declined"}),
    "accepted": frozenset({"in_progress", "declined"}),
    "in_progress": frozenset({"completed", "declined"}),
    "completed": frozenset(),
    "declined": frozenset(),
}
