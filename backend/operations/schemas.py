"""Request and response bodies for operations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from backend.access.roles import Role
from backend.types import Name

__all__ = ["MemberAdd", "MemberOut", "OperationCreate", "OperationOut"]


class OperationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A new operation. ``country`` is an ISO 3166-1 alpha-2 code."""

    name: Name
    country: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z]{2}$", examples=["KH"])]
    site: Name
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


class OperationOut(msgspec.Struct, kw_only=True):
    """An operation."""

    id: uuid.UUID
    name: str
    country: str
    site: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    created_at: dt.datetime


class MemberAdd(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The user to add."""

    user_id: uuid.UUID


class MemberOut(msgspec.Struct, kw_only=True):
    """A member of an operation."""

    operation_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    role: Role
    added_at: dt.datetime
