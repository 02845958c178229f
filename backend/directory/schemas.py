"""Bodies of ``/api/v1/services``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from backend.types import Name

__all__ = ["Contact", "ProviderCreate", "ProviderOut", "ProviderUpdate", "ServiceKind"]

#: The kinds of help a provider gives (the referral entity's services).
ServiceKind = Literal[
    "shelter", "medical", "legal_aid", "embassy", "repatriation", "psychosocial", "interpreter"
]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2}$", examples=["TH"])]
Tag = Annotated[str, msgspec.Meta(min_length=2, max_length=35, pattern=r"^[A-Za-z0-9-]+$")]
Languages = Annotated[list[Tag], msgspec.Meta(max_length=50)]


class Contact(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """How to reach the provider (the provider's own details, never a victim's)."""

    phone: Name | None = None
    email: Name | None = None
    address: Name | None = None
    website: Name | None = None


class ProviderCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new provider. ``outside``: not part of the organisation running Lantern.

    A referral to an outside provider needs the person's ``services`` consent.
    """

    country: Country
    kind: ServiceKind
    name: Name
    contact: Contact = msgspec.field(default_factory=Contact)
    languages: Languages = msgspec.field(default_factory=list)
    outside: bool = True
    active: bool = True


class ProviderUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The fields to change; those left out stay as they are."""

    country: Country | UnsetType = UNSET
    kind: ServiceKind | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    contact: Contact | UnsetType = UNSET
    languages: Languages | UnsetType = UNSET
    outside: bool | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class ProviderOut(msgspec.Struct, kw_only=True):
    """A provider in the directory."""

    id: uuid.UUID
    country: str
    kind: ServiceKind
    name: str
    contact: Contact
    languages: list[str]
    outside: bool
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
