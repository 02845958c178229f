"""Bodies of the referral routes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import msgspec

from backend.directory.schemas import ServiceKind
from backend.types import PlainText

__all__ = [
    "ReferralCreate",
    "ReferralOut",
    "ReferralPackage",
    "ReferralStatus",
    "StepOut",
    "Transition",
]

ReferralStatus = Literal["proposed", "accepted", "in_progress", "completed", "declined"]


class ReferralCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new referral (status ``proposed``), to a provider of the directory or not yet to one."""

    service: ServiceKind
    provider_id: uuid.UUID | None = None
    note: PlainText | None = None


class Transition(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Move a referral to ``status``.

    ``rev`` is the revision the coordinator saw: if the referral changed
    since (another coordinator, a phone), the move is refused with 409 and
    nothing changes. Without it, only the workflow's rules apply.
    """

    status: ReferralStatus
    rev: int | None = msgspec.field(default=None)


class StepOut(msgspec.Struct, kw_only=True):
    """One step of a referral: who moved it, from what, to what, when."""

    from_status: ReferralStatus | None
    to_status: ReferralStatus
    rev: int
    actor_id: uuid.UUID
    at: dt.datetime


class ReferralOut(msgspec.Struct, kw_only=True):
    """A referral and its history (steps taken on the server, oldest first)."""

    id: uuid.UUID
    case_id: uuid.UUID
    service: ServiceKind
    status: ReferralStatus
    provider_id: uuid.UUID | None
    note: str | None
    rev: int
    history: list[StepOut]


class ReferralPackage(msgspec.Struct, kw_only=True):
    """The case data that goes to the provider: exactly what ``services`` consent covers.

    Who the person is and how to talk with them, and the needs the service
    must know about. Never: date of birth (an age group instead), documents,
    contacts, the account, screening answers, disclosures, notes, or the
    forced-criminality flag.
    """

    referral_id: uuid.UUID
    service: ServiceKind
    provider_id: uuid.UUID | None
    case_code: str | None
    given_names: str | None
    family_name: str | None
    sex: str | None
    age_group: str
    nationality: str | None
    languages: list[str]
    needs: list[Literal["child", "immediate_needs"]]
